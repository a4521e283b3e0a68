/**
 * The PySyft 0.2 lessons "Playing with Remote Tensors", "Advanced Remote
 * Execution Tools" and "Pointer Chain Operations", cell by cell, in syft-ts.
 *
 *   npx tsx --expose-gc examples/02-pointer-chains.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `PySyft 0.2's lessons "Playing with Remote Tensors", "Advanced Remote Execution Tools" and
"Pointer Chain Operations", cell by cell: multi-pointers (x.send(bob, alice)), pointer chains
(x.send(bob).send(alice)), remoteGet() and move(), printing what bob, alice and jon hold after
each step.`,
  takes: 'a few seconds',
  options: { quiet: { ...QUIET, description: 'print only the last line (the result); SYFT_QUIET=1 does the same' } },
});
const log: (...line: unknown[]) => void = args.quiet || sy.reporting.isQuiet() ? () => undefined : console.log;

const hook = await sy.hook(tf);
// bob = sy.VirtualWorker(hook, id="bob"); alice = ...; jon = ...
const [bob, alice, jon] = await hook.virtualWorkers(['bob', 'alice', 'jon'], { threads: 3 });

const describe = (o: sy.ObjectSummary) =>
  o.kind === 'pointer' ? `${o.id}: -> ${o.location}:${o.idAtLocation}` : `${o.id}: ${o.kind} ${o.preview}`;
async function objects(step: string): Promise<void> {
  log(`\n# ${step}`);
  for (const w of [bob, alice, jon]) {
    const held = [...(await w.objects()).values()].map(describe);
    if (held.length > 0 || w !== jon) log(`  ${w.id}._objects: ${held.length === 0 ? '{}' : `{ ${held.join(', ')} }`}`);
  }
}
const show = async (label: string, t: sy.LocalTensor) => log(label, JSON.stringify(await t.array()));

log('=== Playing with remote tensors ===');
// x = th.tensor([1,2,3,4,5]); x_ptr = x.send(bob, alice)
const many = sy.tensor([1, 2, 3, 4, 5]).send(bob, alice);
log(String(many));
await objects('x.send(bob, alice)');
// y = x_ptr + x_ptr runs at both; x_ptr.get() gives both tensors
const doubled = many.add(many);
log('(x + x).get():', await Promise.all((await doubled.get()).map((t) => t.array())));
log('x.get(sum_results=True):', await (await many.get({ sumResults: true })).array());

log('\n=== Pointer chains ===');
await Promise.all([bob.clearObjects(), alice.clearObjects()]);
// x = th.tensor([1,2,3,4,5]).send(bob); x = x.send(alice)
let x = sy.tensor([1, 2, 3, 4, 5]).send(bob).send(alice);
log(`x: ${String(x)} (data at ${x.dataLocation.id})`);
await objects('x = th.tensor([1,2,3,4,5]).send(bob).send(alice)');

// y = x + x: runs at bob, where the data is; y is a chain too
const y = x.add(x);
log(`\ny = x + x: ${String(y)} (data at ${y.dataLocation.id})`);
await objects('y = x + x');

// x.get() removes one hop: it returns the pointer alice held
const yAtBob = await y.get();
log(`\ny.get(): ${String(yAtBob)}`);
await objects('y.get() (alice no longer holds her pointer)');
await show('y.get().get():', await yAtBob.get());

log('\n=== Not collocated ===');
// x via alice to bob, y via jon to bob: PySyft's error
const viaJon = sy.tensor([1, 2, 3, 4, 5]).send(bob).send(jon);
try {
  x.add(viaJon);
} catch (error) {
  log(`${(error as sy.SyftError).name} [${(error as sy.SyftError).code}]:\n${(error as Error).message}`);
}
viaJon.dispose();

log('\n=== remote_get and move ===');
x.dispose();
x = sy.tensor([1, 2, 3, 4, 5]).send(bob).send(alice);
await objects('x = th.tensor([1,2,3,4,5]).send(bob).send(alice)');
// x.remote_get(): the data comes to alice, bob holds nothing
x.remoteGet();
await objects('x.remote_get()');
// x.move(bob): the data goes back to bob, straight from alice's thread
const xAtBob = x.move(bob); // the same pointer, typed as pointing to data now
log(`x: ${String(xAtBob)}`);
await objects('x.move(bob)');
const moved = { bytes: 0 };
const sub = hook.events$.subscribe((e) => e.type === 'moved' && (moved.bytes += e.bytes));
const before = hook.transportStats();
xAtBob.move(jon);
await objects('x.move(jon)');
const after = hook.transportStats();
sub.unsubscribe();
log(
  `  ${moved.bytes} bytes went bob -> jon worker to worker; through the main thread: ` +
    `${after.tensorBytesOut - before.tensorBytesOut + after.tensorBytesIn - before.tensorBytesIn} bytes`,
);
await show('x.get():', await xAtBob.get());

log('\n=== Collection ===');
// disposing the head of a chain deletes it all the way down
const chain = sy.tensor([1]).send(bob).send(alice).send(jon);
await objects('th.tensor([1]).send(bob).send(alice).send(jon)');
chain.dispose();
await objects('dispose() on the head');
await sy.testing.assertNoLeaks(hook);
log('');
console.log('no leaked objects');
await hook.shutdown();
