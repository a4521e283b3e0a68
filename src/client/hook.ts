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
import type { HostTransport } from './host-connection.js';
import { DEFAULT_RECONNECT, type Dial, type ReconnectOptions, RemoteTransport } from './remote-transport.js';
import { checkConnectOptions, type ConnectOptions, connectToNats, type NatsNetwork, type NatsOptions } from './remote-options.js';
import type { PeerAddress } from '../core/protocol.js';
import { dialWs } from '../transport/ws-link.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { spawnWorker } from './worker-process.js';
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
  /**
   * Where virtual workers' hosts run: 'threads' of this process (the default),
   * or 'processes': child processes reached over loopback WebSocket, exactly
   * as workers on other machines are (the same links, sessions and faults).
   * Otherwise SYFT_HOSTS, otherwise 'threads'.
   */
  readonly hosts?: HostKind;
}

export type HostKind = 'threads' | 'processes';

function hostsFrom(options: HookOptions): HostKind {
  const hosts = options.hosts ?? (process.env.SYFT_HOSTS === undefined || process.env.SYFT_HOSTS === '' ? 'threads' : process.env.SYFT_HOSTS);
  if (hosts !== 'threads' && hosts !== 'processes') {
    throw new InvalidArgumentError(`sy.hook: hosts (or SYFT_HOSTS) must be 'threads' or 'processes', got '${String(hosts)}'.`);
  }
  return hosts;
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

/** Ids registered per message: one message stays well under a megabyte. */
const SPAWN_CHUNK = 20_000;

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
  return new Hook(backend, wire, waitTimeoutMs, limits, hostsFrom(options));
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
  /**
   * Workers sent a command since the last settle() took them: only these can
   * have work in flight (a worker that was never commanded forwarded nothing),
   * so settle() syncs them and not every idle one of 100,000.
   */
  readonly #used = new Set<VirtualWorker>();
  /** Settles once every settle() called so far has: a later settle() waits for the earlier ones' syncs too. */
  #settled: Promise<unknown> = Promise.resolve();
  readonly #markUsed = (worker: VirtualWorker): void => {
    this.#used.add(worker);
  };
  /** Connections to workers in other processes (linked to each other, never to threads). */
  readonly #remote = new Set<HostConnection>();
  readonly #natsConnections = new Set<NatsConnection>();
  #threadCount = 0;
  #creating: Promise<void> = Promise.resolve();
  #shutDown = false;

  /** Where virtual workers' hosts run (see HookOptions.hosts). */
  readonly hosts: HostKind;

  /** How messages reach the hosts (see HookOptions.wire). */
  readonly wire: WireEncoding;

  /** How long a worker waits for an object from another worker (see HookOptions.waitTimeoutMs). */
  readonly waitTimeoutMs: number;

  /** @internal Use sy.hook(tf). */
  constructor(backend: BackendName, wire: WireEncoding, waitTimeoutMs: number, backpressure: BackpressureLimits, hosts: HostKind = 'threads') {
    this.backend = backend;
    this.hosts = hosts;
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
    // A set, not indexOf per id: checking 100,000 ids pairwise took longer than starting them.
    const seen = new Set<unknown>();
    for (const id of ids) {
      this.#checkNewId(id);
      if (seen.has(id)) throw new DuplicateWorkerError(id as string);
      seen.add(id);
    }
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
      const processes = this.hosts === 'processes';
      const existing = this.#threads.filter((t) => t.isAlive && this.#remote.has(t) === processes);
      const started = await Promise.all(
        Array.from({ length: Math.min(threads, ids.length) }, () => {
          const name = `syft-${processes ? 'process' : 'thread'}-${++this.#threadCount}`;
          return processes ? this.#startProcess(name) : this.#start(new ThreadTransport(name, this.wire));
        }),
      );
      // Every pair of hosts gets a direct channel, so workers move data between
      // themselves without the main thread. (Threads and processes cannot reach each other.)
      await Promise.all(started.flatMap((t, i) => [...existing, ...started.slice(0, i)].map((other) => t.connect(other))));
      this.#assertRunning('virtualWorkers');
      const placed = started.map(() => [] as string[]);
      ids.forEach((id, i) => placed[i % started.length]!.push(id));
      await Promise.all(started.map((thread, t) => this.#spawnAll(thread, placed[t]!)));
      this.#assertRunning('virtualWorkers');
      const settleAll = (): Promise<void> => this.settle();
      const workers = ids.map((id, i) => new VirtualWorker(id, started[i % started.length]!, this.localWorker, this.#bus, settleAll, this.#markUsed));
      for (const w of workers) this.#workers.set(w.id, w);
      return workers;
    } finally {
      for (const id of ids) this.#reserved.delete(id);
    }
  }

  /** Registers `ids` at a new host, in messages of SPAWN_CHUNK ids. */
  async #spawnAll(connection: HostConnection, ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += SPAWN_CHUNK) await connection.spawnAll(ids.slice(start, start + SPAWN_CHUNK));
  }

  async #start(transport: HostTransport): Promise<HostConnection> {
    const connection = await HostConnection.start(transport, { backend: this.backend, waitTimeoutMs: this.waitTimeoutMs }, this.#bus, {
      backpressure: this.#backpressure,
      flushAll: () => {
        for (const t of this.#threads) if (t.isAlive) t.flush();
      },
    });
    this.#threads.push(connection);
    return connection;
  }

  /** A host in a child process, reached over loopback WebSocket (HookOptions.hosts = 'processes'). */
  async #startProcess(name: string): Promise<HostConnection> {
    const child = await spawnWorker(name, { graceMs: 10_000 });
    const url = child.url!;
    try {
      const transport = await RemoteTransport.open(name, { kind: 'ws', url, worker: name }, (hello) => dialWs(url, hello), child.token, DEFAULT_RECONNECT, child);
      const connection = await this.#start(transport);
      this.#remote.add(connection);
      return connection;
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  /**
   * A worker in another process, reached over WebSocket (PySyft's
   * `WebsocketClientWorker`): `await hook.connect('ws://127.0.0.1:8777', { id: 'bob', token })`
   * for a worker started with `npx syft-ts worker --id bob --port 8777`. It does
   * everything a virtual worker does; moves and share openings between two
   * remote workers go directly between them.
   */
  async connect(url: string, options: ConnectOptions): Promise<VirtualWorker> {
    this.#assertRunning('connect');
    if (typeof url !== 'string' || !/^wss?:\/\/[^/]+/.test(url)) {
      throw new InvalidArgumentError(`hook.connect: '${String(url)}' is not a WebSocket address; use ws://host:port (or wss:// with TLS).`);
    }
    const { id, token } = checkConnectOptions('connect', options);
    this.#checkNewId(id);
    const dialOptions = { ...(options.ca === undefined ? {} : { ca: options.ca }), ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }) };
    return this.#attachRemote(id, { kind: 'ws', url, worker: id }, (hello) => dialWs(url, hello, dialOptions), token, options);
  }

  /**
   * A NATS server or cluster on which workers (`npx syft-ts worker --id bob
   * --nats nats://…`) wait: `(await hook.connectNats(url)).worker('bob', { token })`
   * reaches bob on whichever node he is attached to.
   */
  async connectNats(url: string, options: NatsOptions = {}): Promise<NatsNetwork> {
    this.#assertRunning('connectNats');
    const nc = await connectToNats(url, options);
    const { dialNats } = await import('../transport/nats-link.js');
    this.#natsConnections.add(nc);
    return {
      url,
      worker: async (id: string, workerOptions: Omit<ConnectOptions, 'id' | 'ca'>) => {
        const { token } = checkConnectOptions('connectNats(...).worker', { ...workerOptions, id });
        this.#checkNewId(id);
        return this.#attachRemote(id, { kind: 'nats', worker: id }, (hello) => dialNats(nc, hello, workerOptions.heartbeatMs === undefined ? {} : { heartbeatMs: workerOptions.heartbeatMs }), token, workerOptions);
      },
    };
  }

  /** One creation at a time, threads or remote workers: each new host links to every host of its kind. */
  #attachRemote(id: string, address: PeerAddress, dial: Dial, token: string, options: { readonly reconnect?: Partial<ReconnectOptions> }): Promise<VirtualWorker> {
    this.#reserved.add(id);
    const turn = this.#creating.then(() => this.#attachRemoteNow(id, address, dial, token, options));
    this.#creating = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async #attachRemoteNow(id: string, address: PeerAddress, dial: Dial, token: string, options: { readonly reconnect?: Partial<ReconnectOptions> }): Promise<VirtualWorker> {
    try {
      this.#assertRunning('connect');
      const transport = await RemoteTransport.open(`remote-${id}`, address, dial, token, { ...DEFAULT_RECONNECT, ...options.reconnect });
      const connection = await this.#start(transport);
      await connection.spawn(id);
      const others = [...this.#remote].filter((c) => c.isAlive);
      this.#remote.add(connection);
      // Every two remote workers link directly, as threads do, where one can reach the other: a worker only on
      // WebSocket cannot dial one only on NATS. Unlinked pairs exchange data through the client (get, then send).
      await Promise.allSettled(others.map((other) => connection.connect(other)));
      this.#assertRunning('connect');
      const worker = new VirtualWorker(id, connection, this.localWorker, this.#bus, () => this.settle(), this.#markUsed);
      this.#workers.set(id, worker);
      return worker;
    } finally {
      this.#reserved.delete(id);
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
    // Commands issued before this call went either to a worker in #used now, or
    // to one an earlier settle() took and is still syncing: wait for both.
    const used = [...this.#used].filter((w) => w.host.isAlive);
    this.#used.clear();
    // Chained, not gathered: 20,000 concurrent objects() calls each settle(), and must not each copy the others.
    const settled = Promise.allSettled([this.#settled, ...used.map((w) => w.sync())]);
    this.#settled = settled;
    await settled;
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
    await Promise.all([...this.#natsConnections].map((nc) => nc.close()));
    this.#bus.complete();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** A valid id no worker has or is being given (duplicates within one call: the caller). */
  #checkNewId(id: unknown): void {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_NAME_LENGTH) {
      const shown = typeof id === 'string' && id.length > MAX_NAME_LENGTH ? `a string of ${id.length} characters` : (JSON.stringify(id) ?? String(id));
      throw new InvalidArgumentError(`A worker id must be a non-empty string of at most ${MAX_NAME_LENGTH} characters, got ${shown}.`);
    }
    if (id === this.localWorker.id) {
      throw new InvalidArgumentError(`'${id}' is the local worker's id (hook.localWorker); choose another id.`);
    }
    if (this.#workers.has(id) || this.#reserved.has(id)) {
      throw new DuplicateWorkerError(id);
    }
  }

  #assertRunning(what: string): void {
    if (this.#shutDown) throw new RuntimeShutDownError(what);
  }
}
