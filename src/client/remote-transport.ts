/**
 * A host in another process (a worker a data owner runs with `npx syft-ts
 * worker`), reached over a link: WebSocket or NATS (src/transport/link.ts).
 *
 * A dropped link rejects the calls in flight with WORKER_DISCONNECTED at once
 * (or once the heartbeat notices a silent peer), then redials with backoff and
 * resumes the session: the worker kept its objects for its grace period, so
 * every pointer issued before stays good. Calls made while redialling wait for
 * the link. A worker that cannot be reached again within the reconnect window,
 * or that comes back without the session (it restarted), is gone: the
 * connection fails everything with WORKER_CRASHED, as a dead thread does.
 *
 * No progress counter in shared memory crosses a socket, so issuing never
 * blocks on a remote host: `await hook.drain()` bounds a long loop instead.
 */
import type * as Comlink from 'comlink';
import { wrap } from 'comlink';
import { randomInt } from 'node:crypto';
import { InvalidArgumentError, WorkerDisconnectedError } from '../core/errors.js';
import type { HostApi, PeerAddress, RemoteHostApi } from '../core/protocol.js';
import { type Hello, type MessageLink, newSessionId, type Welcome } from '../transport/link.js';
import type { HostTransport } from './host-connection.js';

export type Dial = (hello: Hello) => Promise<{ link: MessageLink; welcome: Welcome }>;

export interface ReconnectOptions {
  /** How long to keep redialling a dropped worker before giving it up (ms). Keep it below the worker's --grace-ms. */
  readonly windowMs: number;
  /** The first wait between attempts; each later one doubles, up to maxDelayMs (ms). */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** A worker process this client started and owns (sy.spawnWorker): its exit is final, and shutdown stops it. */
export interface OwnedProcess {
  readonly exited: Promise<string>;
  kill(): void;
  stop(): Promise<void>;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { windowMs: 30_000, firstDelayMs: 100, maxDelayMs: 2_000 };

export class RemoteTransport implements HostTransport {
  readonly name: string;
  readonly host: Comlink.Remote<HostApi>;
  readonly closed: Promise<string>;
  /** How the workers this one links to dial it. */
  readonly address: PeerAddress;
  /** Times the link dropped and was resumed. */
  reconnects = 0;
  readonly #dial: Dial;
  readonly #token: string;
  readonly #reconnect: ReconnectOptions;
  readonly #session = newSessionId();
  #ticket = '';
  #link!: MessageLink;
  #remote!: Comlink.Remote<RemoteHostApi>;
  /** Settles when a link is up (pending while redialling). */
  #ready: Promise<void> = Promise.resolve();
  #readyNow: () => void = () => undefined;
  /** Rejects when the current link drops, failing the calls in flight on it. */
  #dropped!: Promise<never>;
  #drop!: (error: Error) => void;
  #held = 0;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;
  #end!: (reason: string) => void;

  readonly #process: OwnedProcess | undefined;

  private constructor(name: string, address: PeerAddress, dial: Dial, token: string, reconnect: ReconnectOptions, owned: OwnedProcess | undefined) {
    this.name = name;
    this.#process = owned;
    this.address = address;
    this.#dial = dial;
    this.#token = token;
    this.#reconnect = reconnect;
    this.closed = new Promise((resolve) => (this.#end = resolve));
    const call =
      <K extends 'init' | 'spawn' | 'spawnAll' | 'execute'>(method: K) =>
      (...args: unknown[]): Promise<unknown> =>
        this.#call((remote) => (remote[method] as (...a: unknown[]) => Promise<unknown>)(...args));
    this.host = { init: call('init'), spawn: call('spawn'), spawnAll: call('spawnAll'), execute: call('execute') } as unknown as Comlink.Remote<HostApi>;
  }

  /** Dials the worker; rejects with a coded ConnectionFailedError when it cannot be reached or refuses. */
  static async open(name: string, address: PeerAddress, dial: Dial, token: string, reconnect: ReconnectOptions = DEFAULT_RECONNECT, owned?: OwnedProcess): Promise<RemoteTransport> {
    const transport = new RemoteTransport(name, address, dial, token, reconnect, owned);
    // A worker process of ours that exits is gone for good: nothing to redial.
    void owned?.exited.then((how) => transport.#finish(`its process exited (${how})`));
    const { link, welcome } = await dial(transport.#hello());
    transport.#ticket = welcome.ticket ?? '';
    transport.#attach(link);
    return transport;
  }

  #hello(): Hello {
    return { v: 1, token: this.#token, role: 'client', worker: this.address.worker, session: this.#session };
  }

  #attach(link: MessageLink): void {
    this.#link = link;
    this.#remote = wrap<RemoteHostApi>(link.endpoint);
    this.#dropped = new Promise<never>((_, reject) => (this.#drop = reject));
    this.#dropped.catch(() => undefined);
    if (this.#held === 0) link.unref();
    this.#readyNow();
    void link.closed.then((reason) => this.#lost(link, reason));
  }

  async #lost(link: MessageLink, reason: string): Promise<void> {
    if (this.#link !== link || this.#ended) return;
    if (this.#process !== undefined) {
      // A worker process of ours that was killed closes its sockets and exits at about the same
      // time: then what waited on it failed because it crashed, not because a link dropped.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#process.exited, new Promise((resolve) => (timer = setTimeout(resolve, 250)))]);
      clearTimeout(timer);
      if (this.#ended) return;
    }
    this.#drop(new WorkerDisconnectedError(`worker '${this.address.worker}'`, reason));
    this.#ready = new Promise((resolve) => (this.#readyNow = resolve));
    void this.#redial(reason);
  }

  async #redial(reason: string): Promise<void> {
    const deadline = Date.now() + this.#reconnect.windowMs;
    let delay = this.#reconnect.firstDelayMs;
    let last = reason;
    while (!this.#ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        // Jitter, so a hundred clients of one restarted worker do not redial in step.
        this.#timer = setTimeout(resolve, delay * (0.5 + randomInt(1_000) / 2_000));
        if (this.#held === 0) this.#timer.unref();
      });
      this.#timer = undefined;
      if (this.#ended) return;
      delay = Math.min(delay * 2, this.#reconnect.maxDelayMs);
      try {
        const { link, welcome } = await this.#dial(this.#hello());
        if (this.#ended) return link.close('the client shut down');
        if (!welcome.resumed) {
          // The worker restarted: under our session id it made a fresh one, which nobody will use.
          void wrap<RemoteHostApi>(link.endpoint).endSession();
          setTimeout(() => link.close('the session was lost'), 200).unref();
          return this.#finish(`worker '${this.address.worker}' came back without the session (it restarted): its objects are gone`);
        }
        this.reconnects++;
        this.#attach(link);
        return;
      } catch (error) {
        last = (error as Error).message;
        const code = (error as { code?: string }).code;
        if (code === 'UNAUTHENTICATED' || code === 'WORKER_BUSY') break;
      }
    }
    this.#finish(`worker '${this.address.worker}' could not be reached again within ${this.#reconnect.windowMs} ms (${last})`);
  }

  #finish(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#end(reason);
  }

  async #call<T>(fn: (remote: Comlink.Remote<RemoteHostApi>) => Promise<T>): Promise<T> {
    await this.#ready;
    return Promise.race([fn(this.#remote), this.#dropped]);
  }

  hold(): void {
    if (this.#held++ === 0) {
      this.#link.ref();
      this.#timer?.ref();
    }
  }

  release(): void {
    if (--this.#held === 0) {
      this.#link.unref();
      this.#timer?.unref();
    }
  }

  /** Links this worker and `other` both ways, directly: their actors exchange data without the client. */
  async link(other: HostTransport): Promise<void> {
    if (!(other instanceof RemoteTransport)) {
      throw new InvalidArgumentError(
        `worker '${this.address.worker}' runs in another process and cannot reach a thread of this one; ` +
          'move data between them through the client (ptr.get(), then send) or run both as remote workers.',
      );
    }
    await Promise.all([
      this.#call((r) => r.connectPeer(other.name, other.address, other.#ticket, other.#session)),
      other.#call((r) => r.connectPeer(this.name, this.address, this.#ticket, this.#session)),
    ]);
  }

  /** sy.testing.dropConnection: the link drops as a network failure would; the client redials. */
  drop(): void {
    this.#link.close('dropped on purpose (sy.testing.dropConnection)');
  }

  /** Ends the session at the worker (its objects are cleared now) and closes the link. */
  async terminate(): Promise<void> {
    if (this.#ended) return;
    const link = this.#link;
    const remote = this.#remote;
    this.#finish('the client shut down');
    this.#readyNow();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([remote.endSession(), link.closed, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]).catch(() => undefined);
    clearTimeout(timer);
    link.close('the client shut down');
    await this.#process?.stop();
  }

  /** sy.testing.crash: a worker process of ours is killed (SIGKILL); any other link is closed without ending its session. */
  async crash(): Promise<void> {
    if (this.#process !== undefined) {
      this.#process.kill();
      await this.#process.exited;
      return;
    }
    this.#finish('crashed on purpose (sy.testing.crash)');
    this.#link.close('crashed on purpose (sy.testing.crash)');
  }
}
