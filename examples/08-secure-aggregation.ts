/**
 * Federated learning where no one sees any applicant's update. As in example
 * 05, 653 applicants each hold their own credit application (UCI Credit
 * Approval) and train a logistic regression on it by FedAvg. Here the updates
 * are averaged by secure aggregation: each applicant's worker encodes its
 * weighted update in fixed point and splits it into additive shares, one for
 * each of three aggregation servers; the servers add what they hold, and the
 * bank reconstructs only the sum. A single server's shares are uniformly
 * random; so is any two servers' (only all three together open anything).
 *
 * The same training then runs with a trusted aggregator, from the same
 * initial model and seed; the accuracies must agree within 0.5 points.
 *
 *   npx tsx examples/08-secure-aggregation.ts [--data path/to/crx.data] [--rounds 30] [--servers 3] [--quiet]
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { thresholdAccuracy } from './_accuracy.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `FedAvg on UCI Credit Approval (653 applicants, one worker each, as in example 05) where no one sees
any applicant's update: each update is secret-shared among aggregation servers, which add their shares;
the bank reconstructs only the sum. The same training then runs with a trusted aggregator from the same
start; the held-out accuracies must agree within 0.5 points (exit code 1 otherwise). Writes rounds.json
and rounds.svg (the secure run) to --out.`,
  takes: 'about 30-60 s',
  options: {
    data: { type: 'string', placeholder: 'path', description: 'crx.data to read; otherwise ../shared/data/credit-approval/crx.data, else downloaded from UCI' },
    rounds: { type: 'integer', placeholder: 'n', default: 30, description: 'FedAvg rounds (each run)' },
    servers: { type: 'integer', placeholder: 'n', default: 3, min: 2, max: 16, description: 'aggregation servers that hold the shares' },
    out: { type: 'string', placeholder: 'dir', default: 'results/08-secure-aggregation', description: 'where rounds.json and rounds.svg are written' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);

const hook = await sy.hook(tf);
const credit = await sy.datasets.creditApproval(args.data === undefined ? {} : { path: args.data });
const applicants = await hook.virtualWorkers(Array.from({ length: credit.length }, (_, i) => `applicant${i}`));
const servers = await hook.virtualWorkers(Array.from({ length: args.servers }, (_, i) => `server${i}`));
const aggregator = await hook.virtualWorker('aggregator');

const all = sy.federate(new sy.BaseDataset(credit.features, credit.targets), applicants);
const order = new sy.federated.SeededRandom(7).permutation(credit.length);
const heldOut = order.slice(Math.round(0.8 * credit.length));
const training = new sy.FederatedDataset(all.list().filter((_, i) => !heldOut.includes(i)));
const testRows = tf.tensor1d(heldOut, 'int32');
log(`${training.length} applicants train on their own workers; ${heldOut.length} held out; secure aggregation among ${servers.length} servers`);

const accuracy = (m: sy.nn.Module) => thresholdAccuracy(m, credit.features, credit.targets, testRows);

const initial = sy.nn.sequential(sy.nn.linear(credit.featureNames.length, 1), sy.nn.sigmoid());
const train = async (how: 'secure' | 'trusted') => {
  const started = performance.now();
  const { rounds } = await sy.federated.fedAvg(initial.copy(), training, {
    rounds: args.rounds,
    loss: 'bce',
    optimizer: { kind: 'sgd', lr: 0.5 },
    seed: 1,
    ...(how === 'secure' ? { secureAggregation: { parties: servers } } : { aggregator }),
    progress: !quiet,
    evaluate: (m) => ({ testAccuracy: accuracy(m) }),
  });
  return { rounds, seconds: (performance.now() - started) / 1000 };
};

const secure = await train('secure');
log(sy.reporting.formatSummaryTable(secure.rounds));
const trusted = await train('trusted');
const [a, b] = [secure.rounds.at(-1)!.testAccuracy!, trusted.rounds.at(-1)!.testAccuracy!];
const gap = Math.abs(a - b) * 100;
console.log(
  `held-out accuracy: secure aggregation ${(100 * a).toFixed(2)}% (${secure.seconds.toFixed(1)} s), ` +
    `trusted aggregator ${(100 * b).toFixed(2)}% (${trusted.seconds.toFixed(1)} s); difference ${gap.toFixed(2)} points (must be ≤ 0.5)`,
);
for (const s of servers) log(`${s.id} holds ${(await s.objects()).size} objects after training`);
sy.reporting.writeResultsJson(`${args.out}/rounds.json`, secure.rounds, { example: '08-secure-aggregation', servers: servers.length, trustedTestAccuracy: b });
sy.reporting.writeChartSvg(`${args.out}/rounds.svg`, secure.rounds, {
  title: `FedAvg on UCI Credit Approval, ${training.length} data owners: secure aggregation among ${servers.length} servers`,
});
log(`wrote ${args.out}/rounds.json and ${args.out}/rounds.svg`);
all.dispose();
await hook.shutdown();
if (gap > 0.5) process.exitCode = 1;
