/**
 * PySyft 0.2's "Toy Federated Learning": one nn.Linear model, sent to bob and
 * to alice in turn, trained there with SGD on the data each of them holds,
 * and brought home after each visit.
 *
 *   npx tsx examples/04-toy-federated.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `PySyft 0.2's "Toy Federated Learning": one linear model, sent to bob and to alice in turn,
trained there with SGD on the data each holds, and brought home after each visit; prints the
losses of each of 20 iterations.`,
  takes: 'a few seconds',
  options: { quiet: { ...QUIET, description: 'print only the last line (the result); SYFT_QUIET=1 does the same' } },
});
const log: (...line: unknown[]) => void = args.quiet || sy.reporting.isQuiet() ? () => undefined : console.log;

const hook = await sy.hook(tf);
const [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });

// data = th.tensor([[0,0],[0,1],[1,0],[1,1.]]); target = th.tensor([[0],[0],[1],[1.]])
// data_bob = data[0:2].send(bob); data_alice = data[2:].send(alice)
const datasets = [
  { data: sy.tensor([[0, 0], [0, 1]]).send(bob), target: sy.tensor([[0], [0]]).send(bob) },
  { data: sy.tensor([[1, 0], [1, 1]]).send(alice), target: sy.tensor([[1], [1]]).send(alice) },
];

// model = nn.Linear(2, 1)
let model = sy.nn.linear(2, 1);

for (let iter = 0; iter < 20; iter++) {
  const losses: string[] = [];
  for (const { data, target } of datasets) {
    // model.send(data.location): the parameters move, the data never does
    model.send(data.location);
    // send() gives the module new parameter objects: the optimizer is made for them
    // (plain SGD keeps no state, so nothing is lost by making it per visit).
    const opt = sy.optim.sgd(model.parameters(), { lr: 0.1 });
    opt.zeroGrad();
    const pred = model.forward(data);
    const loss = pred.sub(target).pow(2).sum();
    loss.backward();
    opt.step();
    model = await model.get();
    losses.push(`${data.location.id} ${(await loss.get()).dataSync()[0]!.toFixed(4)}`);
  }
  log(`iteration ${String(iter).padStart(2)}: ${losses.join(', ')}`);
}

const [w, b] = model.parameters() as sy.SyftTensor[];
console.log(`learned weight ${JSON.stringify(await w!.array())}, bias ${JSON.stringify(await b!.array())}`);
await sy.testing.assertNoLeaks(hook);
await hook.shutdown();
