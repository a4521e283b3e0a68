/**
 * Lifecycle events of remote objects, as one discriminated union: the client's
 * RxJS stream (`hook.events$`) carries them. Events report what a worker
 * confirmed, not what was asked: `stored` arrives when the worker acknowledged
 * the object, so a test can rebuild every worker's store from the stream and
 * check that nothing leaked. Which command causes which event is written once,
 * in src/core/commands.ts.
 */
export type LifecycleEvent =
  /** A local tensor left for a worker (emitted at send time). */
  | { readonly type: 'sent'; readonly worker: string; readonly id: number }
  /** A worker now holds an object under `id` (a sent tensor or an op result). */
  | { readonly type: 'stored'; readonly worker: string; readonly id: number; readonly op: string }
  /** A worker deleted the object (dispose, tidy, collection or clearObjects). */
  | { readonly type: 'deleted'; readonly worker: string; readonly id: number }
  /** The object moved home with get(): the worker no longer holds it. */
  | { readonly type: 'fetched'; readonly worker: string; readonly id: number }
  /** The object went from `worker` (id) to `to` (as), worker to worker; `bytes` of tensor data travelled. */
  | {
      readonly type: 'moved';
      readonly worker: string;
      readonly id: number;
      readonly to: string;
      readonly as: number;
      readonly bytes: number;
    }
  /**
   * An SMPC party sends its shares in an opening (one round of protocol
   * `step`; `key` names the opening, the same at every party): `bytes` of share
   * data to the other parties together.
   */
  | { readonly type: 'smpc-open'; readonly worker: string; readonly step: string; readonly key: number; readonly bytes: number }
  /** The crypto provider deals correlated randomness of kind `step` to the parties: `bytes` in all. */
  | { readonly type: 'smpc-deal'; readonly worker: string; readonly step: string; readonly bytes: number }
  /** The pointer became unreachable; its remote object is scheduled for deletion. */
  | { readonly type: 'collected'; readonly worker: string; readonly id: number; readonly pointer: number }
  /** A command failed at the worker (or its thread died). */
  | {
      readonly type: 'error';
      readonly worker: string;
      readonly op: string;
      readonly message: string;
      readonly code: string | undefined;
    };

export type LifecycleEventType = LifecycleEvent['type'];
