/**
 * PySyft 0.2's project "Learn a Simple Linear Model": data, target and weights
 * all at bob; only tensors, backward() and in-place updates, run where the
 * data lives.
 *
 *   npx tsx examples/03-linear-model.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `PySyft 0.2's project "Learn a Simple Linear Model": data, target and weights all at bob; ten
steps of gradient descent with backward() and in-place updates, run where the data lives, printing
the loss of each step and the trained weights.`,
  takes: 'a few seconds',
  options: { quiet: { ...QUIET, description: 'print only the last line (the result); SYFT_QUIET=1 does the same' } },
});
const log: (...line: unknown[]) => void = args.quiet || sy.reporting.isQuiet() ? () => undefined : console.log;

const hook = await sy.hook(tf);
const bob = await hook.virtualWorker('bob');

// input = th.tensor([[1.,1],[0,1],[1,0],[0,0]], requires_grad=True).send(bob)
const input = sy.tensor([[1, 1], [0, 1], [1, 0], [0, 0]]).send(bob);
const target = sy.tensor([[1], [1], [0], [0]]).send(bob);
const weights = sy.tensor([[0], [0]], { requiresGrad: true }).send(bob);

for (let i = 0; i < 10; i++) {
  // pred = input.mm(weights); loss = ((pred - target)**2).sum()
  const pred = input.matMul(weights);
  const loss = pred.sub(target).pow(2).sum();
  loss.backward();
  // weights.data.sub_(weights.grad * 0.1); weights.grad *= 0
  weights.subInPlace(weights.grad.mul(0.1));
  weights.grad.zeroInPlace();
  log(`loss ${i}: ${(await loss.get()).dataSync()[0]!.toFixed(4)}`);
}

// get() brings the value and its gradient home together
const learned = await weights.get();
console.log(`weights: ${JSON.stringify(await learned.array())}, grad: ${JSON.stringify(await learned.grad!.array())}`);
await hook.shutdown();
