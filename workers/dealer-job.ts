// Entry point of a dealer pool thread (src/host/dealer-pool.ts): one job per deal request.
export { dealJob as default } from '../src/host/dealer.js';
