// Entry point of a dealer pool thread (src/host/dealer-pool.ts): one job per deal request.
import { Piscina } from 'piscina';
import { dealJob } from '../src/host/dealer.js';

/** The shares' buffers are moved back to the dealer's thread, not copied (a 256x256 triple is 3 MB). */
export default function (task: Parameters<typeof dealJob>[0]): unknown {
  const perParty = dealJob(task);
  const buffers = perParty.flat().map((share) => share.values.buffer as ArrayBuffer);
  // piscina's typings declare these keys as plain symbols, so the object needs a cast to count as Transferable.
  const transferable = {
    get [Piscina.transferableSymbol]() {
      return buffers;
    },
    get [Piscina.valueSymbol]() {
      return perParty;
    },
  } as unknown as Parameters<typeof Piscina.move>[0];
  return Piscina.move(transferable);
}
