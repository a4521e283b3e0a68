/**
 * Credit scoring where every applicant is a data owner. 653
 * virtual workers hold one application each (UCI Credit Approval); a logistic
 * regression trains by federated averaging, each round on the applicants'
 * own machines at once, averaged at a trusted aggregator so the bank sees only
 * the average. 20% of applicants are held out for evaluation.
 *
 *   npx tsx examples/05-credit-federated.ts [--data path/to/crx.data] [--rounds 30] [--quiet]
 */
import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import * as sy from '../src/index.js';
import { thresholdAccuracy } from './_accuracy.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `Federated logistic regression on UCI Credit Approval where every applicant is a data owner: 653
virtual workers hold one application each; FedAvg trains on all of them at once each round and
averages at a trusted aggregator, so the bank sees only the average. 20% of applicants are held out.
Prints a per-round table and the final accuracies; writes rounds.json and rounds.svg to --out.`,
  takes: 'about 15 s',
  options: {
    data: { type: 'string', placeholder: 'path', description: 'crx.data to read; otherwise ../shared/data/credit-approval/crx.data, else downloaded from UCI' },
    rounds: { type: 'integer', placeholder: 'n', default: 30, description: 'FedAvg rounds' },
    out: { type: 'string', placeholder: 'dir', default: 'results/05-credit', description: 'where rounds.json and rounds.svg are written' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);

const hook = await sy.hook(tf);
const credit = await sy.datasets.creditApproval(args.data === undefined ? {} : { path: args.data });
log(`UCI Credit Approval: ${credit.length} applications (${credit.dropped} dropped for missing values), ${credit.featureNames.length} features`);

const t0 = performance.now();
const applicants = await hook.virtualWorkers(Array.from({ length: credit.length }, (_, i) => `applicant${i}`));
const aggregator = await hook.virtualWorker('aggregator');
log(`started ${applicants.length} workers on ${availableParallelism()} threads in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

// One application per worker; 80% train, 20% held out (a fixed, seeded draw).
const all = sy.federate(new sy.BaseDataset(credit.features, credit.targets), applicants);
const order = new sy.federated.SeededRandom(7).permutation(credit.length);
const heldOut = order.slice(Math.round(0.8 * credit.length));
const training = new sy.FederatedDataset(all.list().filter((_, i) => !heldOut.includes(i)));
const testRows = tf.tensor1d(heldOut, 'int32');
const trainRows = tf.tensor1d(order.slice(0, Math.round(0.8 * credit.length)), 'int32');

const model = sy.nn.sequential(sy.nn.linear(credit.featureNames.length, 1), sy.nn.sigmoid());
const accuracy = (m: sy.nn.Module, rows: tf.Tensor1D) => thresholdAccuracy(m, credit.features, credit.targets, rows);

const { rounds } = await sy.federated.fedAvg(model, training, {
  rounds: args.rounds,
  localEpochs: 1,
  loss: 'bce',
  optimizer: { kind: 'sgd', lr: 0.5 },
  aggregator,
  progress: !quiet,
  evaluate: (m) => ({ trainAccuracy: accuracy(m, trainRows), testAccuracy: accuracy(m, testRows) }),
});

log('');
log(sy.reporting.formatSummaryTable(rounds));
const last = rounds[rounds.length - 1]!;
console.log(
  `${training.length} applicants trained, each on their own worker; final train accuracy ${(100 * last.trainAccuracy!).toFixed(2)}%, ` +
    `held-out accuracy ${(100 * last.testAccuracy!).toFixed(2)}% (${heldOut.length} applicants); ${((performance.now() - t0) / 1000).toFixed(1)} s in all`,
);
sy.reporting.writeResultsJson(`${args.out}/rounds.json`, rounds, { example: '05-credit-federated', workers: applicants.length });
sy.reporting.writeChartSvg(`${args.out}/rounds.svg`, rounds, { title: `FedAvg on UCI Credit Approval: ${training.length} data owners` });
log(`wrote ${args.out}/rounds.json and ${args.out}/rounds.svg`);
all.dispose();
await hook.shutdown();
