// Lets a thread run from TypeScript sources (vitest, tsx examples): a worker
// does not inherit the parent's loader hooks, so it registers tsx itself before
// importing the real entry. A pool job's handler is the entry's default export,
// passed on. The built package never uses this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const entry = await import(workerData.syftEntry);
export default entry.default;
