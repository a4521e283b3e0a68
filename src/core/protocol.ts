/**
 * The wire protocol between a client and the hosts of its actors, in one place
 * (the way comlink keeps its protocol.ts). Everything here is plain data, so a
 * message can cross a thread by structured clone or a socket as bytes
 * (src/transport/codec.ts).
 *
 * `Commands` maps each command's `type` to what it carries and what it answers;
 * the `Command` union, `CommandType` and `ReplyOf` all derive from it, and
 * src/core/commands.ts gives each command its ordering rules and events.
 *
 * Commands for one host are batched: each flush sends one `execute` call
 * carrying, in issue order, the commands for every actor on that host. Object
 * ids are chosen by the caller, which is what lets an op return its result
 * pointer before the worker has run it.
 */
import type { SerializedError } from './errors.js';
import type { RingTensor } from './ring/ring.js';
import type { TrainJob } from './specs.js';

export type WireDtype = 'float32' | 'int32' | 'bool';
export type WireValues = Float32Array | Int32Array | Uint8Array;

/** A tensor in transit: its buffer goes in the transfer list (or as raw bytes), never through JSON. */
export interface TensorPayload {
  readonly dtype: WireDtype;
  readonly shape: readonly number[];
  readonly values: WireValues;
}

/** A tensor over Z_2^64 (a secret share, or an opened masked value); its buffer transfers. */
export type RingPayload = RingTensor;

/**
 * An op argument: a bare number is the id of an object in the actor's store
 * (the common case, kept cheap to clone); lists and plain values are wrapped.
 */
export type WireArg =
  | number
  | { readonly list: readonly WireArg[] }
  | { readonly value: unknown }
  /** The gradient of the object with this id (x.grad on a pointer). */
  | { readonly grad: number };

/** Which tensor of an object a command addresses: its value or its gradient. */
export type Slot = 'value' | 'grad';

export type InPlaceOp = 'add' | 'sub' | 'mul' | 'div' | 'zero';

/** Where an actor lives: its id and the host (thread) that runs it. */
export interface ActorAddress {
  readonly actor: string;
  readonly thread: string;
}

/** What a crypto provider deals: correlated randomness for one protocol step. */
export type DealRequest =
  /** A Beaver triple a, b, c = a·b for an element-wise product of this shape. */
  | { readonly kind: 'mul'; readonly shape: readonly number[] }
  /** A Beaver triple a [m, k], b [k, n], c = a·b for a matrix product. */
  | { readonly kind: 'matMul'; readonly a: readonly number[]; readonly b: readonly number[] }
  /** A truncation mask r with floor((r mod 2^63) / scale) and the top bit of r, for dividing shares by `scale`. */
  | { readonly kind: 'truncation'; readonly shape: readonly number[]; readonly scale: bigint }
  /**
   * For one sign-bit circuit (comparisons): a uniform r shared additively and
   * as XOR shares of its words, the carry tree's binary triples, and a random
   * bit s shared both ways (src/core/ring/binary-shares.ts).
   */
  | { readonly kind: 'comparison'; readonly shape: readonly number[] }
  /**
   * The same, plus a uniform a and a·s (both additive), so that a value y
   * can be multiplied by the sign bit with no extra round: y - a is opened
   * with the first opening (src/smpc/protocols.ts signBit).
   */
  | { readonly kind: 'comparisonProduct'; readonly shape: readonly number[] }
  /** Shares of zero, to re-randomize shares (refresh). */
  | { readonly kind: 'zero'; readonly shape: readonly number[] };

/**
 * A DP mechanism a worker applies to a tensor it holds (src/dp/mechanisms.ts),
 * so that only the noisy answer leaves it.
 */
export type DpMechanismSpec =
  | { readonly kind: 'laplace'; readonly sensitivity: number; readonly epsilon: number }
  | { readonly kind: 'gaussian'; readonly sensitivity: number; readonly epsilon: number; readonly delta: number }
  | { readonly kind: 'randomizedResponse'; readonly epsilon: number }
  /** Gaussian noise of a given standard deviation (DP-FedAvg's zS on a sum): its privacy is the caller's accounting, or the worker's from the L2 sensitivity it tracks. */
  | { readonly kind: 'gaussianNoise'; readonly sigma: number };

/** What a data owner sets at its worker (`worker.setPolicy`): a privacy budget, and whether raw values may leave. */
export interface PrivacyPolicySpec {
  readonly budget?: { readonly epsilon: number; readonly delta: number };
  readonly denyRawGet?: boolean;
}

/** A worker's privacy policy and what its DP releases and DP training have spent of the budget. */
export interface PrivacyReport {
  readonly epsilon: number;
  readonly delta: number;
  /** Which composition gave the tighter figure: basic (sums of each release's (ε, δ)) or RDP converted at the budget's δ. */
  readonly accounting: 'basic' | 'rdp';
  readonly charges: number;
  readonly budget: { readonly epsilon: number; readonly delta: number } | undefined;
  readonly denyRawGet: boolean;
}

/** Counts for leak checks. */
export interface StatsReply {
  readonly objects: number;
  readonly retainedForBackward: number;
  /** Objects announced by another worker and not yet arrived. */
  readonly pending: number;
  /** SMPC openings waiting for another party's shares. */
  readonly openings: number;
  /** Training sessions (a model and its optimizer's state) kept for the next trainOn(). */
  readonly trainingSessions: number;
  /** tf.memory().numTensors of the whole thread (all its actors). */
  readonly threadTensors: number;
  /** What this worker sent other parties in SMPC openings since it started: bytes of share data, and openings. */
  readonly smpcSent: { readonly bytes: number; readonly openings: number };
}

/** A fetched tensor, with its autograd state: get() brings value and gradient home together. */
export interface FetchReply extends TensorPayload {
  readonly requiresGrad?: boolean;
  readonly grad?: TensorPayload;
}

/** Where a chain link pointed. */
interface LinkReply {
  readonly location: string;
  readonly idAtLocation: number;
}

/**
 * Every command an actor accepts: its fields (`command`) and its answer
 * (`reply`; `undefined` for commands nobody awaits).
 */
interface Commands {
  /**
   * Put a tensor sent from the caller into the store under `id`; `requiresGrad`: a leaf whose gradient backward()
   * computes; `grad`: the gradient it already has (a tensor's .grad travels with it, as in PyTorch).
   */
  store: { command: { id: number; tensor: TensorPayload; requiresGrad?: boolean; grad?: TensorPayload }; reply: undefined };
  /** Run registered op `op` and store its outputs under the caller-chosen ids `out`; `noGrad`: record nothing for backward(). */
  op: { command: { op: string; args: readonly WireArg[]; out: readonly number[]; noGrad?: boolean }; reply: undefined };
  /**
   * Delete objects (and forget failures) by id; ids already gone are ignored.
   * Answers only when some ids held nothing, so the usual delete costs no reply.
   */
  delete: { command: { ids: readonly number[] }; reply: { readonly missing: readonly number[] } | undefined };
  /** Read an object; unless `keep`, it leaves the store (PySyft's get()). `slot: 'grad'` reads the gradient (always kept). */
  fetch: { command: { id: number; keep: boolean; slot?: Slot }; reply: FetchReply };
  /** What the actor holds (PySyft's `_objects`). */
  objects: { command: object; reply: readonly ObjectSummary[] };
  /** Delete everything; answers with what it removed, so the caller can report exactly that. */
  clear: { command: object; reply: { readonly deleted: readonly number[] } };
  /**
   * An object with this id is on its way from worker `from` (a move, a chain
   * link, a share): commands that read it wait for it instead of failing, and
   * fail with WORKER_CRASHED if `from` dies first (WORKER_TIMEOUT past the
   * host's wait timeout).
   */
  expect: { command: { id: number; from: ActorAddress }; reply: undefined };
  /**
   * Hand the object to `to` under id `as`, worker to worker (never through the
   * client). A tensor travels; a chain link forwards the move to where the data
   * is, so the chain shrinks to nothing. Answers with the tensor bytes sent.
   */
  move: { command: { id: number; to: ActorAddress; as: number }; reply: { readonly bytes: number } };
  /** Give `to` a pointer, under id `as`, to this worker's object `id` (x.send(bob).send(alice)). */
  'send-pointer': { command: { id: number; to: ActorAddress; as: number }; reply: undefined };
  /** The object at `id` is a chain link: pull the data it points to here, under the same id. */
  'remote-get': { command: { id: number }; reply: undefined };
  /** Remove the chain link at `id` and answer with where it pointed (get() on a chain). */
  unwrap: { command: { id: number }; reply: LinkReply };
  /**
   * From the client, once get() on a chain unwrapped the link to these
   * objects: it refers to them directly now, so they no longer go when the
   * link's worker dies. Ids not held are ignored.
   */
  unlink: { command: { ids: readonly number[] }; reply: undefined };
  /** Does nothing, but answers only once everything this worker forwarded has settled. */
  sync: { command: object; reply: undefined };
  /** Accumulate d(id)/d(leaf) into every leaf `id` depends on; `grad`: the gradient of `id` (ones for a scalar when absent). */
  backward: { command: { id: number; grad?: WireArg }; reply: undefined };
  /** Update a leaf's value or gradient in place (sub_, zero_, ...); not recorded for backward(). */
  'in-place': { command: { id: number; slot: Slot; op: InPlaceOp; arg?: WireArg }; reply: undefined };
  /** Make a tensor a leaf that requires a gradient (or stop requiring one): PyTorch's requires_grad_(). */
  'require-grad': { command: { id: number; value: boolean }; reply: undefined };
  /** Fault injection (sy.testing.slow): the actor waits `ms` before each later batch; 0 ends it. */
  slow: { command: { ms: number }; reply: undefined };
  /** Counts for leak checks: objects, tensors kept only for backward(), training sessions, tfjs tensors alive in the thread. */
  stats: { command: object; reply: StatsReply };
  /**
   * Run a training job (k steps) on the model whose parameters are `params`
   * (in the module's namedParameters() order), in one message. The optimizer
   * and its state are kept per session `key` between calls.
   */
  train: { command: { key: number; params: readonly number[]; x: number; y: number; job: TrainJob }; reply: { readonly losses: readonly number[] } };
  /** Apply a DP mechanism to the tensor `id`, storing the noisy result under `out` (the noise is drawn here, from this worker's CSPRNG). */
  'dp-noise': { command: { id: number; mechanism: DpMechanismSpec; out: number }; reply: undefined };
  /**
   * Add this party's part of distributed DP noise to its share `id`: a
   * discrete Gaussian with standard deviation `sigma` in ring units (drawn
   * here, from this worker's CSPRNG), stored under `out`. Every party adds
   * its own, so no one knows the whole noise on the opened sum.
   */
  'share-noise': { command: { id: number; sigma: number; out: number }; reply: undefined };
  /**
   * Set this worker's privacy policy (its data owner's act). A policy only
   * tightens: a smaller budget, denyRawGet once on stays on. With denyRawGet,
   * what the worker holds now is its owner's private data.
   */
  'set-policy': { command: { policy: PrivacyPolicySpec }; reply: PrivacyReport };
  /** The policy and the privacy spent so far. */
  'privacy-spent': { command: object; reply: PrivacyReport };
  /** Put a ring tensor (a share dealt by the caller) into the store under `id`. */
  'ring-store': { command: { id: number; ring: RingPayload }; reply: undefined };
  /** Run registered ring op `op` (src/core/ring/ring-ops.ts) on shares (ids) and public values, storing the result under `out`. */
  'ring-op': { command: { op: string; args: readonly WireArg[]; out: number }; reply: undefined };
  /** Read a ring tensor; unless `keep`, it leaves the store. */
  'ring-fetch': { command: { id: number; keep: boolean }; reply: RingPayload };
  /**
   * Open shares in one round: this party (number `index` of `parties`) sends
   * its shares `parts` to every other party, worker to worker, and stores the
   * sums of everyone's shares under `out` once all have arrived. Every party
   * runs the same command with its own index.
   */
  reveal: {
    /** `xor`: the parts are binary shares, opened by XOR instead of a sum. */
    command: {
      parts: readonly number[];
      parties: readonly ActorAddress[];
      index: number;
      out: readonly number[];
      xor?: boolean;
      /** The protocol step this opening belongs to ('mul', 'truncation', 'comparison', ...), for the cost accounting. */
      step?: string;
      /** The 64-bit words this party sends each other party; the party refuses to send any other number. */
      words?: number;
    };
    reply: undefined;
  };
  /**
   * At the crypto provider: draw what `request` asks for, split each value into
   * one share per party, and deliver party p's shares under the ids `out`
   * (the same ids at every party). The provider keeps nothing.
   */
  deal: { command: { request: DealRequest; parties: readonly ActorAddress[]; out: readonly number[] }; reply: undefined };
  /**
   * At the worker holding tensor `id`: encode it in fixed point at `scale`
   * (times `weight`, when given), split it with a CSPRNG, and deliver each
   * party its share under `out`. The tensor stays; only shares leave.
   */
  'share-tensor': { command: { id: number; scale: bigint; weight?: number; parties: readonly ActorAddress[]; out: number }; reply: undefined };
}

export type CommandType = keyof Commands;
export type CommandOf<K extends CommandType> = { readonly type: K } & Readonly<Commands[K]['command']>;
export type Command = { [K in CommandType]: CommandOf<K> }[CommandType];
export type ReplyOf<K extends CommandType> = Commands[K]['reply'];


export interface TensorSummary {
  readonly id: number;
  readonly kind: 'tensor';
  readonly shape: readonly number[];
  readonly dtype: string;
  /** The first few values, for printing. */
  readonly preview: string;
}

/** An entry that points elsewhere (the local worker's pointers; chain links). */
export interface PointerSummary {
  readonly id: number;
  readonly kind: 'pointer';
  readonly location: string;
  readonly idAtLocation: number;
}

/** A ring tensor: a secret share (its values look random by design). */
export interface RingSummary {
  readonly id: number;
  readonly kind: 'ring';
  readonly shape: readonly number[];
  readonly preview: string;
}

export type ObjectSummary = TensorSummary | PointerSummary | RingSummary;

/** The commands for one actor inside one flush, in issue order. */
export interface ActorBatch {
  readonly actor: string;
  readonly commands: readonly Command[];
  /**
   * For a batch one actor forwards to another: who sent it. What the batch
   * stores is referenced only by that actor's chain links, so it goes when the
   * sender's thread dies.
   */
  readonly from?: ActorAddress;
}

/**
 * The outcome of one actor batch. Only commands that failed or that reply with
 * data are listed (by index into the batch), so a batch of ten thousand ops
 * answers with two empty arrays.
 */
export interface ActorBatchResult {
  readonly failures: ReadonlyArray<readonly [index: number, error: SerializedError, op: string]>;
  readonly replies: ReadonlyArray<readonly [index: number, reply: unknown]>;
}

/** Why an object is missing: the op that failed and its cause. */
export interface StoredFailure {
  readonly op: string;
  readonly message: string;
  readonly code: string | undefined;
}

/** What arrives at a worker from another one: a tensor, a chain link, a share, or the failure that replaced it. */
export type DeliveredItem =
  | { readonly kind: 'tensor'; readonly tensor: TensorPayload; readonly requiresGrad?: boolean; readonly grad?: TensorPayload }
  | { readonly kind: 'pointer'; readonly location: ActorAddress; readonly idAtLocation: number }
  | { readonly kind: 'ring'; readonly ring: RingPayload }
  /** One party's shares for a reveal (delivered under the id of the reveal's first output), or why it has none. */
  | { readonly kind: 'reveal-part'; readonly from: number; readonly parts: readonly RingPayload[] | StoredFailure }
  | ({ readonly kind: 'failure' } & StoredFailure);

export interface HostInitOptions {
  /** The backend the client chose; the host loads the same one. */
  readonly backend: string;
  /** This host's name, as other hosts address it. */
  readonly thread: string;
  /** How long an object announced by `expect` may take to arrive (ms). */
  readonly waitTimeoutMs: number;
}

/**
 * A host in a thread of the client's process counts, in shared memory, the
 * client's commands it has finished (slot DONE), and marks when it stops
 * (slot STOPPED). The client reads them without its event loop, which is what
 * lets a synchronous loop issuing ops wait for the host (backpressure).
 */
export const PROGRESS_DONE = 0;
export const PROGRESS_STOPPED = 1;
export const PROGRESS_SLOTS = 2;

/**
 * The exit code of a host thread that retired itself: a kernel failed in a way
 * that may have corrupted its wasm heap, so no later op there can be trusted.
 */
export const EXIT_RETIRED = 70;

/** What one host offers another over their direct channel. */
export interface PeerApi {
  /** Commands forwarded along a chain; resolves once they ran and what they caused settled. */
  forward(batches: readonly ActorBatch[]): ActorBatchResult[] | Promise<ActorBatchResult[]>;
  /** An object arriving for one of this host's actors. */
  deliver(actor: string, id: number, item: DeliveredItem): void;
}

/** The entry points a host offers its client. */
export interface HostApi {
  init(options: HostInitOptions): Promise<string>;
  spawn(actor: string): void;
  /** Registers every id, or none when one is malformed or taken (hook.virtualWorkers of 100,000 ids: one message). */
  spawnAll(actors: readonly string[]): void;
  /** Commands from the client, in issue order. */
  execute(batches: readonly ActorBatch[]): ActorBatchResult[] | Promise<ActorBatchResult[]>;
}

/**
 * The link setup a thread host serves on its second port (src/host/thread-main.ts):
 * the ports of direct channels to other hosts. A thread of the client's process
 * gets them from the client; a worker process's session thread from the process.
 */
export interface LinkApi {
  /** Serve host `from` on this port: it forwards commands and delivers objects to this host's actors. */
  acceptPeer(from: string, port: unknown): void;
  /** Reach host `to` on this port. */
  connectPeer(to: string, port: unknown): void;
}

/** Where a worker in another process is reached by the other workers of a session. */
export type PeerAddress = { readonly kind: 'ws'; readonly url: string; readonly worker: string } | { readonly kind: 'nats'; readonly worker: string };

/** A host in a process of its own also dials the other workers of its session, and ends the session on request. */
export interface RemoteHostApi extends HostApi {
  /** Dial the worker at `address` (host name `to`) as a peer of its session `session`, showing its `ticket`. */
  connectPeer(to: string, address: PeerAddress, ticket: string, session: string): Promise<void>;
  /** The client is done: clear every object now rather than after the grace period. */
  endSession(): void;
}

/** Every store id an op's arguments name, lists included (gradient references too). */
export function refsOf(args: readonly WireArg[], into: number[] = []): number[] {
  for (const arg of args) {
    if (typeof arg === 'number') into.push(arg);
    else if ('list' in arg) refsOf(arg.list, into);
    else if ('grad' in arg) into.push(arg.grad);
  }
  return into;
}

/** The same arguments with every store id replaced by `map(id)`. */
export function mapRefs(args: readonly WireArg[], map: (id: number) => number): WireArg[] {
  return args.map((arg) => {
    if (typeof arg === 'number') return map(arg);
    if ('list' in arg) return { list: mapRefs(arg.list, map) };
    if ('grad' in arg) return { grad: map(arg.grad) };
    return arg;
  });
}
