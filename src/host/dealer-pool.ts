/**
 * The crypto provider draws its correlated randomness beside the actors, on a
 * piscina pool: stateless CPU work (a Beaver triple for a 256x256 product is a
 * 256³ ring matMul; one for a million-element product, seconds of BigInt
 * arithmetic) that would otherwise stall every actor on the dealer's thread
 * while it runs. The dealer's actor keeps answering; the parties wait only for
 * the shares they need (they were told to expect them).
 *
 * One pool per thread that deals, started on the first deal. Requests are
 * validated before they are queued, so a bad one still fails at once.
 */
import { Piscina } from 'piscina';
import type { DealRequest } from '../core/protocol.js';
import type { RingTensor } from '../core/ring/ring.js';
import { threadEntry } from '../transport/thread-entry.js';
import { checkDealRequest } from './dealer.js';

let pool: Piscina | undefined;

export function dealOnPool(request: DealRequest, parties: number): Promise<RingTensor[][]> {
  checkDealRequest(request);
  if (pool === undefined) {
    const entry = threadEntry('dealer-job');
    // One thread: dealing overlaps the parties' work; more would contend with them on a small machine.
    pool = new Piscina({ filename: entry.filename.href, workerData: entry.workerData, minThreads: 0, maxThreads: 1, idleTimeout: 60_000 });
  }
  return pool.run({ request, parties }) as Promise<RingTensor[][]>;
}
