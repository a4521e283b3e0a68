/**
 * A user script that loses a worker (run by test/integration/faults.test.ts in
 * a child process). `no-shutdown`: it never calls hook.shutdown() and must
 * still exit. `shutdown-after-party-died`: it reads a shared tensor whose party
 * died, then shuts down, which must not crash the process.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as sy from '../../src/index.js';

const mode = process.argv[2];
const hook = await sy.hook(tf);
const [bob, alice, james] = await hook.virtualWorkers(['bob', 'alice', 'james'], { threads: 3 });

async function report(what: string, work: Promise<unknown>): Promise<void> {
  try {
    await work;
    console.log(`${what}: resolved`);
  } catch (error) {
    console.log(`${what}: rejected ${sy.isSyftError(error) ? error.code : String(error)}`);
  }
}

if (mode === 'no-shutdown') {
  const chain = sy.tensor([1, 2, 3]).send(bob!).send(alice!);
  const moved = sy.tensor([4, 5]).send(bob!);
  moved.move(alice!);
  await sy.testing.crash(bob!);
  await report('chain', chain.add(1).get());
  await report('move', moved.get());
  await report('settle', hook.settle());
} else if (mode === 'shutdown-after-party-died') {
  const x = sy.fixPrecision([1, 2]).share(bob!, alice!, { cryptoProvider: james! });
  const product = x.mul(x);
  await sy.testing.crash(alice!);
  await report('get', product.get());
  await report('get after', x.get());
  await hook.shutdown();
} else {
  throw new Error(`unknown mode ${mode}`);
}
