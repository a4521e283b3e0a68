/**
 * The seed credit notebook's "Option 2", written the way its PySyft 0.2 cells
 * are: every applicant's record is sent to the applicant's own worker, the
 * pointers are wrapped in `sy.BaseDataset(r_d, r_t)` and gathered into a
 * `sy.FederatedDataset`; then the trusted-aggregator loop: each epoch a copy
 * of the model goes to every worker with its own optimizer, trains there op
 * by op on `datasets.datasets[model.location.id]`, moves to the aggregator, and
 * the aggregator averages; only the average comes home. 653 workers.
 *
 * examples/05-credit-federated.ts does the same with sy.federate and fedAvg
 * (one message per worker per round); this one keeps the notebook's shape.
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `The credit notebook's "Option 2" in PySyft's own shape: each of 653 applicants' records is sent to
the applicant's worker and wrapped in sy.BaseDataset(r_d, r_t), gathered in a sy.FederatedDataset; each
epoch a copy of the model and its optimizer go to every worker, train there op by op, move to a trusted
aggregator, and are averaged there. Prints the per-epoch loss.`,
  takes: 'about 25 s',
  options: {
    data: { type: 'string', placeholder: 'path', description: 'crx.data to read; otherwise ../shared/data/credit-approval/crx.data, else downloaded from UCI' },
    epochs: { type: 'integer', placeholder: 'n', default: 6, min: 1, description: 'federated epochs' },
    iters: { type: 'integer', placeholder: 'n', default: 1, min: 1, description: 'local steps per worker per epoch' },
    lr: { type: 'string', placeholder: 'x', default: '1', description: "each worker's SGD learning rate" },
    quiet: QUIET,
  },
});
const { epochs, iters } = args;
const lr = Number(args.lr);
if (!(lr > 0)) {
  console.error(`--lr takes a positive number, got ${args.lr}.`);
  process.exit(2);
}
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);
const t0 = performance.now();

// Loading before the hook works: sy.datasets picks the backend sy.hook would.
const credit = await sy.datasets.creditApproval(args.data === undefined ? {} : { path: args.data });
const hook = await sy.hook(tf);
log(`UCI Credit Approval: ${credit.length} applicants, ${credit.featureNames.length} features (backend ${hook.backend})`);

const workers = await hook.virtualWorkers(Array.from({ length: credit.length }, (_, i) => `applicant${i}`));
const aggregator = await hook.virtualWorker('aggregator');
log(`${workers.length} applicant workers and a trusted aggregator started in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Option 2: each applicant's record, sent to their own worker, wrapped as a dataset of pointers.
const features = credit.features.arraySync();
const labels = credit.targets.arraySync();
const list = workers.map((w, i) => {
  const r_d = tf.tensor2d([features[i]!]).send(w);
  const r_t = tf.tensor2d([labels[i]!]).send(w);
  return new sy.BaseDataset(r_d, r_t);
});
// ready(): a no-op here (sent pointers know their shapes); for pointers that do not, each worker is asked once.
const datasets = await new sy.FederatedDataset(list).ready();
log(`FederatedDataset: ${datasets.length} samples over ${datasets.workers.length} workers`);

// Logistic regression, as the notebook's model; initialized as PyTorch does (U(±1/sqrt(fan in))), from a fixed seed so runs repeat.
const model = sy.nn.sequential(sy.nn.linear(credit.featureNames.length, 1), sy.nn.sigmoid());
const bound = 1 / Math.sqrt(credit.featureNames.length);
const initial = model.parameters();
model.loadStateDict(
  Object.fromEntries(
    model.namedParameters().map(([name, p], j) => [name, new sy.SyftTensor(tf.randomUniform((p as sy.SyftTensor).shape, -bound, bound, 'float32', 7 + j), { requiresGrad: true })]),
  ),
);
for (const p of initial) p.dispose();

/** Accuracy of the bank's averaged model at threshold 0.5, on everyone (the simulation's report only). */
const accuracy = () =>
  sy.noGrad(() =>
    tf.tidy(() => {
      const p = (model.forward(sy.tensor(credit.features)) as sy.SyftTensor).tensor;
      return tf.mean(tf.equal(tf.greater(p, 0.5), tf.greater(credit.targets, 0.5))).dataSync()[0]!;
    }),
  );

for (let epoch = 1; epoch <= epochs; epoch++) {
  // models = [model.copy().send(w) for w in workers]; one optimizer per worker.
  const models = workers.map((w) => model.copy().send(w));
  const optimizers = models.map((m) => sy.optim.sgd(m.parameters(), { lr }));
  let losses: number[] = [];
  for (let iter = 0; iter < iters; iter++) {
    const pending = models.map((m, k) => {
      const _d = datasets.datasets[m.location!.id]!;
      optimizers[k]!.zeroGrad();
      const pred = m.forward(_d.data);
      const loss = sy.nn.bceLoss(pred, _d.targets);
      loss.backward();
      optimizers[k]!.step();
      if (iter < iters - 1) {
        loss.dispose();
        return undefined;
      }
      return loss.get();
    });
    // Every worker's step is in flight at once; only the last step's scalar losses come home.
    if (iter === iters - 1) {
      losses = (await Promise.all(pending)).map((l) => {
        const v = l!.dataSync()[0]!;
        l!.dispose();
        return v;
      });
    }
  }
  // Trusted aggregator: every model moves there (worker to worker), the average is made there.
  for (const m of models) m.move(aggregator);
  const averaged = sy.noGrad(() =>
    model.namedParameters().map(([name], j) => [name, sy.addN(models.map((m) => m.parameters()[j]!)).div(models.length)] as const),
  );
  for (const m of models) for (const p of m.parameters()) p.dispose();
  const homes = await Promise.all(averaged.map(([, p]) => p.get()));
  const previous = model.parameters();
  model.loadStateDict(Object.fromEntries(averaged.map(([name], j) => [name, new sy.SyftTensor(homes[j]!.tensor, { requiresGrad: true })])));
  for (const p of previous) p.dispose();
  const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
  console.log(`Epoch ${epoch}: loss ${mean.toFixed(6)}` + (quiet ? '' : `  (accuracy of the averaged model ${(100 * accuracy()).toFixed(2)}%)`));
}

console.log(`${workers.length} applicants, ${epochs} epochs of ${iters} local step${iters === 1 ? '' : 's'} per worker; ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);
datasets.dispose();
await hook.shutdown();
