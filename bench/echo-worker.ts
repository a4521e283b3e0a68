/**
 * The baseline: a bare worker_thread answering on a MessagePort, with no
 * syft-ts in between. Inline source, so the baseline carries no loader cost.
 */
import { Worker } from 'node:worker_threads';

const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m && m.port) { m.port.on('message', (d) => { if (d.ack) parentPort.postMessage('ack'); }); return; }
  if (m && m.buffer) { parentPort.postMessage(m, [m.buffer]); return; }
  if (m && m.count !== undefined) { if (m.last) parentPort.postMessage('done'); return; }
  parentPort.postMessage(m);
});
`;

export class EchoWorker {
  readonly worker = new Worker(ECHO, { eval: true });

  next(): Promise<unknown> {
    return new Promise((resolve) => this.worker.once('message', resolve));
  }

  async roundTrip(message: unknown, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const reply = this.next();
    this.worker.postMessage(message, transfer);
    return reply;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
