/**
 * Credit scoring with user-level differential privacy: DP-FedAvg (McMahan,
 * Ramage, Talwar and Zhang 2018) over secure aggregation. As in examples 05
 * and 08, every applicant of UCI Credit Approval is a user with their own
 * worker holding their own application; 20% are held out. Each round every
 * user takes part with probability q (a secret Poisson draw), trains the model
 * on their application, and clips their update to norm S on their own worker;
 * the updates are summed on additive shares among three aggregation servers,
 * each server adds its part of the Gaussian noise (standard deviation zS in
 * all) inside its shares, and the bank opens only the noisy sum. An RDP
 * accountant turns (z, q, rounds) into ε at δ after every round.
 *
 * Why one applicant per user: user-level DP protects everything one user
 * contributes, and here what the bank owes protection to is each applicant.
 * Grouping applicants into fewer "users" would protect groups no one belongs
 * to and leave fewer users to hide among: with N users and C expected per
 * round, the noise on the average is zS/C, so more users buy accuracy.
 *
 * The same rounds and sampling rate also run without DP (plain FedAvg over
 * secure aggregation, clientsPerRound drawn without replacement) from the same
 * start, and a table sets them side by side, one private run per noise level.
 *
 *   npx tsx examples/12-dp-fedavg-credit.ts [--rounds 30] [--clients 100] [--noise 1.5,4,12] [--clip 0.5] [--quick] [--quiet]
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { thresholdAccuracy } from './_accuracy.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `User-level DP-FedAvg (McMahan et al. 2018) on UCI Credit Approval over secure aggregation: 522 applicants,
one worker each, 131 held out. Each round users take part with probability q = clients/users (a secret Poisson
draw), clip their update to norm S on their own worker, and the three aggregation servers each add their part
of N(0, (zS)²) inside the shares, so the bank only ever sees the noisy sum. Prints ε (δ = 1e-5) after every
round, then a table: held-out accuracy and ε of DP-FedAvg at each noise level beside plain FedAvg with the same
rounds and sampling.`,
  takes: 'about 30 s (--quick: about 10 s on an idle machine)',
  options: {
    data: { type: 'string', placeholder: 'path', description: 'crx.data to read; otherwise ../shared/data/credit-approval/crx.data, else downloaded from UCI' },
    rounds: { type: 'integer', placeholder: 'n', default: 30, description: 'FedAvg rounds (each run)' },
    clients: { type: 'integer', placeholder: 'n', default: 100, description: 'users expected per round (clientsPerRound; q = clients / users)' },
    noise: { type: 'string', placeholder: 'z,...', default: '1.5,4,12', description: 'noise multipliers z, one private run each: the noise on the sum has standard deviation z·clip' },
    clip: { type: 'string', placeholder: 'S', default: '0.5', description: "clip norm S: each user's update is scaled to at most this L2 norm" },
    quick: { type: 'boolean', description: 'a small run for the tests: 5 rounds of 50 users expected, one private run (the first z)' },
    out: { type: 'string', placeholder: 'dir', default: 'results/12-dp-fedavg', description: 'where rounds.json and rounds.svg (the first private run) are written' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);
const number = (name: string, text: string): number => {
  const v = Number(text);
  if (!(Number.isFinite(v) && v >= 0)) {
    process.stderr.write(`error: --${name} must be a number >= 0; got '${text}'\n`);
    process.exit(2);
  }
  return v;
};
const noises = args.noise.split(',').map((z) => number('noise', z.trim()));
const clipNorm = number('clip', args.clip);
const zs = args.quick ? noises.slice(0, 1) : noises;
const rounds = args.quick ? 5 : args.rounds;
const delta = 1e-5;
const shownDelta = delta.toExponential(0); // '1e-5', not '0.00001'

const hook = await sy.hook(tf);
const credit = await sy.datasets.creditApproval(args.data === undefined ? {} : { path: args.data });
const started = performance.now();
const applicants = await hook.virtualWorkers(Array.from({ length: credit.length }, (_, i) => `applicant${i}`));
const servers = await hook.virtualWorkers(['server0', 'server1', 'server2']);

const all = sy.federate(new sy.BaseDataset(credit.features, credit.targets), applicants);
const order = new sy.federated.SeededRandom(7).permutation(credit.length);
const heldOut = order.slice(Math.round(0.8 * credit.length));
const users = new sy.FederatedDataset(all.list().filter((_, i) => !heldOut.includes(i)));
const testRows = tf.tensor1d(heldOut, 'int32');
const clientsPerRound = Math.min(args.quick ? 50 : args.clients, users.length);
const q = clientsPerRound / users.length;
console.log(`${users.length} users, q = ${q.toFixed(4)} (clientsPerRound ${clientsPerRound}), z = ${zs.join(', ')}, S = ${clipNorm}, δ = ${shownDelta}; ${heldOut.length} applicants held out; ${rounds} rounds`);

const accuracy = (m: sy.nn.Module) => thresholdAccuracy(m, credit.features, credit.targets, testRows);

// Logistic regression from zero, its usual start: both runs begin at the same, not at a random draw.
const initial = sy.nn.sequential(sy.nn.linear(credit.featureNames.length, 1), sy.nn.sigmoid());
initial.loadStateDict(Object.fromEntries(initial.namedParameters().map(([name, p]) => [name, sy.tensor(tf.zerosLike((p as sy.SyftTensor).tensor))])));
const common = {
  rounds,
  clientsPerRound,
  loss: 'bce',
  optimizer: { kind: 'sgd', lr: 0.5 },
  seed: 1,
  secureAggregation: { parties: servers },
  evaluate: (m: sy.nn.Module) => ({ testAccuracy: accuracy(m) }),
} as const;

// The plain run first: it also warms every worker's kernels, which would otherwise count against the private run.
const t0 = performance.now();
const plainRun = await sy.federated.fedAvg(initial.copy(), users, common);
const plainSeconds = (performance.now() - t0) / 1000;
const privateRuns = [];
for (const z of zs) {
  log(`DP-FedAvg, z = ${z}:`);
  const t1 = performance.now();
  const run = await sy.federated.fedAvg(initial.copy(), users, {
    ...common,
    userLevelDp: { noiseMultiplier: z, clipNorm, delta },
    onRound: (r) =>
      log(`round ${r.round}: ε = ${r.epsilon!.toFixed(4)} at δ = ${shownDelta}, ${r.participants.length} users took part, held-out accuracy ${(100 * r.testAccuracy!).toFixed(2)}%`),
  });
  privateRuns.push({ z, run, seconds: (performance.now() - t1) / 1000 });
}

const rows: [string, number, string, number][] = [
  ['non-private FedAvg', plainRun.rounds.at(-1)!.testAccuracy!, '∞ (no DP)', plainSeconds],
  ...privateRuns.map(({ z, run, seconds }): [string, number, string, number] => [
    `DP-FedAvg, secure aggregation, z = ${z}`,
    run.rounds.at(-1)!.testAccuracy!,
    run.privacy!.epsilon.toFixed(4),
    seconds,
  ]),
];
const header = ['run', 'held-out', `ε at δ = ${shownDelta}`, 'seconds'];
const cells = rows.map(([name, acc, eps, seconds]) => [name, `${(100 * acc).toFixed(2)}%`, eps, seconds.toFixed(1)]);
const widths = header.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j]!.length)));
const line = (c: readonly string[]) => c.map((v, j) => (j === 0 ? v.padEnd(widths[j]!) : v.padStart(widths[j]!))).join(' | ');
console.log('');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const c of cells) console.log(line(c));
console.log('');
console.log(
  `Same ${rounds} rounds, same start, ${clientsPerRound} users expected per round of ${users.length}. ` +
    `The noise on each round's average is zS/C = ${zs.map((z) => ((z * clipNorm) / clientsPerRound).toFixed(4)).join(', ')} a coordinate. ` +
    `Caveat: user-level DP pays for its ε in users. A 16-parameter logistic regression on an easy task tolerates a lot of noise; ` +
    `a larger model would not (the noise's norm grows with √parameters, the clipped signal does not). A small ε needs a large z, ` +
    `and with ${users.length} users C stays small, so zS/C is large. McMahan et al. trained on 763,430 users, thousands of them a round.`,
);
const counts = await Promise.all(servers.map(async (s) => (await s.objects()).size));
console.log(`objects left at the servers: ${counts.join(', ')}`);
log(`${((performance.now() - started) / 1000).toFixed(1)} s in all (workers started, every run)`);
const first = privateRuns[0]!;
sy.reporting.writeResultsJson(`${args.out}/rounds.json`, first.run.rounds, {
  example: '12-dp-fedavg-credit',
  users: users.length,
  clientsPerRound,
  noiseMultiplier: first.z,
  clipNorm,
  delta,
  epsilon: first.run.privacy!.epsilon,
  plainTestAccuracy: plainRun.rounds.at(-1)!.testAccuracy!,
  others: privateRuns.slice(1).map(({ z, run }) => ({ noiseMultiplier: z, epsilon: run.privacy!.epsilon, testAccuracy: run.rounds.at(-1)!.testAccuracy! })),
});
sy.reporting.writeChartSvg(`${args.out}/rounds.svg`, first.run.rounds, {
  title: `DP-FedAvg on UCI Credit Approval, ${users.length} users, z = ${first.z}: ε = ${first.run.privacy!.epsilon.toFixed(2)} at δ = ${shownDelta}`,
});
log(`wrote ${args.out}/rounds.json and ${args.out}/rounds.svg (the run at z = ${first.z})`);
all.dispose();
await hook.shutdown();
