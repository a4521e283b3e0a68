/**
 * Federated averaging (McMahan et al.): each round, the model goes to the
 * selected workers, each trains it on its own data for a few local epochs —
 * all at once, one message per worker — and the model owner keeps the
 * average of the results, weighted by sample count. With an `aggregator` the
 * averaging happens at that trusted worker and the owner sees only the mean;
 * with `secureAggregation` it happens on secret shares and no one sees any
 * single worker's update.
 *
 * With `userLevelDp` it is DP-FedAvg (McMahan et al. 2018, ./dp-fed-avg.ts):
 * users sampled by a secret Poisson draw, each update clipped at its worker,
 * Gaussian noise on the sum (inside the shares with secure aggregation), equal
 * weights, and ε reported after every round. With `dp` each local job runs
 * DP-SGD (record-level privacy at each worker).
 */
import { FederatedRoundFailedError, InvalidArgumentError, WorkerTimeoutError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import { moduleFromSpec } from '../nn/from-spec.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { checkTrainJob, type TrainPlan } from '../core/specs.js';
import { createProgress } from '../reporting/progress.js';
import type { RoundResult } from '../reporting/round-result.js';
import type { Location } from '../core/handles.js';
import type { FederatedDataset, WorkerDataset } from './federated-dataset.js';
import { SeededRandom } from '../core/seeded-random.js';
import { averageAtAggregator, type WeightedModel, WeightedSum } from './weighted-average.js';
import { AGGREGATION_BITS, averageSecurely } from './secure-aggregate.js';
import { noGrad } from '../autograd/no-grad.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import {
  applyUpdate,
  checkUserLevelDp,
  clipBoundAtWorker,
  clippedUpdate,
  noisySum,
  type NoisySumAt,
  sampleUsers,
  UserLevelAccountant,
  type UserLevelDp,
  type UserLevelPrivacy,
} from './dp-fed-avg.js';

export interface FedAvgOptions<M extends Module> {
  readonly rounds: number;
  /** Local passes over each worker's data per round. */
  readonly localEpochs?: number;
  /** Local batch size; each worker's whole data per step when left out. */
  readonly batchSize?: number;
  readonly loss: TrainPlan['loss'];
  readonly lossOptions?: TrainPlan['lossOptions'];
  /** The local optimizer, made afresh at each worker every round. */
  readonly optimizer: TrainPlan['optimizer'];
  /**
   * Workers drawn (without replacement, seeded) each round; all by default.
   * With `userLevelDp` it is the expected number: each user takes part with
   * probability q = clientsPerRound/users, drawn from the CSPRNG.
   */
  readonly clientsPerRound?: number;
  /** The trusted aggregator: updates are moved there and averaged; only the average comes home. */
  readonly aggregator?: Location;
  /**
   * Average on secret shares (sy.federated.secureAggregate): no worker and not
   * the owner sees any single worker's update, only the average. `true` shares
   * among all the dataset's workers; or name the parties.
   */
  readonly secureAggregation?: boolean | { readonly parties?: readonly Location[]; readonly precisionFractional?: number };
  /** A worker whose local job takes longer is left out of that round's average. */
  readonly timeoutMs?: number;
  /** Local jobs in flight at once (1: one worker after another). All at once by default. */
  readonly concurrency?: number;
  /** Seeds client sampling and local shuffling (with `userLevelDp` only the shuffling: the user sample must be secret). */
  readonly seed?: number;
  /** Shuffle each worker's rows every local epoch (seeded). */
  readonly shuffle?: boolean;
  /** Measures the averaged model after each round (test accuracy, say). */
  readonly evaluate?: (model: M, round: number) => Partial<Pick<RoundResult, 'trainAccuracy' | 'testAccuracy' | 'testLoss'>> | Promise<Partial<Pick<RoundResult, 'trainAccuracy' | 'testAccuracy' | 'testLoss'>>>;
  readonly onRound?: (result: RoundResult) => void;
  /** A progress bar over rounds (see sy.reporting); off by default. */
  readonly progress?: boolean;
  /**
   * User-level DP-FedAvg: each user's update clipped to `clipNorm` at its
   * worker, Gaussian noise of standard deviation noiseMultiplier·clipNorm on
   * the sum, the model moved by (noisy sum)/clientsPerRound. The noise goes in
   * inside the shares with `secureAggregation` (no one sees the sum without
   * it), at the `aggregator` otherwise, or here at the caller when there is
   * neither (then the caller sees each clipped update). See ./dp-fed-avg.ts.
   */
  readonly userLevelDp?: UserLevelDp;
  /**
   * Record-level DP-SGD in every local job (Opacus's names), passed into each
   * worker's TrainPlan: needs batchSize (the Poisson samples' expected size),
   * not with shuffle. Each worker accounts for its own records.
   */
  readonly dp?: TrainPlan['dp'];
}

export interface FedAvgResult<M extends Module> {
  /** The global model after the last round (local to the caller, the same object that was passed in). */
  readonly model: M;
  readonly rounds: RoundResult[];
  /** With `userLevelDp`: ε after the last round, and the accountant. */
  readonly privacy?: UserLevelPrivacy;
}

interface LocalResult<M extends Module> extends WeightedModel<M> {
  readonly worker: string;
  readonly meanLoss: number;
  /** With userLevelDp: the clipped update, at the worker (the trained copy is released). */
  readonly update?: PointerTensor[];
}

export async function fedAvg<M extends Module>(model: M, dataset: FederatedDataset, options: FedAvgOptions<M>): Promise<FedAvgResult<M>> {
  await dataset.ready();
  checkOptions(model, dataset, options);
  // The targets' shape and dtype decide whether the loss fits them; a pointer that does not know them asks its worker once.
  const targets = await Promise.all(dataset.list().map(async (d) => ({ shape: await d.targets.shapeAsync(), dtype: await d.targets.dtypeAsync() })));
  // The job every worker would run, checked once here: a bad loss name or an empty model fails every worker alike.
  const job = { ...planOf(options, 0), model: model.spec() };
  for (const meta of targets) checkTrainJob('fedAvg', job, meta);
  const random = new SeededRandom(options.seed ?? 0);
  const clients = dataset.list().filter((d) => d.length > 0);
  const dp = options.userLevelDp;
  const sumAt = noisySumAt(options, dataset);
  // q and the fixed denominator qW of the paper's estimator: with equal weights, qW is the expected number of participants.
  const expected = options.clientsPerRound ?? clients.length;
  const accountant = dp === undefined ? undefined : new UserLevelAccountant(dp, expected / clients.length);
  const shapes = model.parameters().map((p) => [...(p as SyftTensor).shape]);
  const clipBound =
    dp === undefined ? undefined : clipBoundAtWorker(dp.clipNorm, coordinatesOf(model), sumAt.kind === 'secure' ? (sumAt.precisionFractional ?? AGGREGATION_BITS) : Infinity);
  const progress = createProgress({ quiet: !options.progress, total: options.rounds, label: 'FedAvg rounds' });
  const rounds: RoundResult[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const started = performance.now();
      const selected =
        accountant !== undefined
          ? sampleUsers(clients, accountant.sampleRate)
          : options.clientsPerRound === undefined
            ? clients
            : random.shuffle([...clients]).slice(0, options.clientsPerRound);
      const seedOfRound = random.int(2 ** 31);
      // Averaged here: each model comes home and is folded in as soon as it is
      // trained, so a round over 10,000 clients never holds 10,000 models at once.
      const mean = dp === undefined && !options.secureAggregation && options.aggregator === undefined ? new OrderedMean(model) : undefined;
      const outcomes = await runLimited(
        selected.map((d, k) => async () => {
          try {
            const result = await trainAt(model, d, options, seedOfRound + k, clipBound);
            if (mean !== undefined) {
              try {
                await result.model.get();
                mean.add(k, result.model, result.weight);
              } finally {
                disposeModule(result.model);
              }
            }
            return result;
          } catch (error) {
            mean?.skip(k);
            throw error;
          }
        }),
        options.concurrency ?? Infinity,
      );
      const trained: LocalResult<M>[] = [];
      const excluded: { worker: string; reason: string }[] = [];
      outcomes.forEach((o, k) => {
        if (o.status === 'fulfilled') trained.push(o.value);
        else excluded.push({ worker: selected[k]!.location.id, reason: reasonOf(o.reason) });
      });
      // Nothing to average: going on would report NaN losses and leave the model as it was, silently.
      // (A DP round that sampled no one still releases its noise, as the accounting assumes.)
      if (trained.length === 0 && !(dp !== undefined && selected.length === 0)) throw new FederatedRoundFailedError(round, excluded);
      let average;
      if (dp !== undefined) {
        const sums = await noisySum(
          trained.map((t) => t.update!),
          shapes,
          sumAt,
          dp.noiseMultiplier * dp.clipNorm,
        );
        average = applyUpdate(model, sums, expected);
      } else if (options.secureAggregation) {
        const secure = options.secureAggregation === true ? {} : options.secureAggregation;
        average = await averageSecurely(trained, secure.parties ?? dataset.workers, secure.precisionFractional === undefined ? {} : { precisionFractional: secure.precisionFractional });
      } else if (options.aggregator === undefined) {
        average = mean!.result();
      } else {
        average = await averageAtAggregator(trained, options.aggregator);
      }
      const previous = model.parameters();
      model.loadStateDict(average);
      for (const p of previous) p.dispose();
      const samples = trained.reduce((s, t) => s + t.weight, 0);
      const epsilon = accountant?.round();
      const result: RoundResult = {
        round,
        trainLoss: trained.reduce((s, t) => s + t.meanLoss * t.weight, 0) / samples,
        ...(await options.evaluate?.(model, round)),
        participants: trained.map((t) => t.worker),
        excluded,
        seconds: (performance.now() - started) / 1000,
        ...(epsilon === undefined ? {} : { epsilon }),
      };
      rounds.push(result);
      options.onRound?.(result);
      progress.tick(round, {
        loss: result.trainLoss.toFixed(4),
        ...(result.testAccuracy === undefined ? {} : { acc: `${(100 * result.testAccuracy).toFixed(2)}%` }),
        ...(epsilon === undefined ? {} : { ε: epsilon.toFixed(3) }),
      });
    }
  } finally {
    progress.stop();
  }
  return { model, rounds, ...(accountant === undefined ? {} : { privacy: accountant.report() }) };
}

/** Where DP-FedAvg's noisy sum is made: on shares, at the aggregator, or here. */
function noisySumAt<M extends Module>(options: FedAvgOptions<M>, dataset: FederatedDataset): NoisySumAt {
  if (options.secureAggregation) {
    const secure = options.secureAggregation === true ? {} : options.secureAggregation;
    return { kind: 'secure', parties: secure.parties ?? dataset.workers, ...(secure.precisionFractional === undefined ? {} : { precisionFractional: secure.precisionFractional }) };
  }
  return options.aggregator === undefined ? { kind: 'owner' } : { kind: 'aggregator', at: options.aggregator };
}

function coordinatesOf(model: Module): number {
  return model.parameters().reduce((n, p) => n + (p as SyftTensor).size, 0);
}

/**
 * One worker's local job: a copy of the model sent there and trained in one
 * message. With `clipBound` (DP-FedAvg) the starting point is kept there too,
 * and what comes back is the clipped update, still at the worker.
 */
async function trainAt<M extends Module>(model: M, d: WorkerDataset, options: FedAvgOptions<M>, seed: number, clipBound?: number): Promise<LocalResult<M>> {
  const local = sendCopy(model, d.location);
  const plan = planOf(options, seed);
  const start = clipBound === undefined ? undefined : noGrad(() => local.parameters().map((p) => (p as PointerTensor).clone() as PointerTensor));
  try {
    const losses = await withTimeout(local.trainOn(d.data, d.targets, plan), options.timeoutMs, d.location.id);
    const step = losses.findIndex((l) => !Number.isFinite(l));
    if (step >= 0) {
      // A diverged model would turn the average into NaN for every worker: it is left out like a failed one.
      throw new InvalidArgumentError(
        `the loss became ${losses[step]} at local step ${step + 1} of ${losses.length} (a learning rate too high, or targets that do not fit the loss)`,
      );
    }
    const perEpoch = Math.ceil(d.length / (options.batchSize ?? d.length));
    const last = losses.slice(-perEpoch);
    const meanLoss = last.reduce((a, b) => a + b, 0) / last.length;
    if (start === undefined) return { worker: d.location.id, model: local, weight: d.length, meanLoss };
    const update = clippedUpdate(local.parameters() as PointerTensor[], start, clipBound!);
    disposeModule(local);
    return { worker: d.location.id, model: local, weight: 1, meanLoss, update };
  } catch (error) {
    disposeModule(local);
    throw error;
  } finally {
    for (const p of start ?? []) if (!p.isDisposed) p.dispose();
  }
}

/**
 * The weighted mean of the round's local models, folded in one at a time in
 * client order (a WeightedSum, divided by the total weight at the end): the
 * order is the clients', not the order their replies arrive, so a seeded run
 * gives the same model every time. A model that comes home before the ones
 * ahead of it waits as plain values (no tensor) until they have.
 */
class OrderedMean {
  readonly #sum: WeightedSum;
  #total = 0;
  #next = 0;
  /** Clients done out of order: their parameter values and weight, or null for one left out. */
  readonly #waiting = new Map<number, { values: Float32Array[]; weight: number } | null>();

  constructor(model: Module) {
    this.#sum = new WeightedSum(model);
  }

  /** Client k's trained model (local now) and its weight; the caller may dispose the model after. */
  add(k: number, trained: Module, weight: number): void {
    const values = trained.parameters().map((p) => Float32Array.from((p as SyftTensor).tensor.dataSync()));
    this.#settle(k, { values, weight });
  }

  /** Client k is left out (its job failed). */
  skip(k: number): void {
    this.#settle(k, null);
  }

  /** The average, as new parameters by name (leaves that require a gradient). */
  result(): Record<string, SyftTensor> {
    return this.#sum.result(this.#total);
  }

  #settle(k: number, entry: { values: Float32Array[]; weight: number } | null): void {
    this.#waiting.set(k, entry);
    while (this.#waiting.has(this.#next)) {
      const ready = this.#waiting.get(this.#next)!;
      this.#waiting.delete(this.#next++);
      if (ready === null) continue;
      this.#total += ready.weight;
      this.#sum.add(ready.values, ready.weight);
    }
  }
}

/**
 * `model.copy().send(location)` without its wasted step: copy() builds a twin
 * with freshly initialized parameters only to replace them, a random init per
 * client (10,000 per round at scale). Here the copies are sent and the module
 * is rebuilt around the pointers, as a worker rebuilds a model it trains
 * (src/nn/from-spec.ts).
 */
function sendCopy<M extends Module>(model: M, location: Location): M {
  const sent = model.parameters().map((p) => {
    const fresh = noGrad(() => new SyftTensor((p as SyftTensor).tensor.clone(), { requiresGrad: true }));
    const pointer = fresh.send(location);
    fresh.dispose();
    return pointer;
  });
  let next = 0;
  return moduleFromSpec(model.spec(), () => sent[next++]!) as M;
}

/** The local job every worker runs in a round. */
function planOf<M extends Module>(options: FedAvgOptions<M>, seed?: number): TrainPlan {
  return {
    loss: options.loss,
    ...(options.lossOptions === undefined ? {} : { lossOptions: options.lossOptions }),
    optimizer: options.optimizer,
    epochs: options.localEpochs ?? 1,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.shuffle && seed !== undefined ? { shuffleSeed: seed } : {}),
    ...(options.dp === undefined ? {} : { dp: options.dp }),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number | undefined, worker: string): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WorkerTimeoutError(worker, 'its local training', ms)), ms);
  });
  // A late result is dropped; its pointers are disposed by the caller's catch.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Runs the jobs with at most `limit` in flight, settling each (a failure never stops the others). */
async function runLimited<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const k = next++;
      try {
        results[k] = { status: 'fulfilled', value: await jobs[k]!() };
      } catch (reason) {
        results[k] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
  return results;
}

function disposeModule(m: Module): void {
  for (const p of m.parameters()) if (!p.isDisposed) p.dispose();
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkOptions<M extends Module>(model: M, dataset: FederatedDataset, o: FedAvgOptions<M>): void {
  const positive = (v: number | undefined) => v === undefined || (Number.isInteger(v) && v > 0);
  if (!(Number.isInteger(o.rounds) && o.rounds > 0)) throw new InvalidArgumentError(`fedAvg: rounds must be a positive integer, got ${o.rounds}.`);
  for (const key of ['localEpochs', 'batchSize', 'clientsPerRound', 'concurrency'] as const) {
    if (!positive(o[key]) && !(key === 'concurrency' && o[key] === Infinity)) {
      throw new InvalidArgumentError(`fedAvg: ${key} must be a positive integer, got ${o[key]}.`);
    }
  }
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw new InvalidArgumentError(`fedAvg: timeoutMs must be positive, got ${o.timeoutMs}.`);
  if (model.location !== undefined) throw new InvalidArgumentError(`fedAvg: the model must be local (it is at ${model.location.id}); get() it first.`);
  if (dataset.length === 0) throw new InvalidArgumentError('fedAvg: the federated dataset holds no samples.');
  // Before any worker is asked anything: the loss name and the model alone.
  checkTrainJob('fedAvg', { ...planOf(o, 0), model: model.spec() });
  if (o.secureAggregation && o.aggregator !== undefined) {
    throw new InvalidArgumentError('fedAvg: choose secureAggregation or a trusted aggregator, not both.');
  }
  if (o.secureAggregation) {
    const parties = (o.secureAggregation === true ? undefined : o.secureAggregation.parties) ?? dataset.workers;
    if (parties.length < 2) throw new InvalidArgumentError(`fedAvg: secure aggregation needs at least 2 parties, got ${parties.length}.`);
  }
  if (o.userLevelDp !== undefined) {
    const users = dataset.list().filter((d) => d.length > 0).length;
    checkUserLevelDp(o.userLevelDp, users, o.clientsPerRound, noisySumAt(o, dataset), coordinatesOf(model));
  }
}
