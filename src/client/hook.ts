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
import { HostConnection, type TransportStats } from './host-connection.js';
import { isWireEncoding, type WireEncoding, wireFromEnvironment } from '../transport/wire.js';
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
  const backend = options.backend !== undefined ? await useBackend(options.backend) : await selectBackend();
  addVerbsToTfTensors([tf.Tensor.prototype, tfNamespace?.Tensor.prototype]);
  return new Hook(backend, wire);
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

  /** @internal Use sy.hook(tf). */
  constructor(backend: BackendName, wire: WireEncoding) {
    this.backend = backend;
    this.wire = wire;
  }

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
          return HostConnection.start(new ThreadTransport(name, this.wire), this.backend, this.#bus).then((t) => {
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
    const total: TransportStats = { messages: 0, tensorBytesOut: 0, tensorBytesIn: 0 };
    for (const t of this.#threads) {
      const s = t.stats;
      total.messages += s.messages;
      total.tensorBytesOut += s.tensorBytesOut;
      total.tensorBytesIn += s.tensorBytesIn;
    }
    return total;
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
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidArgumentError(`A worker id must be a non-empty string, got ${JSON.stringify(id) ?? String(id)}.`);
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
