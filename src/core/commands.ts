/**
 * The command table: one entry per wire command, saying which ids it reads and
 * writes, whether its reply is a read, what errors call it, and which
 * lifecycle events it causes. The host's ordering rules and failure records,
 * and the client's delete flushing and event stream, all derive from it; the
 * host's handlers (src/host/handlers.ts) are the other half of each entry.
 * The mapped type makes the compiler insist on an entry for every command.
 */
import { MalformedCommandError } from './errors.js';
import { TRIPLE_ROWS } from './ring/binary-shares.js';
import { MAX_OP_OUTPUTS } from './op-checks.js';
import type { LifecycleEvent } from './events.js';
import { trainJobCheck } from './specs.js';
import {
  address,
  bool,
  type Check,
  count,
  finite,
  id,
  listOf,
  name,
  oneOf,
  optional,
  positiveBigint,
  record,
  ringPayload,
  tensorPayload,
  variants,
  wireArg,
  wireArgs,
} from './wire-schema.js';
import { type ActorAddress, type Command, type CommandOf, type CommandType, type DealRequest, refsOf, type ReplyOf } from './protocol.js';

interface CommandSpec<K extends CommandType> {
  /** What each field must hold: checked at the host before anything reads the command. */
  readonly fields: Readonly<Record<Exclude<keyof CommandOf<K>, 'type'>, Check>>;
  /** Checks between fields (an index inside a list, two lists of one length). */
  readonly valid?: (c: CommandOf<K>) => string | undefined;
  /** Ids the command reads: a host runs it only once every one of them has arrived. */
  readonly reads?: (c: CommandOf<K>) => readonly number[];
  /** Ids it stores at the actor: if it fails they hold its failure, so whatever reads them learns the cause. */
  readonly writes?: (c: CommandOf<K>) => readonly number[];
  /**
   * Its reply tells the client what the actor holds or did. The client first
   * sends the actor's waiting deletes (the reply must not show deleted
   * objects); the host answers only once the work this actor forwarded to
   * others earlier has settled (the client may talk to those next).
   */
  readonly read?: true;
  /** How errors and events name it; the command's type otherwise. */
  readonly name?: (c: CommandOf<K>) => string;
  /** Events the client emits when it sends the command. */
  readonly posted?: (c: CommandOf<K>, worker: string) => LifecycleEvent[];
  /** Events the client emits once the actor confirmed it. */
  readonly confirmed?: (c: CommandOf<K>, reply: ReplyOf<K>, worker: string) => LifecycleEvent[];
  /** Tensor bytes the reply brings to the client (transport statistics). */
  readonly replyBytes?: (reply: ReplyOf<K>) => number;
  /**
   * Objects it hands to other workers (where, under which id). When the
   * command cannot run there (its worker died, it failed before sending), the
   * worker that forwarded it delivers the failure instead, so no receiver
   * waits for an object that will never come.
   */
  readonly delivers?: (c: CommandOf<K>) => readonly Delivery[];
  /**
   * Ids whose contents leave the actor (to the caller or to another worker):
   * a worker under a denyRawGet policy refuses the command when one of them
   * holds its owner's data or anything computed from it.
   */
  readonly discloses?: (c: CommandOf<K>) => readonly number[];
}

export type Delivery = readonly [to: ActorAddress, id: number];

const one = (c: { readonly id: number }): readonly number[] => [c.id];

/** Most parties an SMPC step may name. */
const MAX_PARTIES = 64;
const ids = listOf(id);
const parties = listOf(address, MAX_PARTIES);
const dealRequest = variants({
  mul: record({ shape: listOf(count, 8) }),
  matMul: record({ a: listOf(count, 2), b: listOf(count, 2) }),
  truncation: record({ shape: listOf(count, 8), scale: positiveBigint }),
  comparison: record({ shape: listOf(count, 8) }),
  comparisonProduct: record({ shape: listOf(count, 8) }),
  zero: record({ shape: listOf(count, 8) }),
});

const positiveNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive finite number');
const probability: Check = (v) => (typeof v === 'number' && v > 0 && v < 1 ? undefined : 'a number in (0, 1)');
const probabilityOrZero: Check = (v) => (typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'a number in [0, 1)');
const dpMechanism = variants({
  laplace: record({ sensitivity: positiveNumber, epsilon: positiveNumber }),
  gaussian: record({ sensitivity: positiveNumber, epsilon: positiveNumber, delta: probability }),
  randomizedResponse: record({ epsilon: positiveNumber }),
  gaussianNoise: record({ sigma: positiveNumber }),
});

const COMMANDS: { readonly [K in CommandType]: CommandSpec<K> } = {
  store: {
    fields: { id, tensor: tensorPayload, requiresGrad: optional(bool), grad: optional(tensorPayload) },
    // A gradient is accumulated into later: it must be shaped like its tensor, in float32.
    valid: (c) =>
      c.grad === undefined || (c.grad.dtype === 'float32' && sameDims(c.grad.shape, c.tensor.shape))
        ? undefined
        : `grad must be a float32 tensor shaped like tensor [${c.tensor.shape.join(', ')}]`,
    writes: one,
    posted: (c, worker) => [{ type: 'sent', worker, id: c.id }],
    confirmed: (c, _, worker) => [{ type: 'stored', worker, id: c.id, op: 'send' }],
  },
  op: {
    fields: { op: name, args: wireArgs, out: listOf(id, MAX_OP_OUTPUTS), noGrad: optional(bool) },
    reads: (c) => refsOf(c.args),
    writes: (c) => c.out,
    name: (c) => c.op,
    confirmed: (c, _, worker) => c.out.map((id) => ({ type: 'stored', worker, id, op: c.op })),
  },
  delete: {
    fields: { ids },
    reads: (c) => c.ids,
    confirmed: (c, reply, worker) => {
      const missing = new Set(reply?.missing);
      return c.ids.filter((id) => !missing.has(id)).map((id) => ({ type: 'deleted', worker, id }));
    },
  },
  fetch: {
    fields: { id, keep: bool, slot: optional(oneOf('value', 'grad')) },
    reads: one,
    discloses: one,
    read: true,
    confirmed: (c, _, worker) => (c.keep ? [] : [{ type: 'fetched', worker, id: c.id }]),
    replyBytes: (reply) => reply.values.byteLength,
  },
  objects: { fields: {}, read: true },
  clear: { fields: {}, read: true, confirmed: (_, reply, worker) => reply.deleted.map((id) => ({ type: 'deleted', worker, id })) },
  expect: { fields: { id, from: address } },
  move: {
    fields: { id, to: address, as: id },
    reads: one,
    discloses: one,
    confirmed: (c, reply, worker) => [{ type: 'moved', worker, id: c.id, to: c.to.actor, as: c.as, bytes: reply.bytes }],
    delivers: (c) => [[c.to, c.as]],
  },
  'send-pointer': { fields: { id, to: address, as: id }, reads: one, delivers: (c) => [[c.to, c.as]] },
  'remote-get': { fields: { id }, reads: one },
  unwrap: { fields: { id }, reads: one, read: true },
  unlink: { fields: { ids } },
  sync: { fields: {}, read: true },
  backward: { fields: { id, grad: optional(wireArg) }, reads: (c) => (c.grad === undefined ? [c.id] : [c.id, ...refsOf([c.grad])]) },
  'in-place': {
    fields: { id, slot: oneOf('value', 'grad'), op: oneOf('add', 'sub', 'mul', 'div', 'zero'), arg: optional(wireArg) },
    reads: (c) => (c.arg === undefined ? [c.id] : [c.id, ...refsOf([c.arg])]),
  },
  'require-grad': { fields: { id, value: bool }, reads: one },
  slow: { fields: { ms: count } },
  stats: { fields: {}, read: true },
  train: { fields: { key: id, params: ids, x: id, y: id, job: trainJobCheck }, reads: (c) => [...c.params, c.x, c.y], read: true },
  'dp-noise': {
    fields: { id, mechanism: dpMechanism, out: id },
    reads: one,
    writes: (c) => [c.out],
    confirmed: (c, _, worker) => [{ type: 'stored', worker, id: c.out, op: `dp ${c.mechanism.kind}` }],
  },
  'set-policy': {
    fields: { policy: record({ budget: optional(record({ epsilon: positiveNumber, delta: probabilityOrZero })), denyRawGet: optional(bool) }) },
    read: true,
  },
  'privacy-spent': { fields: {}, read: true },
  'share-noise': { fields: { id, sigma: positiveNumber, out: id }, reads: one, writes: (c) => [c.out] },
  'ring-store': { fields: { id, ring: ringPayload }, writes: one },
  'ring-op': { fields: { op: name, args: wireArgs, out: id }, reads: (c) => refsOf(c.args), writes: (c) => [c.out] },
  'ring-fetch': { fields: { id, keep: bool }, reads: one, discloses: one, read: true, replyBytes: (reply) => reply.values.byteLength },
  reveal: {
    fields: { parts: ids, parties, index: count, out: ids, xor: optional(bool), step: optional(name), words: optional(count) },
    valid: (c) =>
      c.index >= c.parties.length ? `index ${c.index} names no party of ${c.parties.length}` : c.parts.length !== c.out.length ? 'parts and out differ in length' : undefined,
    reads: (c) => c.parts,
    discloses: (c) => c.parts,
    posted: (c, worker) =>
      c.words === undefined ? [] : [{ type: 'smpc-open', worker, step: c.step ?? 'open', key: c.out[0]!, bytes: c.words * 8 * (c.parties.length - 1) }],
  },
  deal: {
    fields: { request: dealRequest, parties, out: listOf(id, 8) },
    posted: (c, worker) => [{ type: 'smpc-deal', worker, step: c.request.kind, bytes: dealtWords(c.request) * 8 * c.parties.length }],
    delivers: (c) => c.parties.flatMap((to) => c.out.map((id) => [to, id] as const)),
  },
  'share-tensor': {
    fields: { id, scale: positiveBigint, weight: optional(finite), parties, out: id },
    reads: one,
    discloses: one,
    delivers: (c) => c.parties.map((to) => [to, c.out] as const),
  },
};

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
type DealOf<K extends DealRequest['kind']> = Extract<DealRequest, { kind: K }>;

/**
 * Per kind of deal: how many values each party receives (the ids a provider
 * announces) and how many 64-bit words they hold in all (the cost accounting).
 * src/host/dealer.ts draws them, in the same order.
 */
export const DEAL_KINDS: { readonly [K in DealRequest['kind']]: { readonly values: number; readonly words: (r: DealOf<K>) => number } } = {
  mul: { values: 3, words: (r) => 3 * sizeOf(r.shape) },
  matMul: { values: 3, words: (r) => sizeOf(r.a) + sizeOf(r.b) + (r.a[0] ?? 1) * (r.b[1] ?? 1) },
  truncation: { values: 3, words: (r) => 3 * sizeOf(r.shape) },
  // r both ways, the carry tree's triples (TRIPLE_ROWS words), the bit s both ways.
  comparison: { values: 5, words: (r) => (4 + TRIPLE_ROWS) * sizeOf(r.shape) },
  comparisonProduct: { values: 7, words: (r) => (6 + TRIPLE_ROWS) * sizeOf(r.shape) },
  zero: { values: 1, words: (r) => sizeOf(r.shape) },
};

export function dealtWords(request: DealRequest): number {
  return (DEAL_KINDS[request.kind].words as (r: DealRequest) => number)(request);
}

/** Each command's field checks, compiled once. */
const SHAPES: ReadonlyMap<string, Check> = new Map(Object.entries(COMMANDS).map(([type, spec]) => [type, record(spec.fields)]));

/**
 * Why `value` is not a protocol command, or undefined when it is one. A host
 * calls it on everything it receives before any other function of this table.
 */
export function checkCommand(value: unknown): MalformedCommandError | undefined {
  if (typeof value !== 'object' || value === null) return new MalformedCommandError('a command must be an object with a type');
  const type = (value as { type?: unknown }).type;
  const shape = typeof type === 'string' ? SHAPES.get(type) : undefined;
  if (shape === undefined) {
    const shown = typeof type === 'string' ? `'${type.slice(0, 64)}'` : String(typeof type);
    return new MalformedCommandError(`unknown command type ${shown}; hosts accept ${[...SHAPES.keys()].join(', ')}`);
  }
  const wrong = shape(value) ?? specOf(value as Command).valid?.(value as never);
  return wrong === undefined ? undefined : new MalformedCommandError(`'${type}' command: ${wrong.startsWith('.') ? `field ${wrong.slice(1)}` : wrong}`);
}

const failureItem = record({ op: name, message: (v) => (typeof v === 'string' ? undefined : 'a string'), code: optional(name) });
const DELIVERED = variants({
  tensor: record({ tensor: tensorPayload, requiresGrad: optional(bool), grad: optional(tensorPayload) }),
  pointer: record({ location: address, idAtLocation: id }),
  ring: record({ ring: ringPayload }),
  'reveal-part': record({ from: count, parts: (v) => (Array.isArray(v) ? listOf(ringPayload, 1024)(v) : failureItem(v)) }),
  failure: failureItem,
});

/** Why an object delivered by another host is not a protocol item, or undefined. */
export function checkDelivered(value: unknown): MalformedCommandError | undefined {
  const wrong = DELIVERED(value);
  return wrong === undefined ? undefined : new MalformedCommandError(`delivered item: ${wrong}`);
}

// The table is indexed by a command's own type, so these casts only undo TypeScript's loss of that link.
const specOf = (c: Command): CommandSpec<CommandType> => COMMANDS[c.type] as unknown as CommandSpec<CommandType>;
const NONE: readonly number[] = Object.freeze([]);
const NO_EVENTS: readonly LifecycleEvent[] = Object.freeze([]);

export function readsOf(c: Command): readonly number[] {
  return specOf(c).reads?.(c as never) ?? NONE;
}

export function writesOf(c: Command): readonly number[] {
  return specOf(c).writes?.(c as never) ?? NONE;
}

export function disclosedBy(c: Command): readonly number[] {
  return specOf(c).discloses?.(c as never) ?? NONE;
}

export function isRead(c: Command): boolean {
  return specOf(c).read === true;
}

export function nameOf(c: Command): string {
  return specOf(c).name?.(c as never) ?? c.type;
}

export function postedEvents(c: Command, worker: string): readonly LifecycleEvent[] {
  return specOf(c).posted?.(c as never, worker) ?? NO_EVENTS;
}

export function confirmedEvents(c: Command, reply: unknown, worker: string): readonly LifecycleEvent[] {
  return specOf(c).confirmed?.(c as never, reply as never, worker) ?? NO_EVENTS;
}

const NO_DELIVERIES: readonly Delivery[] = Object.freeze([]);

export function deliveriesOf(c: Command): readonly Delivery[] {
  return specOf(c).delivers?.(c as never) ?? NO_DELIVERIES;
}

export function replyBytesOf(c: Command, reply: unknown): number {
  return specOf(c).replyBytes?.(reply as never) ?? 0;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
