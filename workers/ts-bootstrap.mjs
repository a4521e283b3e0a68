// Lets an actor thread run from TypeScript sources (vitest, tsx examples): a
// worker does not inherit the parent's loader hooks, so it registers tsx itself
// before importing the real entry. The built package never uses this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.syftEntry);
