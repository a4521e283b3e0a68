/**
 * PATE's analysis (src/dp/pate.ts) against PySyft 0.2.9's numbers: its
 * test_pate.py setup (100 teachers, 50 examples, 10 labels, the first 10
 * examples unanimous) and the course notebook's (100 examples, the first 50
 * unanimous), whose results depend only on the unanimous rows the queries
 * read, so they are reproduced exactly without numpy's random stream.
 */
import { expect, test } from 'vitest';
import { logMgfExact, noisyMaxQ, performAnalysis } from '../../src/dp/pate.js';

/** Teachers' votes: every teacher votes 0 on the first `unanimous` examples, labels cycling elsewhere (all 10 occur). */
function votes(teachers: number, examples: number, unanimous: number): number[][] {
  return Array.from({ length: teachers }, (_, t) => Array.from({ length: examples }, (_, i) => (i < unanimous ? 0 : (t + 3 * i) % 10)));
}

test("PySyft's test_pate setup: data-dependent 1.4828339080100443, data-independent 7.837641821656743", () => {
  const indices = Array.from({ length: 50 }, (_, i) => i % 10);
  const { dataDepEps, dataIndEps } = performAnalysis({ teacherPreds: votes(100, 50, 10), indices, noiseEps: 0.1, delta: 1e-5 });
  expect(dataDepEps).toBeCloseTo(1.4828339080100443, 12);
  expect(dataIndEps).toBeCloseTo(7.837641821656743, 12);
  expect(dataDepEps).toBeLessThan(dataIndEps);
});

test("the course notebook's figures: 1.52655213289881 and 11.756462732485115 (8 moments), 0.9029013677789841 with 20", () => {
  const teacherPreds = votes(100, 100, 50);
  const indices = Array.from({ length: 100 }, (_, i) => (7 * i) % 10);
  const eight = performAnalysis({ teacherPreds, indices, noiseEps: 0.1, delta: 1e-5 });
  expect(eight.dataDepEps).toBeCloseTo(1.52655213289881, 12);
  expect(eight.dataIndEps).toBeCloseTo(11.756462732485115, 12);
  expect(performAnalysis({ teacherPreds, indices, noiseEps: 0.1, delta: 1e-5, moments: 20 }).dataDepEps).toBeCloseTo(0.9029013677789841, 12);
});

test('the pieces: q of a unanimous vote (9·12/(4e^10)), and the data-independent moment min(0.02·l(l+1), 0.2·l)', () => {
  expect(noisyMaxQ([100, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.1)).toBeCloseTo(0.001225798103587091, 15);
  for (const l of [1, 3, 9, 12]) expect(logMgfExact(1, 0.2, l)).toBeCloseTo(Math.min(0.02 * l * (l + 1), 0.2 * l), 14);
});

test('bad input is refused with a coded error', () => {
  expect(() => performAnalysis({ teacherPreds: [[0, 1]], indices: [0], noiseEps: 0.1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  expect(() => performAnalysis({ teacherPreds: [[0, 2]], indices: [0, 1], noiseEps: 0.1 })).toThrow(/none missing/);
});
