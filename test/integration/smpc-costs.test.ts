/**
 * Communication accounting (src/smpc/costs.ts): sy.smpc.costs reports the
 * rounds and bytes the protocols' numbered-step comments promise; hook.events$
 * carries the same figures; and every party's own count of what it sent
 * agrees with them.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { startHook } from '../support/runtime.js';

let hook: sy.Hook;
let workers: sy.VirtualWorker[];

beforeAll(async () => {
  hook = await startHook();
  workers = await hook.virtualWorkers(['c0', 'c1', 'c2', 'cdealer']);
});
afterAll(() => hook.shutdown());

async function sentByParties(parties: readonly sy.VirtualWorker[]): Promise<number> {
  const stats = await Promise.all(parties.map((w) => w.stats()));
  return stats.reduce((n, s) => n + s.smpcSent.bytes, 0);
}

for (const n of [2, 3]) {
  test(`${n} parties: a private mul costs 2 rounds, relu 8, with the bytes the protocol comments give; events and parties agree`, async () => {
    const parties = workers.slice(0, n);
    const dealer = workers[3]!;
    const size = 6;
    const x = sy.fixPrecision([1, -2, 3, -4, 5, 0]).share(...parties, { cryptoProvider: dealer });
    const y = sy.fixPrecision([2, 2, 2, 2, 2, 2]).share(...parties, { cryptoProvider: dealer });
    const events: { type: string; bytes?: number }[] = [];
    const sub = hook.events$.subscribe((e) => {
      if (e.type === 'smpc-open' || e.type === 'smpc-deal') events.push(e);
    });
    const before = await sentByParties(parties);
    const pairs = n * (n - 1);

    const mul = await sy.smpc.costs(async () => (await x.mul(y).get()).floatPrecision().arraySync());
    expect(mul.result).toEqual([2, -4, 6, -8, 10, 0]);
    expect(mul.rounds).toBe(2);
    expect(mul.steps).toEqual({ mul: { rounds: 1, bytes: 2 * size * 8 * pairs }, truncation: { rounds: 1, bytes: size * 8 * pairs } });
    // A triple (3 words) and a truncation mask (3 words) per element, to each party.
    expect(mul.dealerBytes).toBe((3 + 3) * size * 8 * n);

    const relu = await sy.smpc.costs(async () => (await (sy.relu(x as never) as unknown as sy.AdditiveSharingTensor).get()).floatPrecision().arraySync());
    expect(relu.result).toEqual([1, 0, 3, 0, 5, 0]);
    expect(relu.rounds).toBe(8);
    // 2 (x + r and the product's x - a) + (5·3 + 2) + 1 words per element, all in the comparison's rounds.
    expect(relu.steps).toEqual({ comparison: { rounds: 8, bytes: 20 * size * 8 * pairs } });

    await parties[0]!.stats(); // let every party run what was issued
    const partiesSent = (await sentByParties(parties)) - before;
    sub.unsubscribe();
    const opened = events.filter((e) => e.type === 'smpc-open').reduce((s, e) => s + e.bytes!, 0);
    const dealt = events.filter((e) => e.type === 'smpc-deal').reduce((s, e) => s + e.bytes!, 0);
    expect(opened).toBe(mul.bytes + relu.bytes);
    expect(dealt).toBe(mul.dealerBytes + relu.dealerBytes);
    expect(partiesSent).toBe(mul.bytes + relu.bytes);
    x.dispose();
    y.dispose();
    for (const w of workers) expect((await w.stats()).objects).toBe(0);
  });
}

test('offline phase: material dealt ahead for 3 steps is consumed by them, and the online steps send the dealer nothing', async () => {
  const parties = workers.slice(0, 2);
  const dealer = workers[3]!;
  const x = sy.fixPrecision([[1, -2, 3], [-4, 5, 0]] as never).share(...parties, { cryptoProvider: dealer });
  const w = sy.fixPrecision([[0.5], [1], [-1]] as never).share(...parties, { cryptoProvider: dealer });
  const step = async (): Promise<number[][]> => {
    const z = x.matMul(w);
    const h = sy.relu(z as never) as unknown as sy.AdditiveSharingTensor;
    z.dispose();
    return (await h.get()).floatPrecision().arraySync() as number[][];
  };
  const plan = await sy.smpc.costs(step);
  expect(plan.result).toEqual([[0], [3]]);
  expect(plan.deals.map((d) => d.request.kind)).toEqual(['matMul', 'truncation', 'comparisonProduct']);

  await sy.smpc.preprocess(plan.deals, { times: 3 });
  expect(sy.smpc.preprocessedCount()).toBe(9);
  const deals: unknown[] = [];
  const sub = hook.events$.subscribe((e) => {
    if (e.type === 'smpc-deal') deals.push(e);
  });
  for (let i = 0; i < 3; i++) {
    const online = await sy.smpc.costs(step);
    expect(online.result).toEqual([[0], [3]]);
    expect(online.dealerBytes).toBe(0);
  }
  sub.unsubscribe();
  expect(deals).toEqual([]);
  expect(sy.smpc.preprocessedCount()).toBe(0);
  // A fourth step finds no stock and asks the dealer again.
  expect((await sy.smpc.costs(step)).dealerBytes).toBeGreaterThan(0);

  await sy.smpc.preprocess(plan.deals, { times: 1 });
  sy.smpc.discardPreprocessed();
  x.dispose();
  w.dispose();
  for (const worker of workers) expect([worker.id, (await worker.stats()).objects]).toEqual([worker.id, 0]);
});

test('open() of a tensor whose shape is known is counted as one round of its words', async () => {
  const parties = workers.slice(0, 3);
  const x = sy.fixPrecision([1, 2, 3, 4]).share(...parties, { cryptoProvider: workers[3]! });
  const c = await sy.smpc.costs(async () => (await x.open()).floatPrecision().arraySync());
  expect(c).toMatchObject({ result: [1, 2, 3, 4], rounds: 1, bytes: 4 * 8 * 3 * 2, steps: { open: { rounds: 1, bytes: 4 * 8 * 3 * 2 } } });
  x.dispose();
  await parties[0]!.stats();
});
