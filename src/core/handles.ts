/**
 * What remote handles (pointers, shared tensors, module parameters) need of
 * the runtime, written in ids and protocol commands rather than classes: a
 * location they send commands to, and the owner that names their objects and
 * keeps a record of every live handle. The client's virtual workers and local
 * worker implement these; the handles never import the client.
 */
import type { ActorAddress, Command, ReplyOf } from './protocol.js';

/** One object at a worker that a handle owns, as the owner keeps track of it. */
export interface HandleRecord {
  /** The handle's own id at the owner ('me'). */
  readonly handleId: number;
  readonly location: Location;
  readonly idAtLocation: number;
}

/** The local worker ('me'): it names objects and knows every live handle, never keeping one alive. */
export interface HandleOwner {
  readonly id: string;
  /** A fresh id, unique across all workers (ids are chosen by the caller). */
  nextId(): number;
  register(record: HandleRecord): void;
  forget(handleId: number): void;
}

/** A worker as handles see it: where it is, and how to send it commands. */
export interface Location {
  readonly id: string;
  readonly owner: HandleOwner;
  /** Where other workers reach it. */
  readonly address: ActorAddress;
  /**
   * Queues a command nobody awaits (pipelined); its failure surfaces at the
   * next read that depends on it. `transfer`: buffers moved, not copied.
   */
  post(command: Command, transfer?: readonly ArrayBuffer[]): void;
  /** Sends a command at once and resolves with its reply, or rejects with RemoteError. */
  request<C extends Command>(command: C): Promise<ReplyOf<C['type']>>;
  /** Deletes an object there, before the worker's next read (dispose, tidy). */
  release(idAtLocation: number): void;
  /** A handle became unreachable without being disposed: report it and release its object. */
  collect(idAtLocation: number, handleId: number): void;
}

/** Whether `value` is a worker a handle can talk to (a virtual worker, or one reached over a network). */
export function isLocation(value: unknown): value is Location {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Location).id === 'string' &&
    typeof (value as Location).post === 'function' &&
    typeof (value as Location).request === 'function' &&
    typeof (value as Location).address === 'object'
  );
}
