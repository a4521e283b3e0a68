/**
 * The PySyft 0.2 lessons "Basic Remote Execution", "Remote Arithmetic" and
 * "Garbage Collection and Common Errors", cell by cell, in syft-ts.
 *
 *   npm run demo        (or: npx tsx --expose-gc examples/01-remote-execution.ts)
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `PySyft 0.2's lessons "Basic Remote Execution", "Remote Arithmetic" and "Garbage Collection and
Common Errors", cell by cell: send tensors to bob, compute on pointers, get results back, watch
bob's objects come and go, and see the errors that name what went wrong.`,
  takes: 'a few seconds',
  options: { quiet: { ...QUIET, description: 'print only the last line (the result); SYFT_QUIET=1 does the same' } },
});
const log: (...line: unknown[]) => void = args.quiet || sy.reporting.isQuiet() ? () => undefined : console.log;

const section = (title: string) => log(`\n=== ${title} ===`);
const show = (objects: Map<number, sy.ObjectSummary>) =>
  objects.size === 0
    ? '{}'
    : [...objects.values()]
        .map((o) => (o.kind === 'pointer' ? `${o.id}: -> ${o.location}:${o.idAtLocation}` : `${o.id}: ${o.kind}${JSON.stringify(o.shape)} ${o.preview}`))
        .join('\n  ');

// import syft as sy; hook = sy.TorchHook(torch)
const hook = await sy.hook(tf);
log(`backend: ${hook.backend}`);

// bob = sy.VirtualWorker(hook, id="bob")
const bob = await hook.virtualWorker('bob');

section('Basic remote execution');
log(`bob._objects: ${show(await bob.objects())}`);

// x = th.tensor([1,2,3,4,5]); x = x.send(bob)
const x = sy.tensor([1, 2, 3, 4, 5]);
let xPtr = x.send(bob);
log(`bob._objects:\n  ${show(await bob.objects())}`);
log(`x_ptr: ${String(xPtr)}`);
log(`x_ptr.location: ${String(xPtr.location)}`);
log(`x_ptr.id_at_location: ${xPtr.idAtLocation}`);
log(`x_ptr.id: ${xPtr.id}`);
log(`x_ptr.owner: ${String(xPtr.owner)}`);
log(`hook.local_worker: ${String(hook.localWorker)}`);

// x = x.get()
const back = await xPtr.get();
log(`x.get(): ${back.toString()}`);
log(`bob._objects after get: ${show(await bob.objects())}`);

section('Remote arithmetic');
// x = th.tensor([1,2,3,4,5]).send(bob); y = th.tensor([1,1,1,1,1]).send(bob)
xPtr = sy.tensor([1, 2, 3, 4, 5]).send(bob);
const yPtr = sy.tensor([1, 1, 1, 1, 1]).send(bob);
// z = x + y  -- runs at bob; z is a pointer returned at once
const z = xPtr.add(yPtr);
log(`z = x + y: ${String(z)}`);
log(`z.get(): ${(await z.get()).toString()}`);
// z = th.add(x, y)
const z2 = sy.add(xPtr, yPtr);
log(`th.add(x, y).get(): ${(await z2.get()).toString()}`);
// A tf.Tensor gets .send() too, and comes back as a tf.Tensor.
const w = tf.tensor([[1, 2], [3, 4]]).send(bob);
log(`tf.tensor(...).send(bob).matMul(...).get():\n${(await w.matMul(w).get()).toString()}`);
w.dispose();

section('Common errors');
// x.send(bob) + a local tensor
try {
  // The mistake this cell shows: the cast stands in for JavaScript, where no type check catches it first.
  xPtr.add(sy.tensor([1, 1, 1, 1, 1]) as never);
} catch (error) {
  log(`${(error as sy.SyftError).name} [${(error as sy.SyftError).code}]:\n${(error as Error).message}`);
}
// tensors on two different workers
const alice = await hook.virtualWorker('alice');
const onAlice = sy.tensor([1, 1, 1, 1, 1]).send(alice);
try {
  xPtr.add(onAlice);
} catch (error) {
  log(`\n${(error as sy.SyftError).name} [${(error as sy.SyftError).code}]:\n${(error as Error).message}`);
}
// a remote failure surfaces at the next await that depends on it; bob is unharmed
const bad = xPtr.matMul(yPtr).relu();
try {
  await bad.get();
} catch (error) {
  log(`\n${(error as sy.SyftError).name}: ${(error as Error).message}`);
}
log(`bob is unharmed and still holds x and y: ${(await bob.objects()).size} objects`);

section('Garbage collection');
await bob.clearObjects();
xPtr.dispose();
yPtr.dispose();
// x = th.tensor([1,2,3,4,5]).send(bob); del x  -> bob's object is deleted
let p = sy.tensor([1, 2, 3, 4, 5]).send(bob);
log(`after one send: ${(await bob.objects()).size} object(s) at bob`);
p.dispose();
log(`after dispose (PySyft's del x): ${(await bob.objects()).size} object(s) at bob`);
// for i in range(1000): x = th.tensor([1,2,3,4,5]).send(bob)
const collected = { count: 0 };
const subscription = hook.events$.subscribe((e) => e.type === 'collected' && collected.count++);
for (let i = 0; i < 1000; i++) p = sy.tensor([1, 2, 3, 4, 5]).send(bob);
log(`after 1000 sends rebinding one variable, before collection: ${(await bob.objects()).size} objects at bob`);
await sy.testing.collectGarbage();
log(
  `after collection: ${(await bob.objects()).size} object at bob (${collected.count} pointers collected` +
    `${typeof (globalThis as { gc?: unknown }).gc === 'function' ? '' : '; run with --expose-gc to collect at once'})`,
);
subscription.unsubscribe();
log(`the one left is the live pointer's: ${(await bob.objects()).has(p.idAtLocation)}`);

// sy.tidy, like tf.tidy, deletes what the function made and did not return
const kept = sy.tidy(() => sy.tensor([1, 2]).send(bob).mul(10).add(1));
console.log(`tidy kept ${String(kept)}; bob holds ${(await bob.objects()).size} objects (p and the kept result)`);
await hook.shutdown();
