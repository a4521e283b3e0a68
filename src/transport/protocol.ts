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
import type { SerializedError } from '../errors.js';

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
export type WireArg = number | { readonly list: readonly WireArg[] } | { readonly value: unknown };

export enum CommandType {
  Store = 'store',
  Op = 'op',
  Delete = 'delete',
  Fetch = 'fetch',
  Objects = 'objects',
  Clear = 'clear',
}

/** Put a tensor sent from the caller into the store under `id`. */
export interface StoreCommand {
  readonly type: CommandType.Store;
  readonly id: number;
  readonly tensor: TensorPayload;
}

/** Run registered op `op` and store its outputs under the caller-chosen ids `out`. */
export interface OpCommand {
  readonly type: CommandType.Op;
  readonly op: string;
  readonly args: readonly WireArg[];
  readonly out: readonly number[];
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
}

export interface ObjectsCommand {
  readonly type: CommandType.Objects;
}

export interface ClearCommand {
  readonly type: CommandType.Clear;
}

export type Command = StoreCommand | OpCommand | DeleteCommand | FetchCommand | ObjectsCommand | ClearCommand;

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

export type ObjectSummary = TensorSummary | PointerSummary;

/** The reply type of each command, keyed by its `type`. */
export interface ReplyOf {
  [CommandType.Store]: undefined;
  [CommandType.Op]: undefined;
  [CommandType.Delete]: DeleteReply;
  [CommandType.Fetch]: TensorPayload;
  [CommandType.Objects]: readonly TensorSummary[];
  [CommandType.Clear]: DeletedReply;
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

export interface HostInitOptions {
  /** The backend the main thread chose; the host loads the same one. */
  readonly backend: string;
}

/** The API an actor thread exposes over comlink. */
export interface ActorHostApi {
  init(options: HostInitOptions): Promise<string>;
  spawn(actor: string): void;
  execute(batches: readonly ActorBatch[]): ActorBatchResult[];
}
