/**
 * Where correlated randomness comes from (CrypTen keeps this apart from what a
 * share is and how a product is computed). A provider deals each request to
 * the parties and says under which ids each party will hold its shares.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { isLocation, type Location } from '../core/handles.js';
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

const VALUES_PER_REQUEST: Record<DealRequest['kind'], number> = { mul: 3, matMul: 3, truncation: 3, zero: 1 };

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
    if (parties.some((p) => p.id === this.worker.id)) {
      throw new InvalidArgumentError(`the crypto provider '${this.worker.id}' is also a party; use a worker that holds no shares.`);
    }
    const out = Array.from({ length: VALUES_PER_REQUEST[request.kind] }, () => this.worker.owner.nextId());
    for (const party of parties) for (const id of out) party.post({ type: 'expect', id, from: this.worker.address });
    this.worker.post({ type: 'deal', request, parties: parties.map((p) => p.address), out });
    return out;
  }

  toString(): string {
    return `<TrustedDealer ${this.worker.id}>`;
  }
}

/** What users pass as `cryptoProvider`: a worker (PySyft's habit) or any provider. */
export type CryptoProviderLike = Location | TripleProvider;

export function toTripleProvider(provider: CryptoProviderLike): TripleProvider {
  return isLocation(provider) ? new TrustedDealer(provider) : provider;
}
