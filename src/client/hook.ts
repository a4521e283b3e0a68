/**
 * `sy.hook(tf)` starts the runtime (PySyft's `sy.TorchHook(torch)`): it picks
 * the tfjs backend, adds `.send()`, `.fixPrecision()` and `.share()` to `tf.Tensor`, and from then on makes
 * virtual workers, each an actor with its own store on a worker thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import type { Observable } from 'rxjs';
import { type BackendName, isBackendName, selectBackend, useBackend } from '../core/backend.js';
import { DuplicateWorkerError, InvalidArgumentError, RuntimeShutDownError } from '../core/errors.js';
import { EventBus, type LifecycleEvent } from './event-bus.js';
import { type BackpressureLimits, DEFAULT_BACKPRESSURE, HostConnection, type TransportStats } from './host-connection.js';
import { isWireEncoding, type WireEncoding, wireFromEnvironment } from '../transport/wire.js';
import { MAX_NAME_LENGTH } from '../core/wire-schema.js';
import { LocalWorker } from './local-worker.js';
import { ThreadTransport } from './thread-transport.js';
import { addVerbsToTfTensors } from './verbs.js';
import { VirtualWorker } from './virtual-worker.js';

export interface HookOptions {
  /** Force a backend; otherwise SYFT_BACKEND, otherwise the best that loads. */
  readonly backend?: BackendName;
  /**
   * How messages reach the hosts: 'clone' (structured clone, tensor buffers
   * moved: the default) or 'bytes' (every message encoded to one buffer, as a
   * network connection needs). Otherwise SYFT_WIRE, otherwise 'clone'.
   */
  readonly wire?: WireEncoding;
  /**
   * The last line of defence against a wait that cannot end: how long a worker
   * waits for an object announced from another worker (a move, a share, a
   * Beaver triple) before its readers fail with WORKER_TIMEOUT. A worker that
   * dies fails them at once; this bounds everything else (a sender stuck in a
   * kernel, a lost message). Otherwise SYFT_WAIT_TIMEOUT_MS, otherwise 5 minutes.
   */
  readonly waitTimeoutMs?: number;
  /**
   * How far the caller may run ahead of a worker thread: commands (and tensor
   * bytes) sent and not yet finished there. Past it, issuing an op blocks until
   * the thread catches up (see src/client/host-connection.ts). Defaults keep
   * the queued work under about 64 MB.
   */
  readonly backpressure?: { readonly commands?: number; readonly bytes?: number };
}

const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;

function waitTimeoutFrom(options: HookOptions): number {
  const fromEnv = process.env.SYFT_WAIT_TIMEOUT_MS;
  const ms = options.waitTimeoutMs ?? (fromEnv === undefined || fromEnv === '' ? DEFAULT_WAIT_TIMEOUT_MS : Number(fromEnv));
  // setTimeout fires at once past 2^31 - 1 ms.
  if (!(Number.isInteger(ms) && ms > 0 && ms < 2 ** 31)) {
    throw new InvalidArgumentError(`sy.hook: waitTimeoutMs (or SYFT_WAIT_TIMEOUT_MS) must be a positive integer of milliseconds below 2^31, got ${String(ms)}.`);
  }
  return ms;
}

export interface VirtualWorkersOptions {
  /** How many threads host the actors (round-robin). Default: one per core. */
  readonly threads?: number;
}

/** The tf namespace a user passes in: `@tensorflow/tfjs`, `-core` or `-node`. */
export interface TfNamespace {
  readonly Tensor: abstract new (...args: never[]) => unknown;
}

export async function hook(tfNamespace?: TfNamespace, options: HookOptions = {}): Promise<Hook> {
  if (tfNamespace !== undefined && typeof tfNamespace?.Tensor !== 'function') {
    throw new InvalidArgumentError('sy.hook(tf) expects the tfjs namespace: import * as tf from "@tensorflow/tfjs".');
  }
  if (options.backend !== undefined && !isBackendName(options.backend)) {
    throw new InvalidArgumentError(`sy.hook: unknown backend '${options.backend}'; use 'tensorflow', 'wasm' or 'cpu'.`);
  }
  if (options.wire !== undefined && !isWireEncoding(options.wire)) {
    throw new InvalidArgumentError(`sy.hook: unknown wire encoding '${String(options.wire)}'; use 'clone' or 'bytes'.`);
  }
  const wire = options.wire ?? wireFromEnvironment();
  const waitTimeoutMs = waitTimeoutFrom(options);
  const backend = options.backend !== undefined ? await useBackend(options.backend) : await selectBackend();
  addVerbsToTfTensors([tf.Tensor.prototype, tfNamespace?.Tensor.prototype]);
  const limits = { ...DEFAULT_BACKPRESSURE, ...options.backpressure, timeoutMs: waitTimeoutMs };
  for (const key of ['commands', 'bytes'] as const) {
    if (!(Number.isSafeInteger(limits[key]) && limits[key] >= 2)) {
      throw new InvalidArgumentError(`sy.hook: backpressure.${key} must be an integer of at least 2, got ${String(limits[key])}.`);
    }
  }
  return new Hook(backend, wire, waitTimeoutMs, limits);
}

export class Hook {
  /** The tfjs backend in use on the main thread and in every actor thread. */
  readonly backend: BackendName;
  /** The local worker, 'me': owner of every pointer. */
  readonly localWorker = new LocalWorker();
  readonly #bus = new EventBus();
  readonly #workers = new Map<string, VirtualWorker>();
  /** Ids being created right now, so two concurrent creations of 'bob' cannot both succeed. */
  readonly #reserved = new Set<string>();
  readonly #threads: HostConnection[] = [];
  #threadCount = 0;
  #creating: Promise<void> = Promise.resolve();
  #shutDown = false;

  /** How messages reach the hosts (see HookOptions.wire). */
  readonly wire: WireEncoding;

  /** How long a worker waits for an object from another worker (see HookOptions.waitTimeoutMs). */
  readonly waitTimeoutMs: number;

  /** @internal Use sy.hook(tf). */
  constructor(backend: BackendName, wire: WireEncoding, waitTimeoutMs: number, backpressure: BackpressureLimits) {
    this.backend = backend;
    this.wire = wire;
    this.waitTimeoutMs = waitTimeoutMs;
    this.#backpressure = backpressure;
  }

  readonly #backpressure: BackpressureLimits;

  /** Every lifecycle event of every remote object (stored, deleted, sent, fetched, collected, error). */
  get events$(): Observable<LifecycleEvent> {
    return this.#bus.events$;
  }

  get workers(): ReadonlyMap<string, VirtualWorker> {
    return this.#workers;
  }

  /** A virtual worker on a thread of its own. */
  async virtualWorker(id: string): Promise<VirtualWorker> {
    const [worker] = await this.virtualWorkers([id], { threads: 1 });
    return worker!;
  }

  /**
   * Many virtual workers placed round-robin on `threads` new threads (default:
   * one per core). Each keeps its own store; a thread costs ~20 MB and ~100 ms,
   * an actor almost nothing, so hundreds of workers should share threads.
   */
  async virtualWorkers<const Ids extends readonly string[]>(
    ids: Ids,
    options: VirtualWorkersOptions = {},
  ): Promise<{ -readonly [K in keyof Ids]: VirtualWorker }> {
    this.#assertRunning('virtualWorkers');
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      throw new InvalidArgumentError(`virtualWorkers: options.threads must be a positive integer, got ${String(threads)}.`);
    }
    if (!Array.isArray(ids) || ids.length === 0) {
      throw new InvalidArgumentError('virtualWorkers expects a non-empty array of worker ids, e.g. ["bob", "alice"].');
    }
    ids.forEach((id) => this.#checkNewId(id, ids));
    for (const id of ids) this.#reserved.add(id);
    // One creation at a time: each new thread must be linked to every thread
    // that exists, including those another call is starting right now.
    const turn = this.#creating.then(() => this.#createWorkers(ids, threads));
    this.#creating = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn as Promise<{ -readonly [K in keyof Ids]: VirtualWorker }>;
  }

  async #createWorkers(ids: readonly string[], threads: number): Promise<VirtualWorker[]> {
    try {
      const existing = this.#threads.filter((t) => t.isAlive);
      const started = await Promise.all(
        Array.from({ length: Math.min(threads, ids.length) }, () => {
          const name = `syft-thread-${++this.#threadCount}`;
          return HostConnection.start(new ThreadTransport(name, this.wire), { backend: this.backend, waitTimeoutMs: this.waitTimeoutMs }, this.#bus, {
            backpressure: this.#backpressure,
            flushAll: () => {
              for (const t of this.#threads) if (t.isAlive) t.flush();
            },
          }).then((t) => {
            this.#threads.push(t);
            return t;
          });
        }),
      );
      // Every pair of threads gets a direct channel, so workers move data between
      // themselves without the main thread.
      await Promise.all(
        started.flatMap((t, i) => [...existing, ...started.slice(0, i)].map((other) => t.connect(other))),
      );
      this.#assertRunning('virtualWorkers');
      const workers = await Promise.all(
        ids.map(async (id, i) => {
          const thread = started[i % started.length]!;
          await thread.spawn(id);
          return new VirtualWorker(id, thread, this.localWorker, this.#bus, () => this.settle());
        }),
      );
      this.#assertRunning('virtualWorkers');
      for (const w of workers) this.#workers.set(w.id, w);
      return workers;
    } finally {
      for (const id of ids) this.#reserved.delete(id);
    }
  }

  /** The virtual worker with this id. */
  worker(id: string): VirtualWorker {
    const w = this.#workers.get(id);
    if (w === undefined) {
      throw new InvalidArgumentError(
        `No virtual worker '${id}' on this hook; known: ${[...this.#workers.keys()].join(', ') || 'none'}.`,
      );
    }
    return w;
  }

  /**
   * Resolves once every command issued so far has taken effect everywhere,
   * including the work workers forward to each other (chains, moves).
   */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#workers.values()].filter((w) => w.host.isAlive).map((w) => w.sync()));
  }

  /**
   * Messages and tensor bytes that crossed between the main thread and the actor
   * threads. Moves between workers do not appear here: they go thread to thread.
   */
  transportStats(): TransportStats {
    const total: TransportStats = { messages: 0, tensorBytesOut: 0, tensorBytesIn: 0, backpressureWaits: 0, backpressureMs: 0, maxUnfinished: 0 };
    for (const t of this.#threads) {
      const s = t.stats;
      total.messages += s.messages;
      total.tensorBytesOut += s.tensorBytesOut;
      total.tensorBytesIn += s.tensorBytesIn;
      total.backpressureWaits += s.backpressureWaits;
      total.backpressureMs += s.backpressureMs;
      total.maxUnfinished = Math.max(total.maxUnfinished, s.maxUnfinished);
    }
    return total;
  }

  /**
   * Resolves once every worker thread has finished every command sent to it
   * (not what workers forward to each other: that is settle()). The async
   * form of backpressure, for a loop that issues ops faster than workers run them.
   */
  async drain(): Promise<void> {
    await Promise.all(this.#threads.filter((t) => t.isAlive).map((t) => t.drain()));
  }

  /** Stops every actor thread. Pending and later calls reject with RuntimeShutDownError. */
  async shutdown(): Promise<void> {
    if (this.#shutDown) return;
    this.#shutDown = true;
    await Promise.all(this.#threads.map((t) => t.terminate()));
    this.#bus.complete();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #checkNewId(id: unknown, all: readonly unknown[]): void {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_NAME_LENGTH) {
      const shown = typeof id === 'string' && id.length > MAX_NAME_LENGTH ? `a string of ${id.length} characters` : (JSON.stringify(id) ?? String(id));
      throw new InvalidArgumentError(`A worker id must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${shown}.`);
    }
    if (id === this.localWorker.id) {
      throw new InvalidArgumentError(`'${id}' is the local worker's id (hook.localWorker); choose another id.`);
    }
    if (this.#workers.has(id) || this.#reserved.has(id) || all.indexOf(id) !== all.lastIndexOf(id)) {
      throw new DuplicateWorkerError(id);
    }
  }

  #assertRunning(what: string): void {
    if (this.#shutDown) throw new RuntimeShutDownError(what);
  }
}
