/**
 * Every port syft-ts talks through is a comlink `Endpoint`, so a transport other
 * than worker_threads (a WebSocket to another machine) plugs in here.
 */
import type { Endpoint } from 'comlink';
import adapter from 'comlink/dist/umd/node-adapter.js';
import type { MessagePort, Worker } from 'node:worker_threads';

type NodeAdapter = (port: MessagePort | Worker) => Endpoint;

// comlink's UMD build sets module.exports to the function itself, which Node
// hands over as the default export; its typings describe a `{ default }` module.
const nodeAdapter = ((adapter as unknown as { default?: NodeAdapter }).default ?? adapter) as unknown as NodeAdapter;

/** A worker_threads Worker or MessagePort as a comlink Endpoint. */
export function nodeEndpoint(port: MessagePort | Worker): Endpoint {
  return nodeAdapter(port);
}
