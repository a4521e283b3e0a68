/**
 * A host in a worker thread of this process: the default transport.
 *
 * The protocol (comlink over structured clone, or over byte frames) runs on
 * the worker's own port; a second port, handed over at start, carries only
 * link setup: the ports of the direct channels between threads, which byte
 * frames cannot carry. See src/host/thread-main.ts for the other side.
 */
import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { EXIT_RETIRED, type HostApi, type LinkApi, PROGRESS_DONE, PROGRESS_SLOTS, PROGRESS_STOPPED } from '../core/protocol.js';
import { nodeEndpoint } from '../transport/endpoint.js';
import { type WireEncoding, wireEndpoint } from '../transport/wire.js';
import type { HostProgress, HostTransport } from './host-connection.js';
import { threadEntry } from '../transport/thread-entry.js';


export class ThreadTransport implements HostTransport {
  readonly name: string;
  readonly host: Comlink.Remote<HostApi>;
  readonly closed: Promise<string>;
  readonly progress: HostProgress;
  readonly #worker: Worker;
  readonly #links: Comlink.Remote<LinkApi>;
  readonly #counters = new Int32Array(new SharedArrayBuffer(PROGRESS_SLOTS * 4));

  constructor(name: string, wire: WireEncoding) {
    this.name = name;
    const entry = threadEntry('actor-host');
    const { port1, port2 } = new MessageChannel();
    this.#worker = new Worker(entry.filename, {
      workerData: { ...entry.workerData, links: port2, wire, progress: this.#counters.buffer },
      transferList: [port2],
      name,
      execArgv: threadExecArgv(),
    });
    const counters = this.#counters;
    this.progress = {
      get done() {
        return Atomics.load(counters, PROGRESS_DONE);
      },
      get stopped() {
        return Atomics.load(counters, PROGRESS_STOPPED) === 1;
      },
      waitPast(seen: number, ms: number): void {
        Atomics.wait(counters, PROGRESS_DONE, seen, ms);
      },
    };
    this.closed = new Promise((resolve) => {
      this.#worker.on('error', (error) => resolve(error.message));
      this.#worker.on('exit', () => Atomics.store(this.#counters, PROGRESS_STOPPED, 1));
      this.#worker.on('exit', (code) =>
        resolve(code === EXIT_RETIRED ? 'retired: a kernel trapped in wasm, so its heap may be corrupt' : `exit code ${code}`),
      );
    });
    this.host = Comlink.wrap<HostApi>(wireEndpoint(nodeEndpoint(this.#worker), wire));
    this.#links = Comlink.wrap<LinkApi>(nodeEndpoint(port1));
    // A script that forgets shutdown() must still exit: the thread only keeps
    // the process alive while a call is in flight (hold/release); its replies
    // come through the worker, so the link port never holds the process.
    port1.unref();
    this.release();
  }

  hold(): void {
    this.#worker.ref();
  }

  release(): void {
    this.#worker.unref();
  }

  /**
   * Gives this thread and `other` a direct channel each way. Each side serves
   * the other on the port it accepts and calls it on the port it connects.
   */
  async link(other: HostTransport): Promise<void> {
    if (!(other instanceof ThreadTransport)) throw new TypeError('a thread links only to another thread of this process');
    const there = new MessageChannel();
    const back = new MessageChannel();
    await Promise.all([
      this.#links.connectPeer(other.name, Comlink.transfer(there.port1, [there.port1])),
      other.#links.acceptPeer(this.name, Comlink.transfer(there.port2, [there.port2])),
      other.#links.connectPeer(this.name, Comlink.transfer(back.port1, [back.port1])),
      this.#links.acceptPeer(other.name, Comlink.transfer(back.port2, [back.port2])),
    ]);
  }

  async terminate(): Promise<void> {
    // Wake a caller blocked on backpressure at once: nothing more will finish.
    Atomics.store(this.#counters, PROGRESS_STOPPED, 1);
    Atomics.notify(this.#counters, PROGRESS_DONE);
    await this.#worker.terminate();
  }
}

/**
 * Threads inherit the process's flags (--expose-gc, loaders) by default. An
 * `node --input-type=module -e ...` one-liner is the exception: that flag would
 * stop every actor thread from starting, and an explicit list cannot carry the
 * V8 flags, so such a script's threads start with none.
 */
function threadExecArgv(): string[] | undefined {
  return process.execArgv.some((arg) => arg.startsWith('--input-type')) ? [] : undefined;
}
