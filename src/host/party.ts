/**
 * A worker's side of the SMPC protocols: ring ops on its shares, opening
 * masked values with the other parties (Reveal), dealing as a crypto provider,
 * and sharing a tensor it holds. Shares travel worker to worker over the
 * direct channels; the main thread sees none of them.
 *
 * Opening never blocks the party's command stream: a Reveal sends this party's
 * shares at once and marks its outputs pending; commands that read them wait
 * (the store's pending mechanism). Every party receives the same protocol
 * steps in the same order, so the k-th opening depends only on earlier ones
 * and no two parties can wait for each other.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, serializeError } from '../core/errors.js';
import { FailedInputError, type ObjectStore } from './object-store.js';
import type { ActorAddress, CommandOf, DeliveredItem, RingPayload, StoredFailure, WireArg } from '../core/protocol.js';
import { splitShares } from '../core/ring/additive-shares.js';
import { reconstructXor } from '../core/ring/binary-shares.js';
import { dealOnPool } from './dealer-pool.js';
import { encodeScaled } from '../core/ring/fixed-precision.js';
import { ringAdd, ringScale, type RingTensor } from '../core/ring/ring.js';
import { executeRingOp, isPlainTensor, type PlainTensor } from '../core/ring/ring-ops.js';

/** How a party reaches the others. */
export interface PartyChannels {
  readonly self: ActorAddress;
  /** Delivers an item to another actor (or this one); the work is tracked by the actor. */
  deliver(to: ActorAddress, id: number, item: DeliveredItem, transfer: ArrayBuffer[]): void;
  /** Announces an object on its way from one of `from` (it fails if they die first); false when one already has. */
  expect(id: number, from: readonly ActorAddress[]): boolean;
  /** Work this party started that the actor's ordering rules must wait for (a deal on the pool). */
  track(work: Promise<unknown>): void;
}

/** One opening in progress, keyed by the id of its first output. */
interface Opening {
  readonly contributions: Map<number, readonly RingTensor[]>;
  failure: StoredFailure | undefined;
  /** Set when this party's own Reveal ran. */
  own: { readonly parties: number; readonly out: readonly number[]; readonly xor: boolean } | undefined;
}

export class Party {
  readonly #openings = new Map<number, Opening>();
  /** Share data this party sent in openings, counted where it is sent (the caller's accounting is checked against it). */
  #sent = { bytes: 0, openings: 0 };

  constructor(
    private readonly store: ObjectStore,
    private readonly channels: PartyChannels,
  ) {}

  /** Openings waiting for another party's shares (a leak check: 0 when idle). */
  get openingsInProgress(): number {
    return this.#openings.size;
  }

  get sent(): { readonly bytes: number; readonly openings: number } {
    return { ...this.#sent };
  }

  ringOp(command: CommandOf<'ring-op'>): void {
    const args = command.args.map((arg) => this.#resolve(arg));
    const result = executeRingOp(command.op, args);
    // decode's float result is a tensor again, usable by every tfjs op (x.send(bob).fixPrecision().floatPrecision()).
    if (isPlainTensor(result)) this.store.setTensor(command.out, tf.tensor(Float32Array.from(result.plain), [...result.shape], 'float32'));
    else this.store.set(command.out, { kind: 'ring', ring: result });
  }

  /**
   * Sends this party's shares of `parts` to every other party, and stores
   * the opened sums under `out` once everyone's shares are here. A part that
   * failed is sent as that failure, so the others fail too instead of waiting.
   */
  reveal(command: CommandOf<'reveal'>): void {
    const key = command.out[0]!;
    let parts: RingTensor[] | undefined;
    let failure: StoredFailure | undefined;
    try {
      parts = command.parts.map((id) => this.store.ring(id));
      const words = parts.reduce((n, p) => n + p.values.length, 0);
      // The caller's cost accounting announced this many words: a mismatch is a protocol bug, not a cost to misreport.
      if (command.words !== undefined && words !== command.words) {
        throw new InvalidArgumentError(`reveal (${command.step ?? 'open'}): announced ${command.words} words per party, has ${words}.`);
      }
      this.#sent.bytes += words * 8 * (command.parties.length - 1);
      this.#sent.openings++;
    } catch (error) {
      parts = undefined;
      failure = error instanceof FailedInputError ? error.failure : { op: 'reveal', ...serializeError(error) };
    }
    command.parties.forEach((to, j) => {
      if (j === command.index) return;
      const item: DeliveredItem = { kind: 'reveal-part', from: command.index, parts: parts === undefined ? failure! : parts.map(payloadOf) };
      this.channels.deliver(to, key, item, []);
    });
    const others = command.parties.filter((_, j) => j !== command.index);
    const pending = command.out.map((id) => this.channels.expect(id, others));
    if (pending.includes(false)) {
      // A party is already gone: the opening can never complete.
      this.#openings.delete(key);
      return;
    }
    const opening = this.#opening(key);
    opening.own = { parties: command.parties.length, out: command.out, xor: command.xor === true };
    opening.contributions.set(command.index, parts ?? []);
    opening.failure ??= failure;
    this.#complete(key, opening);
  }

  /**
   * Openings whose outputs failed without arriving (a party died, the wait
   * timed out) will never complete: forget them, whatever arrives later.
   */
  abandon(ids: readonly number[]): void {
    for (const id of ids) this.#openings.delete(id);
  }

  /** Another party's shares for an opening (which may not have started here yet). */
  receiveRevealPart(key: number, item: Extract<DeliveredItem, { kind: 'reveal-part' }>): void {
    const opening = this.#opening(key);
    if (Array.isArray(item.parts)) opening.contributions.set(item.from, item.parts as readonly RingPayload[]);
    else {
      opening.failure ??= item.parts as StoredFailure;
      opening.contributions.set(item.from, []);
    }
    this.#complete(key, opening);
  }

  /**
   * As the crypto provider: draws the request's randomness on the dealer pool
   * and hands each party its shares. A request that cannot be dealt fails
   * here at once and at every party, so none of them waits for its shares.
   */
  deal(command: CommandOf<'deal'>): void {
    const fail = (error: unknown): void => {
      const failure = { kind: 'failure', op: `deal ${command.request.kind}`, ...serializeError(error) } as const;
      for (const to of command.parties) for (const id of command.out) this.channels.deliver(to, id, failure, []);
    };
    // A request that cannot be dealt throws here; the actor fails its deliveries.
    const dealt = dealOnPool(command.request, command.parties.length);
    this.channels.track(
      dealt.then((perParty) => {
        command.parties.forEach((to, p) => {
          perParty[p]!.forEach((share, k) => this.channels.deliver(to, command.out[k]!, { kind: 'ring', ring: share }, [share.values.buffer as ArrayBuffer]));
        });
      }, fail),
    );
  }

  /** Secret-shares a tensor this worker holds among the parties; only shares leave. */
  shareTensor(command: CommandOf<'share-tensor'>, tensor: () => tf.Tensor): void {
    // If this throws, the actor delivers the failure to every party instead.
    const entry = this.store.get(command.id);
    if (entry.kind === 'ring') {
      // Encoded here already (x.send(bob).fixPrecision().share(...)): split the words as they are.
      this.#deliverShares(command, command.weight === undefined ? entry.ring : ringScale(entry.ring, integerWeight(command.weight)));
      return;
    }
    const t = tensor();
    const values = t.dataSync();
    const weighted = command.weight === undefined ? values : Float64Array.from(values, (v) => v * command.weight!);
    this.#deliverShares(command, encodeScaled(weighted, t.shape, command.scale));
  }

  #deliverShares(command: CommandOf<'share-tensor'>, secret: RingTensor): void {
    const shares = splitShares(secret, command.parties.length);
    command.parties.forEach((to, p) => this.channels.deliver(to, command.out, { kind: 'ring', ring: shares[p]! }, [shares[p]!.values.buffer as ArrayBuffer]));
  }

  /** Share ids become ring tensors; a tensor (read by encode only) becomes its values; lists are resolved element-wise. */
  #resolve(arg: WireArg): unknown {
    if (typeof arg === 'number') {
      const entry = this.store.get(arg);
      if (entry.kind === 'tensor') return { plain: entry.tensor.dataSync(), shape: entry.tensor.shape } satisfies PlainTensor;
      return this.store.ring(arg);
    }
    if ('list' in arg) return arg.list.map((a) => this.#resolve(a));
    if ('value' in arg) return arg.value;
    throw new FailedInputError(-1, { op: 'ring-op', message: 'ring ops take share ids and public values only', code: 'INVALID_ARGUMENT' });
  }

  #opening(key: number): Opening {
    let opening = this.#openings.get(key);
    if (opening === undefined) this.#openings.set(key, (opening = { contributions: new Map(), failure: undefined, own: undefined }));
    return opening;
  }

  #complete(key: number, opening: Opening): void {
    const own = opening.own;
    if (own === undefined || opening.contributions.size < own.parties) return;
    this.#openings.delete(key);
    if (opening.failure !== undefined) {
      this.store.fail(own.out, opening.failure);
      return;
    }
    const all = [...opening.contributions.values()];
    own.out.forEach((id, k) => {
      const parts = all.map((p) => p[k]!);
      this.store.set(id, { kind: 'ring', ring: own.xor ? reconstructXor(parts) : parts.slice(1).reduce(ringAdd, parts[0]!) });
    });
  }
}

/** A weight on words already encoded can only be an integer (a real one would need a truncation). */
function integerWeight(weight: number): bigint {
  if (!Number.isSafeInteger(weight)) {
    throw new InvalidArgumentError(`share: a fixed-precision tensor at a worker takes an integer weight only, got ${weight}; weight the float tensor instead.`);
  }
  return BigInt(weight);
}

function payloadOf(t: RingTensor): RingPayload {
  return { values: t.values, shape: t.shape };
}
