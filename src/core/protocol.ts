/**
 * The wire protocol between the main thread and the actor threads, in one place
 * (the way comlink keeps its protocol.ts): every command an actor can receive is
 * one member of the `Command` union, told apart by its literal `type`.
 *
 * Commands for one thread are batched: each flush sends one `execute` call
 * carrying, in issue order, the commands for every actor on that thread. Object
 * ids are chosen by the caller, which is what lets an op return its result
 * pointer before the worker has run it.
 */
import type { SerializedError } from './errors.js';
import type { TrainJob } from '../nn/train-plan.js';

export type WireDtype = 'float32' | 'int32' | 'bool';
export type WireValues = Float32Array | Int32Array | Uint8Array;

/** A tensor in transit: its buffer goes in the transfer list, never through JSON. */
export interface TensorPayload {
  readonly dtype: WireDtype;
  readonly shape: readonly number[];
  readonly values: WireValues;
}

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

export enum CommandType {
  Store = 'store',
  Op = 'op',
  Delete = 'delete',
  Fetch = 'fetch',
  Objects = 'objects',
  Clear = 'clear',
  Expect = 'expect',
  Move = 'move',
  SendPointer = 'send-pointer',
  RemoteGet = 'remote-get',
  Unwrap = 'unwrap',
  Sync = 'sync',
  Backward = 'backward',
  InPlace = 'in-place',
  RequireGrad = 'require-grad',
  Stats = 'stats',
  Train = 'train',
  // Secure multi-party computation: shares live in the store as ring tensors.
  RingStore = 'ring-store',
  RingOp = 'ring-op',
  RingFetch = 'ring-fetch',
  Reveal = 'reveal',
  Deal = 'deal',
  ShareTensor = 'share-tensor',
}

/** Where an actor lives: its id and the thread that hosts it. */
export interface ActorAddress {
  readonly actor: string;
  readonly thread: string;
}

/** Put a tensor sent from the caller into the store under `id`. */
export interface StoreCommand {
  readonly type: CommandType.Store;
  readonly id: number;
  readonly tensor: TensorPayload;
  /** A leaf whose gradient backward() computes. */
  readonly requiresGrad?: boolean;
}

/** Run registered op `op` and store its outputs under the caller-chosen ids `out`. */
export interface OpCommand {
  readonly type: CommandType.Op;
  readonly op: string;
  readonly args: readonly WireArg[];
  readonly out: readonly number[];
  /** Issued inside sy.noGrad: record nothing for backward(). */
  readonly noGrad?: boolean;
}

/** Delete objects (and forget failures) by id; ids that are already gone are ignored. */
export interface DeleteCommand {
  readonly type: CommandType.Delete;
  readonly ids: readonly number[];
}

/** Read an object; unless `keep`, it leaves the store (PySyft's get()). */
export interface FetchCommand {
  readonly type: CommandType.Fetch;
  readonly id: number;
  readonly keep: boolean;
  /** Read the gradient instead of the value (always kept). */
  readonly slot?: Slot;
}

/** Accumulate d(id)/d(leaf) into the gradient of every leaf `id` depends on. */
export interface BackwardCommand {
  readonly type: CommandType.Backward;
  readonly id: number;
  /** The gradient of `id` itself; ones for a scalar when absent. */
  readonly grad?: WireArg;
}

/** Update a leaf's value or gradient in place (sub_, zero_, ...); not recorded for backward(). */
export interface InPlaceCommand {
  readonly type: CommandType.InPlace;
  readonly id: number;
  readonly slot: Slot;
  readonly op: InPlaceOp;
  readonly arg?: WireArg;
}

export type InPlaceOp = 'add' | 'sub' | 'mul' | 'div' | 'zero';

/** Make a tensor a leaf that requires a gradient (or stop requiring one): PyTorch's requires_grad_(). */
export interface RequireGradCommand {
  readonly type: CommandType.RequireGrad;
  readonly id: number;
  readonly value: boolean;
}

export interface ObjectsCommand {
  readonly type: CommandType.Objects;
}

export interface ClearCommand {
  readonly type: CommandType.Clear;
}

/**
 * An object with this id is on its way from another worker (a move, a chain
 * link): commands that read it wait for it instead of failing.
 */
export interface ExpectCommand {
  readonly type: CommandType.Expect;
  readonly id: number;
}

/**
 * Hand the object to `to` under id `as`, worker to worker (never through the
 * main thread). A tensor travels; a chain link forwards the move to where the
 * data is, so the chain shrinks to nothing. The object leaves this worker.
 */
export interface MoveCommand {
  readonly type: CommandType.Move;
  readonly id: number;
  readonly to: ActorAddress;
  readonly as: number;
}

/** Give `to` a pointer, under id `as`, to this worker's object `id` (x.send(bob).send(alice)). */
export interface SendPointerCommand {
  readonly type: CommandType.SendPointer;
  readonly id: number;
  readonly to: ActorAddress;
  readonly as: number;
}

/** The object at `id` is a chain link: pull the data it points to here, under the same id. */
export interface RemoteGetCommand {
  readonly type: CommandType.RemoteGet;
  readonly id: number;
}

/** Remove the chain link at `id` and reply with where it pointed (get() on a chain). */
export interface UnwrapCommand {
  readonly type: CommandType.Unwrap;
  readonly id: number;
}

/** Does nothing, but answers only once everything this worker forwarded has settled (see Actor). */
export interface SyncCommand {
  readonly type: CommandType.Sync;
}

/** Counts for leak checks: objects, tensors kept only for backward(), and tfjs tensors alive in the thread. */
export interface StatsCommand {
  readonly type: CommandType.Stats;
}

export interface StatsReply {
  readonly objects: number;
  readonly retainedForBackward: number;
  /** Training sessions (a model and its optimizer's state) kept for the next trainOn(). */
  readonly trainingSessions: number;
  /** tf.memory().numTensors of the whole thread (all its actors). */
  readonly threadTensors: number;
}

/** Run a training job (k steps) on the model whose parameters are `params`, in one message. */
export interface TrainCommand {
  readonly type: CommandType.Train;
  /** The training session: the optimizer and its state are kept per key between calls. */
  readonly key: number;
  /** The parameters' ids, in the module's namedParameters() order. */
  readonly params: readonly number[];
  readonly x: number;
  readonly y: number;
  readonly job: TrainJob;
}

/** A tensor over Z_2^64 (a secret share, or an opened masked value); its buffer transfers. */
export interface RingPayload {
  readonly values: BigUint64Array;
  readonly shape: readonly number[];
}

/** Put a ring tensor (a share dealt by the caller) into the store under `id`. */
export interface RingStoreCommand {
  readonly type: CommandType.RingStore;
  readonly id: number;
  readonly ring: RingPayload;
}

/**
 * Run registered ring op `op` (src/smpc/ring-ops.ts) on ring tensors of this
 * store (ids) and public values (`{ value }`), storing the result under `out`.
 */
export interface RingOpCommand {
  readonly type: CommandType.RingOp;
  readonly op: string;
  readonly args: readonly WireArg[];
  readonly out: number;
}

/** Read a ring tensor; unless `keep`, it leaves the store. */
export interface RingFetchCommand {
  readonly type: CommandType.RingFetch;
  readonly id: number;
  readonly keep: boolean;
}

/**
 * Open shares in one round: this party (number `index` of `parties`) sends its
 * shares `parts` to every other party over the worker-to-worker channels, and
 * stores the sums of everyone's shares under `out` once all have arrived.
 * Every party runs the same command with its own index.
 */
export interface RevealCommand {
  readonly type: CommandType.Reveal;
  readonly parts: readonly number[];
  readonly parties: readonly ActorAddress[];
  readonly index: number;
  readonly out: readonly number[];
}

/** What a crypto provider deals: correlated randomness for one protocol step. */
export type DealRequest =
  /** A Beaver triple a, b, c = a·b for an element-wise product of this shape. */
  | { readonly kind: 'mul'; readonly shape: readonly number[] }
  /** A Beaver triple a [m, k], b [k, n], c = a·b for a matrix product. */
  | { readonly kind: 'matMul'; readonly a: readonly number[]; readonly b: readonly number[] }
  /** A truncation mask r with floor((r mod 2^63) / scale) and the top bit of r, for dividing shares by `scale`. */
  | { readonly kind: 'truncation'; readonly shape: readonly number[]; readonly scale: bigint }
  /** Shares of zero, to re-randomize shares (refresh). */
  | { readonly kind: 'zero'; readonly shape: readonly number[] };

/**
 * At the crypto provider: draw what `request` asks for, split each value into
 * one share per party, and deliver party p's shares under the ids `out`
 * (the same ids at every party). The provider keeps nothing.
 */
export interface DealCommand {
  readonly type: CommandType.Deal;
  readonly request: DealRequest;
  readonly parties: readonly ActorAddress[];
  readonly out: readonly number[];
}

/**
 * At the worker holding tensor `id`: encode it in fixed point (times `weight`,
 * when given), split it into one share per party with a CSPRNG, and deliver
 * each party its share under `out`. The tensor stays; only shares leave.
 */
export interface ShareTensorCommand {
  readonly type: CommandType.ShareTensor;
  readonly id: number;
  readonly scale: bigint;
  readonly weight?: number;
  readonly parties: readonly ActorAddress[];
  readonly out: number;
}

export type Command =
  | RingStoreCommand
  | RingOpCommand
  | RingFetchCommand
  | RevealCommand
  | DealCommand
  | ShareTensorCommand
  | TrainCommand
  | StatsCommand
  | SyncCommand
  | BackwardCommand
  | InPlaceCommand
  | RequireGradCommand
  | StoreCommand
  | OpCommand
  | DeleteCommand
  | FetchCommand
  | ObjectsCommand
  | ClearCommand
  | ExpectCommand
  | MoveCommand
  | SendPointerCommand
  | RemoteGetCommand
  | UnwrapCommand;

/** The commands for one actor inside one flush, in issue order. */
export interface ActorBatch {
  readonly actor: string;
  readonly commands: readonly Command[];
}

/** What a clear removed, so the caller can report exactly that. */
export interface DeletedReply {
  readonly deleted: readonly number[];
}

/**
 * A delete answers only when some ids held nothing (already gone): the usual
 * delete, one per disposed pointer, then costs no reply at all.
 */
export type DeleteReply = { readonly missing: readonly number[] } | undefined;

export interface TensorSummary {
  readonly id: number;
  readonly kind: 'tensor';
  readonly shape: readonly number[];
  readonly dtype: string;
  /** The first few values, for printing. */
  readonly preview: string;
}

/** An entry that points elsewhere (the local worker's pointers; later, chain links). */
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

/** Where a chain link pointed. */
export interface LinkReply {
  readonly location: string;
  readonly idAtLocation: number;
}

/** A move reports how many tensor bytes went worker to worker. */
export interface MoveReply {
  readonly bytes: number;
}

/** The reply type of each command, keyed by its `type`. */
export interface ReplyOf {
  [CommandType.Store]: undefined;
  [CommandType.Op]: undefined;
  [CommandType.Delete]: DeleteReply;
  [CommandType.Fetch]: FetchReply;
  [CommandType.Objects]: readonly ObjectSummary[];
  [CommandType.Clear]: DeletedReply;
  [CommandType.Expect]: undefined;
  [CommandType.Move]: MoveReply;
  [CommandType.SendPointer]: undefined;
  [CommandType.RemoteGet]: undefined;
  [CommandType.Unwrap]: LinkReply;
  [CommandType.Sync]: undefined;
  [CommandType.Backward]: undefined;
  [CommandType.InPlace]: undefined;
  [CommandType.RequireGrad]: undefined;
  [CommandType.Stats]: StatsReply;
  [CommandType.Train]: { readonly losses: readonly number[] };
  [CommandType.RingStore]: undefined;
  [CommandType.RingOp]: undefined;
  [CommandType.RingFetch]: RingPayload;
  [CommandType.Reveal]: undefined;
  [CommandType.Deal]: undefined;
  [CommandType.ShareTensor]: undefined;
}

/** A fetched tensor, with its autograd state: get() brings value and gradient home together. */
export interface FetchReply extends TensorPayload {
  readonly requiresGrad?: boolean;
  readonly grad?: TensorPayload;
}

/** Why an object is missing: the op that failed and its cause. */
export interface StoredFailureLike {
  readonly op: string;
  readonly message: string;
  readonly code: string | undefined;
}

/** What arrives at a worker from another one: a tensor, a chain link, or the failure that replaced it. */
export type DeliveredItem =
  | { readonly kind: 'tensor'; readonly tensor: TensorPayload; readonly requiresGrad?: boolean; readonly grad?: TensorPayload }
  | { readonly kind: 'pointer'; readonly location: ActorAddress; readonly idAtLocation: number }
  | { readonly kind: 'ring'; readonly ring: RingPayload }
  /** One party's shares for a Reveal (delivered under the id of the reveal's first output), or why it has none. */
  | { readonly kind: 'reveal-part'; readonly from: number; readonly parts: readonly RingPayload[] | StoredFailureLike }
  | { readonly kind: 'failure'; readonly op: string; readonly message: string; readonly code: string | undefined };

/**
 * The outcome of one actor batch. Only commands that failed or that reply with
 * data are listed (by index into the batch), so a batch of ten thousand ops
 * answers with two empty arrays.
 */
export interface ActorBatchResult {
  readonly failures: ReadonlyArray<readonly [index: number, error: SerializedError, op: string]>;
  readonly replies: ReadonlyArray<readonly [index: number, reply: unknown]>;
}

export interface HostInitOptions {
  /** The backend the main thread chose; the host loads the same one. */
  readonly backend: string;
  /** This thread's name, as other threads address it. */
  readonly thread: string;
}

/** What one actor thread offers another over their direct channel. */
export interface PeerApi {
  /** Commands forwarded along a chain; resolves once they ran and what they caused settled. */
  forward(batches: readonly ActorBatch[]): ActorBatchResult[] | Promise<ActorBatchResult[]>;
  /** An object arriving for one of this thread's actors. */
  deliver(actor: string, id: number, item: DeliveredItem): void;
}

/** The API an actor thread exposes to the main thread over comlink. */
export interface ActorHostApi extends PeerApi {
  init(options: HostInitOptions): Promise<string>;
  spawn(actor: string): void;
  /** Commands from the main thread, in issue order. */
  execute(batches: readonly ActorBatch[]): ActorBatchResult[] | Promise<ActorBatchResult[]>;
  /** The receiving end of a direct channel from thread `from` (this thread serves `from` on it). */
  acceptPeer(from: string, port: unknown): void;
  /** The sending end of a direct channel to thread `to`. */
  connectPeer(to: string, port: unknown): void;
}
