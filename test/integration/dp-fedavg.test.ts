/**
 * User-level DP-FedAvg (McMahan et al. 2018) in fedAvg: with no noise and a
 * clip no update reaches it is plain FedAvg with equal weights; a large
 * update is scaled to the clip norm at its worker (and nothing of it, not its
 * norm, comes home); the opened sum carries noise of variance (zS)² whether it
 * is added inside the shares, at the aggregator or at the caller; ε after each
 * round is the RDP accountant's for (z, q, rounds); bad setups are refused
 * before anything is sent. And example 12's quick run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];
let aggregator: sy.VirtualWorker;

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['u0', 'u1', 'u2', 'u3'], { threads: 2 });
  aggregator = await hook.virtualWorker('agg');
});
afterAll(() => hook.shutdown());

const valuesOf = (m: sy.nn.Module) => m.parameters().flatMap((p) => Array.from((p as sy.SyftTensor).dataSync()));
const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const minus = (a: readonly number[], b: readonly number[]) => a.map((x, i) => x - b[i]!);

function zeroed<M extends sy.nn.Module>(m: M): M {
  m.loadStateDict(Object.fromEntries(m.namedParameters().map(([name, p]) => [name, sy.tensor(tf.zerosLike((p as sy.SyftTensor).tensor))])));
  return m;
}

/** n samples of 3 features per worker, a linear target times `scale`. */
function samples(seed: number, n: number, scale = 1): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.randomUniform([n, 3], -1, 1, 'float32', seed) as tf.Tensor2D;
  const y = tf.mul(tf.matMul(x, tf.tensor2d([[0.5], [-1], [2]])), scale) as tf.Tensor2D;
  return { x, y };
}

const plan = { loss: 'mse', optimizer: { kind: 'sgd', lr: 0.1 } } as const;
type Where = 'owner' | 'aggregator' | 'secure';
const at = (where: Where) => (where === 'owner' ? {} : where === 'aggregator' ? { aggregator } : { secureAggregation: true });

describe('DP-FedAvg', () => {
  test('noise 0 and a clip no update reaches: the same model as FedAvg with equal weights (owner, aggregator, secure aggregation)', async () => {
    const { x, y } = samples(1, 24);
    // 'even': 8 samples each, so FedAvg's sample-count weights are equal too.
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 3));
    const init = sy.nn.sequential(sy.nn.linear(3, 4), sy.nn.tanh(), sy.nn.linear(4, 1));
    const common = { ...plan, rounds: 3, localEpochs: 2, batchSize: 4 };
    const plain = await sy.federated.fedAvg(init.copy(), fd, common);
    for (const where of ['owner', 'aggregator', 'secure'] as const) {
      const dp = await sy.federated.fedAvg(init.copy(), fd, { ...common, ...at(where), userLevelDp: { noiseMultiplier: 0, clipNorm: 1e6 } });
      expect(dp.rounds.map((r) => r.participants)).toEqual([0, 1, 2].map(() => ['u0', 'u1', 'u2']));
      // The sum of updates, encoded to 24 fractional bits on shares (6e-8 a coordinate), then float32.
      minus(valuesOf(dp.model), valuesOf(plain.model)).forEach((d) => expect(Math.abs(d)).toBeLessThanOrEqual(1e-6));
      // No noise, no privacy: ε is infinite, and says so.
      expect(dp.rounds.map((r) => r.epsilon)).toEqual([Infinity, Infinity, Infinity]);
      expect(dp.privacy).toMatchObject({ epsilon: Infinity, delta: 1e-5, sampleRate: 1, noiseMultiplier: 0, clipNorm: 1e6 });
    }
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('a huge update contributes exactly clipNorm in norm, in its own direction; a small one is left as it is; nothing but the noisy sum comes home', async () => {
    const big = samples(2, 6, 1000);
    const small = samples(3, 6, 0.01);
    const atU0 = new sy.BaseDataset(sy.tensor(big.x).send(workers[0]!), sy.tensor(big.y).send(workers[0]!));
    const atU1 = new sy.BaseDataset(sy.tensor(small.x).send(workers[1]!), sy.tensor(small.y).send(workers[1]!));
    // From zero, each update is lr·2y·x on average: huge for the big targets, tiny for the small, whatever the draw.
    const init = zeroed(sy.nn.linear(3, 1));
    const start = valuesOf(init);
    const one = { ...plan, rounds: 1, optimizer: { kind: 'sgd', lr: 0.05 } } as const;
    // Each user's own update, unclipped, from plain FedAvg on that user alone (exact: a single model's average is itself).
    const updates = await Promise.all(
      [atU0, atU1].map(async (d) => minus(valuesOf((await sy.federated.fedAvg(init.copy(), new sy.FederatedDataset([d]), one)).model), start)),
    );
    const [huge, tiny] = updates as [number[], number[]];
    const clipNorm = 0.5;
    expect(norm(huge)).toBeGreaterThan(100 * clipNorm);
    expect(norm(tiny)).toBeLessThan(clipNorm / 10);

    const fetched: string[] = [];
    const watch = hook.events$.subscribe((e) => e.type === 'fetched' && fetched.push(e.type));
    const both = new sy.FederatedDataset([atU0, atU1]);
    const dp = await sy.federated.fedAvg(init.copy(), both, { ...one, secureAggregation: true, userLevelDp: { noiseMultiplier: 0, clipNorm } });
    watch.unsubscribe();
    // Neither update nor the huge one's norm was fetched: only the shares of the sum were opened.
    expect(fetched).toEqual([]);
    const moved = minus(valuesOf(dp.model), start).map((v) => v * 2); // × qW = 2 users: the sum of the clipped updates
    const want = huge.map((v, i) => (v * clipNorm) / norm(huge) + tiny[i]!);
    moved.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(2e-6));
    // Alone, the huge user moves the model by exactly clipNorm (to float32 and the encoding).
    const alone = await sy.federated.fedAvg(init.copy(), new sy.FederatedDataset([atU0]), {
      ...one,
      secureAggregation: { parties: workers.slice(0, 2) },
      userLevelDp: { noiseMultiplier: 0, clipNorm },
    });
    expect(Math.abs(norm(minus(valuesOf(alone.model), start)) - clipNorm)).toBeLessThanOrEqual(2e-6);
    both.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('the opened sum carries N(0, (zS)²) on every coordinate: inside the shares, at the aggregator, at the caller', async () => {
    // A model at zero on targets of zero: every gradient, hence every update, is exactly zero, so each round
    // moves the model by (noise)/qW and nothing else.
    const x = tf.randomUniform([8, 66], -1, 1, 'float32', 4);
    const fd = sy.federate(new sy.BaseDataset(x, tf.zeros([8, 32])), workers.slice(0, 2));
    const init = zeroed(sy.nn.linear(66, 32)); // 2144 coordinates
    const [z, clipNorm, rounds] = [1.5, 0.4, 3];
    const sigma = z * clipNorm;
    for (const where of ['secure', 'aggregator', 'owner'] as const) {
      const noise: number[] = [];
      let previous = valuesOf(init);
      await sy.federated.fedAvg(init.copy(), fd, {
        ...plan,
        rounds,
        ...at(where),
        userLevelDp: { noiseMultiplier: z, clipNorm },
        evaluate: (m) => {
          const now = valuesOf(m);
          noise.push(...minus(now, previous).map((v) => v * 2));
          previous = now;
          return {};
        },
      });
      const n = noise.length;
      expect(n).toBe(rounds * 2144);
      const mean = noise.reduce((s, v) => s + v, 0) / n;
      const variance = noise.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
      // Five standard errors: the mean's is σ/√n, the sample variance's σ²·√(2/(n−1)) (≈ 2.5% here, so ±12.5%).
      expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
      expect(Math.abs(variance / sigma ** 2 - 1)).toBeLessThan(5 * Math.sqrt(2 / (n - 1)));
      // Fourth moment of a Gaussian (3σ⁴): the noise is not, say, uniform of the same variance (1.8σ⁴).
      const kurtosis = noise.reduce((s, v) => s + (v - mean) ** 4, 0) / n / variance ** 2;
      expect(Math.abs(kurtosis - 3)).toBeLessThan(0.5);
    }
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('ε after each round is the RDP accountant\'s for (z, q = clientsPerRound/users, rounds); users are sampled independently; nothing left behind', async () => {
    const { x, y } = samples(5, 16);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers);
    // q = 3/4 and z = 4: the accountant's series converge in milliseconds there (at q = 1/2 they take seconds).
    const [z, rounds, delta] = [4, 3, 1e-4];
    const { rounds: results, privacy } = await sy.federated.fedAvg(sy.nn.linear(3, 1), fd, {
      ...plan,
      rounds,
      clientsPerRound: 3,
      secureAggregation: true,
      userLevelDp: { noiseMultiplier: z, clipNorm: 1, delta },
    });
    results.forEach((r, k) => {
      const want = new sy.dp.RdpAccountant().step({ noiseMultiplier: z, sampleRate: 3 / 4 }, k + 1).getEpsilon(delta);
      expect(Math.abs(r.epsilon! - want)).toBeLessThanOrEqual(1e-12);
    });
    expect(results[0]!.epsilon).toBeGreaterThan(0);
    expect(results[rounds - 1]!.epsilon).toBeGreaterThan(results[0]!.epsilon!);
    expect(privacy!.epsilon).toBe(results[rounds - 1]!.epsilon);
    expect(privacy!.accountant.history).toEqual([{ noiseMultiplier: z, sampleRate: 0.75, steps: rounds }]);
    for (const r of results) expect(r.participants.every((p) => ['u0', 'u1', 'u2', 'u3'].includes(p))).toBe(true);
    const stats = await Promise.all([...workers, aggregator].map((w) => w.stats()));
    // Each user holds its data and targets, nothing of any round; the aggregator nothing.
    expect(stats.map((s) => s.objects)).toEqual([2, 2, 2, 2, 0]);
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('Poisson sampling: each user takes part with probability q, so the number per round varies about clientsPerRound', async () => {
    const { x, y } = samples(6, 8);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers);
    const { rounds } = await sy.federated.fedAvg(sy.nn.linear(3, 1), fd, {
      ...plan,
      rounds: 20,
      clientsPerRound: 3,
      userLevelDp: { noiseMultiplier: 4, clipNorm: 1 },
    });
    const counts = rounds.map((r) => r.participants.length);
    // Binomial(4, 3/4) per round: 20 rounds all of one count has probability below 3e-8 for every count.
    expect(new Set(counts).size).toBeGreaterThan(1);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    // Mean 3, standard deviation √(4·3/4·1/4)/√20 ≈ 0.19: five of them.
    expect(Math.abs(mean - 3)).toBeLessThan((5 * Math.sqrt(0.75)) / Math.sqrt(20));
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('record-level dp goes into every local job: noise 0, a clip no gradient reaches and every row sampled is plain FedAvg; the losses are the plain ones', async () => {
    const { x, y } = samples(8, 16);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 2)); // 8 rows each
    const init = sy.nn.linear(3, 1);
    // batchSize = rows: the Poisson rate is 1, so each DP-SGD step takes every row, as a full-batch step does.
    const common = { ...plan, rounds: 2, localEpochs: 3, batchSize: 8 };
    const plain = await sy.federated.fedAvg(init.copy(), fd, common);
    const both = await sy.federated.fedAvg(init.copy(), fd, {
      ...common,
      dp: { noiseMultiplier: 0, maxGradNorm: 1e6 },
      secureAggregation: true,
      userLevelDp: { noiseMultiplier: 0, clipNorm: 1e6 },
    });
    minus(valuesOf(both.model), valuesOf(plain.model)).forEach((d) => expect(Math.abs(d)).toBeLessThanOrEqual(1e-6));
    // Losses are not DP; a worker without a policy returns them (one under denyRawGet keeps them: dp-policy.test.ts).
    both.rounds.forEach((r, k) => expect(r.trainLoss).toBeCloseTo(plain.rounds[k]!.trainLoss, 5));
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });

  test('bad setups are refused at the caller with INVALID_ARGUMENT, naming the option, before anything is sent', async () => {
    const { x, y } = samples(7, 8);
    const fd = sy.federate(new sy.BaseDataset(x, y), workers.slice(0, 2));
    const sent: string[] = [];
    const watch = hook.events$.subscribe((e) => sent.push(e.type));
    const base = { ...plan, rounds: 1 };
    const refused = async (options: Partial<sy.federated.FedAvgOptions<sy.nn.Module>>, pattern: RegExp) => {
      const error = await rejection(sy.federated.fedAvg(sy.nn.linear(3, 1), fd, { ...base, ...options }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(pattern);
    };
    const ok = { noiseMultiplier: 1, clipNorm: 1 };
    await refused({ userLevelDp: { ...ok, clipNorm: 0 } }, /userLevelDp\.clipNorm must be a positive finite number.*got 0/);
    await refused({ userLevelDp: { ...ok, clipNorm: -1 } }, /clipNorm must be a positive/);
    await refused({ userLevelDp: { ...ok, clipNorm: Number.NaN } }, /clipNorm must be a positive/);
    await refused({ userLevelDp: { ...ok, noiseMultiplier: -0.5 } }, /userLevelDp\.noiseMultiplier must be a finite number >= 0.*got -0\.5/);
    await refused({ userLevelDp: { ...ok, delta: 0 } }, /userLevelDp\.delta must be in \(0, 1\/users\) = \(0, 0\.5\) for 2 users/);
    await refused({ userLevelDp: { ...ok, delta: 0.5 } }, /delta must be in \(0, 1\/users\)/);
    await refused({ userLevelDp: ok, clientsPerRound: 3 }, /clientsPerRound 3 is more than the 2 users/);
    await refused({ userLevelDp: { noiseMultiplier: 1e-9, clipNorm: 1e-3 }, secureAggregation: true }, /below one unit of the 24-bit encoding.*precisionFractional/);
    await refused({ userLevelDp: { noiseMultiplier: 0, clipNorm: 1e-9 }, secureAggregation: { precisionFractional: 20 } }, /clipNorm 1e-9 is below the encoding's rounding/);
    await refused({ userLevelDp: ok, secureAggregation: true, aggregator }, /secureAggregation or a trusted aggregator, not both/);
    // Record-level DP in the local jobs: refused by the train job's own check (src/core/specs.ts), at the caller too.
    await refused({ dp: { noiseMultiplier: 1, maxGradNorm: 0 }, batchSize: 2 }, /training job\.dp: \.maxGradNorm: a positive finite number/);
    await refused({ dp: { noiseMultiplier: -1, maxGradNorm: 1 }, batchSize: 2 }, /training job\.dp: \.noiseMultiplier: a finite number >= 0/);
    await refused({ dp: { noiseMultiplier: 1, maxGradNorm: 1 } }, /\.batchSize: a positive integer with dp/);
    watch.unsubscribe();
    expect(sent.filter((t) => t === 'sent')).toEqual([]);
    // secureAggregate's own noise option, checked before anything is shared.
    const update = sy.tensor(tf.ones([2])).send(workers[0]!);
    for (const noise of [-1, Number.NaN, Infinity]) {
      const error = await rejection(sy.federated.secureAggregate([[update]], workers.slice(0, 2), { noise }));
      expect([error.code, error.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/noise must be a finite standard deviation >= 0/)]);
    }
    const small = await rejection(sy.federated.secureAggregate([[update]], workers.slice(0, 2), { noise: 1e-6, precisionFractional: 16 }));
    expect(small.message).toMatch(/noise 0\.000001 split among 2 parties is below one unit of the 16-bit encoding/);
    update.dispose();
    fd.dispose();
    await sy.testing.assertNoLeaks(hook);
  });
});
