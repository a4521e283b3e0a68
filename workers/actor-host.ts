// Entry point of an actor thread: all logic lives in src/runtime/actor-host.ts.
import { parentPort } from 'node:worker_threads';
import { startActorHost } from '../src/host/actor-host.js';

if (parentPort === null) throw new Error('workers/actor-host must run inside a worker thread');
startActorHost(parentPort);
