/**
 * Where correlated randomness comes from (CrypTen keeps this apart from what a
 * share is and how a product is computed). A provider deals each request to
 * the parties and says under which ids each party will hold its shares.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
import { DEAL_KINDS } from '../core/commands.js';
import { meterDeal } from './costs.js';
import type { DealRequest } from '../core/protocol.js';

export interface TripleProvider {
  /** Printed in errors and toString(). */
  readonly id: string;
  /**
   * Deals `request` to `parties`. Returns the ids of the dealt values, the
   * same ids at every party; commands issued after this call that read them
   * wait until they arrive.
   */
  deal(request: DealRequest, parties: readonly Location[]): number[];
}


/**
 * The trusted dealer: a virtual worker that draws triples and masks with its
 * CSPRNG and sends each party its shares directly, worker to worker. It must
 * not be a party: with a party's shares it could open the party's inputs.
 */
export class TrustedDealer implements TripleProvider {
  constructor(readonly worker: Location) {}

  get id(): string {
    return this.worker.id;
  }

  deal(request: DealRequest, parties: readonly Location[]): number[] {
    // Every deal passes here: the key (a string of the shapes) is built only when something was dealt ahead.
    const stocked = STOCK.size === 0 ? undefined : STOCK.get(stockKey(this.worker, parties, request))?.shift();
    if (stocked !== undefined) return stocked;
    const out = this.#dealNow(request, parties);
    meterDeal(this, request, parties);
    return out;
  }

  /**
   * Deals `request` to `parties` `times` times now, ahead of the protocol
   * steps that will consume it (deal() then takes from this stock, in order).
   * Resolves when the dealer has drawn everything and sent it on.
   */
  async stock(request: DealRequest, parties: readonly Location[], times: number): Promise<void> {
    if (!(Number.isSafeInteger(times) && times >= 0)) throw new InvalidArgumentError(`preprocess: times must be a whole number, got ${times}.`);
    const key = stockKey(this.worker, parties, request);
    let queue = STOCK.get(key);
    if (queue === undefined) STOCK.set(key, (queue = { parties, items: [], shift: () => queue!.items.shift() }));
    for (let i = 0; i < times; i++) queue.items.push(this.#dealNow(request, parties));
    // A read waits for the dealer's pool jobs (its in-flight work): once it answers, every share is on its way.
    await this.worker.request({ type: 'sync' });
  }

  #dealNow(request: DealRequest, parties: readonly Location[]): number[] {
    if (parties.some((p) => p.id === this.worker.id)) {
      throw new InvalidArgumentError(`the crypto provider '${this.worker.id}' is also a party; use a worker that holds no shares.`);
    }
    const out = Array.from({ length: DEAL_KINDS[request.kind].values }, () => this.worker.owner.nextId());
    for (const party of parties) for (const id of out) party.post({ type: 'expect', id, from: this.worker.address });
    this.worker.post({ type: 'deal', request, parties: parties.map((p) => p.address), out });
    return out;
  }

  toString(): string {
    return `<TrustedDealer ${this.worker.id}>`;
  }
}

/** Material dealt ahead, per (dealer, parties, request), in the order it will be consumed. */
interface Stock {
  readonly parties: readonly Location[];
  readonly items: number[][];
  shift(): number[] | undefined;
}

// Keyed by the dealer's and parties' ids, not by provider objects: every share() makes its own TrustedDealer for a worker.
const STOCK = new Map<string, Stock>();

function stockKey(dealer: Location, parties: readonly Location[], request: DealRequest): string {
  const shapes = request.kind === 'matMul' ? `${request.a}|${request.b}` : `${request.shape}`;
  const scale = request.kind === 'truncation' ? `|${request.scale}` : '';
  return `${dealer.id}|${parties.map((p) => p.id).join(',')}|${request.kind}|${shapes}${scale}`;
}

/** Dealt material not consumed yet, in values per party (a leak check: 0 after discardPreprocessed()). */
export function preprocessedCount(): number {
  let n = 0;
  for (const stock of STOCK.values()) n += stock.items.length;
  return n;
}

/** Releases every share dealt ahead and not consumed (at the parties too). */
export function discardPreprocessed(): void {
  for (const stock of STOCK.values()) for (const ids of stock.items) for (const p of stock.parties) for (const id of ids) p.release(id);
  STOCK.clear();
}

/** What users pass as `cryptoProvider`: a worker (PySyft's habit) or any provider. */
export type CryptoProviderLike = Location | TripleProvider;

export function toTripleProvider(provider: CryptoProviderLike): TripleProvider {
  return isLocation(provider) ? new TrustedDealer(provider) : provider;
}
