/**
 * How samples are split among workers. Every partition is a list of sample
 * indices per worker in which every sample appears exactly once.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { SeededRandom } from '../core/seeded-random.js';

export type Partition =
  /** Contiguous, as even as possible, in dataset order (PySyft's dataset.federate). */
  | 'even'
  /** Shuffled, then even. */
  | 'iid'
  /** Sorted by label and cut into `shardsPerWorker` shards per worker, dealt at random (McMahan et al.'s non-iid split). */
  | { readonly byLabel: { readonly shardsPerWorker: number } }
  /** For every class, the share of each worker drawn from Dirichlet(alpha): small alpha, skewed workers. */
  | { readonly dirichlet: number }
  /** Explicit sample indices per worker. */
  | ReadonlyArray<readonly number[]>;

export interface PartitionOptions {
  readonly partition?: Partition;
  /** Seed for iid, byLabel and dirichlet. */
  readonly seed?: number;
}

/** Sample indices per worker. `labels` is needed by the label-based partitions. */
export function partitionIndices(length: number, workers: number, options: PartitionOptions, labels?: () => Int32Array): number[][] {
  if (!(Number.isInteger(workers) && workers > 0)) throw new InvalidArgumentError(`federate: need at least one worker, got ${workers}.`);
  const partition = options.partition ?? 'even';
  const random = new SeededRandom(options.seed ?? 0);
  const all = () => Array.from({ length }, (_, i) => i);
  if (partition === 'even') return evenSplit(all(), workers);
  if (partition === 'iid') return evenSplit(random.shuffle(all()), workers);
  if (Array.isArray(partition)) return checkedExplicit(partition as ReadonlyArray<readonly number[]>, length, workers);
  const labelsOf = (): Int32Array => {
    if (labels === undefined) throw new InvalidArgumentError(`federate: the ${Object.keys(partition)[0]} partition needs the samples' labels.`);
    const values = labels();
    if (values.length !== length) throw new InvalidArgumentError(`federate: ${values.length} labels for ${length} samples.`);
    return values;
  };
  if ('byLabel' in partition) return byLabel(labelsOf, workers, partition.byLabel.shardsPerWorker, random);
  if ('dirichlet' in partition) return dirichlet(labelsOf, workers, partition.dirichlet, random);
  throw new InvalidArgumentError(`federate: unknown partition ${JSON.stringify(partition)}; use 'even', 'iid', { byLabel }, { dirichlet } or index lists.`);
}

function evenSplit(order: number[], parts: number): number[][] {
  const base = Math.floor(order.length / parts);
  const extra = order.length % parts;
  const out: number[][] = [];
  let at = 0;
  for (let k = 0; k < parts; k++) {
    const size = base + (k < extra ? 1 : 0);
    out.push(order.slice(at, at + size));
    at += size;
  }
  return out;
}

function checkedExplicit(parts: ReadonlyArray<readonly number[]>, length: number, workers: number): number[][] {
  if (parts.length !== workers) throw new InvalidArgumentError(`federate: ${parts.length} index lists for ${workers} workers; give one list per worker.`);
  const seen = new Uint8Array(length);
  for (const part of parts) {
    for (const i of part) {
      if (!(Number.isInteger(i) && i >= 0 && i < length)) throw new InvalidArgumentError(`federate: sample index ${i} is not in 0..${length - 1}.`);
      if (seen[i]) throw new InvalidArgumentError(`federate: sample ${i} is given to two workers; every sample goes to exactly one.`);
      seen[i] = 1;
    }
  }
  const missing = seen.indexOf(0);
  if (missing !== -1) throw new InvalidArgumentError(`federate: sample ${missing} is given to no worker; every sample goes to exactly one.`);
  return parts.map((p) => [...p]);
}

function byLabel(labelsOf: () => Int32Array, workers: number, shardsPerWorker: number, random: SeededRandom): number[][] {
  if (!(Number.isInteger(shardsPerWorker) && shardsPerWorker > 0)) {
    throw new InvalidArgumentError(`federate: byLabel.shardsPerWorker must be a positive integer, got ${shardsPerWorker}.`);
  }
  const labels = labelsOf();
  // Stable sort by label, so equal labels keep dataset order.
  const sorted = Array.from(labels.keys()).sort((a, b) => labels[a]! - labels[b]! || a - b);
  const shards = evenSplit(sorted, workers * shardsPerWorker);
  const dealt = random.permutation(shards.length);
  return Array.from({ length: workers }, (_, k) => dealt.slice(k * shardsPerWorker, (k + 1) * shardsPerWorker).flatMap((s) => shards[s]!));
}

function dirichlet(labelsOf: () => Int32Array, workers: number, alpha: number, random: SeededRandom): number[][] {
  if (!(alpha > 0)) throw new InvalidArgumentError(`federate: dirichlet alpha must be positive, got ${alpha}.`);
  const labels = labelsOf();
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = byClass.get(label);
    if (list === undefined) byClass.set(label, [i]);
    else list.push(i);
  });
  const out: number[][] = Array.from({ length: workers }, () => []);
  for (const indices of [...byClass.entries()].sort(([a], [b]) => a - b).map(([, v]) => random.shuffle(v))) {
    const draws = Array.from({ length: workers }, () => random.gamma(alpha));
    const total = draws.reduce((a, b) => a + b, 0);
    let at = 0;
    let cumulative = 0;
    draws.forEach((d, k) => {
      cumulative += d / total;
      const end = k === workers - 1 ? indices.length : Math.round(cumulative * indices.length);
      out[k]!.push(...indices.slice(at, end));
      at = Math.max(at, end);
    });
  }
  return out;
}
