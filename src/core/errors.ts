/**
 * Every error syft-ts throws on purpose is a `SyftError` with a stable `code`.
 *
 * Errors cross thread boundaries (a failing op in bob's thread must surface in
 * the main thread), and `instanceof` does not survive structured clone, so each
 * error is branded with a `Symbol.for` key and can be serialized to plain data
 * and rebuilt on the other side with `deserializeError`.
 */

const BRAND = Symbol.for('syft-ts.error');

export type ErrorCode =
  | 'TENSORS_NOT_COLLOCATED'
  | 'POINTER_DISPOSED'
  | 'UNKNOWN_OP'
  | 'INVALID_ARGUMENT'
  | 'DUPLICATE_WORKER'
  | 'REMOTE_ERROR'
  | 'OBJECT_NOT_FOUND'
  | 'WORKER_CRASHED'
  | 'RUNTIME_SHUT_DOWN'
  | 'BACKEND_UNAVAILABLE'
  | 'UNSUPPORTED_DTYPE'
  | 'LEAKED_OBJECTS'
  | 'MODEL_MISMATCH'
  | 'WORKER_TIMEOUT'
  | 'DATASET_UNAVAILABLE'
  | 'FIXED_PRECISION_OVERFLOW'
  | 'CRYPTO_PROVIDER_REQUIRED'
  | 'SHARES_NOT_COMPATIBLE'
  | 'MALFORMED_COMMAND'
  | 'BACKPRESSURE_TIMEOUT'
  | 'FEDERATED_ROUND_FAILED'
  | 'PYSYFT_NAME'
  | 'UNSUPPORTED_ON_SHARES'
  | 'SHARED_VALUE_TO_PRIMITIVE'
  | 'PRIVACY_POLICY'
  | 'PRIVACY_BUDGET_EXCEEDED'
  | 'WORKER_DISCONNECTED'
  | 'UNAUTHENTICATED'
  | 'WORKER_BUSY'
  | 'CONNECTION_FAILED';

export class SyftError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True for any syft-ts error, also one built in another realm or thread. */
export function isSyftError(value: unknown): value is SyftError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A tensor and a pointer, or two pointers at different workers, met in one op. */
export class TensorsNotCollocatedError extends SyftError {
  constructor(message: string) {
    super('TENSORS_NOT_COLLOCATED', message);
  }
}

const ADVICE = {
  fetched: 'was already fetched with get(): the worker no longer holds its object. Use what get() returned, or send it again.',
  disposed:
    'was disposed: its remote object is deleted. Keep the pointer alive (do not dispose it, or return it from sy.tidy) while you still use it.',
  sent: 'was sent on to another worker, which owns the object now. Use the pointer send() returned.',
} as const;

export class PointerDisposedError extends SyftError {
  constructor(pointer: string, how: 'disposed' | 'fetched' | 'sent') {
    super('POINTER_DISPOSED', `${pointer} ${ADVICE[how]}`);
  }
}

export class UnknownOpError extends SyftError {
  readonly op: string;
  constructor(op: string, suggestions: readonly string[]) {
    super(
      'UNKNOWN_OP',
      `Unknown op '${op}': workers run only registered ops.` +
        (suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : '') +
        ` The registered ops are listed by sy.opNames().`,
    );
    this.op = op;
  }
}

export class InvalidArgumentError extends SyftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class DuplicateWorkerError extends SyftError {
  constructor(id: string) {
    super(
      'DUPLICATE_WORKER',
      `A virtual worker with id '${id}' already exists on this hook. ` +
        `Use hook.worker('${id}') to get it, or choose another id.`,
    );
  }
}

/**
 * An op that failed inside a worker, reported at the first await that depends
 * on it. Its code is REMOTE_ERROR, except when the cause is that another
 * worker died or never answered: then it is that cause's code (WORKER_CRASHED,
 * WORKER_TIMEOUT), so code that handles a lost worker need not unwrap.
 */
export class RemoteError extends SyftError {
  readonly worker: string;
  readonly op: string;
  readonly causeCode: string | undefined;
  constructor(worker: string, op: string, causeMessage: string, causeCode?: string) {
    super(
      causeCode !== undefined && PASSED_THROUGH.has(causeCode) ? (causeCode as ErrorCode) : 'REMOTE_ERROR',
      `Remote op '${op}' failed on worker '${worker}': ${causeMessage}`,
    );
    this.worker = worker;
    this.op = op;
    this.causeCode = causeCode;
  }
}

/** Causes a caller handles by their own code, not as a generic remote failure. */
const PASSED_THROUGH: ReadonlySet<string> = new Set(['WORKER_CRASHED', 'WORKER_TIMEOUT', 'PRIVACY_POLICY', 'PRIVACY_BUDGET_EXCEEDED']);

/**
 * The worker's data owner forbids this: a raw get() (or a move, or shares)
 * of data under a `denyRawGet` policy or of anything computed from it, or a
 * DP release whose declared sensitivity the worker cannot vouch for.
 */
export class PrivacyPolicyError extends RemoteError {
  constructor(worker: string, op: string, causeMessage: string) {
    super(worker, op, causeMessage, 'PRIVACY_POLICY');
  }
}

/** A DP release or DP training job would take the worker past the privacy budget its data owner set. */
export class PrivacyBudgetExceededError extends RemoteError {
  constructor(worker: string, op: string, causeMessage: string) {
    super(worker, op, causeMessage, 'PRIVACY_BUDGET_EXCEEDED');
  }
}

/** A failure reported by a worker, as the class its cause calls for. */
export function remoteError(worker: string, op: string, causeMessage: string, causeCode?: string): RemoteError {
  if (causeCode === 'PRIVACY_POLICY') return new PrivacyPolicyError(worker, op, causeMessage);
  if (causeCode === 'PRIVACY_BUDGET_EXCEEDED') return new PrivacyBudgetExceededError(worker, op, causeMessage);
  return new RemoteError(worker, op, causeMessage, causeCode);
}

export class ObjectNotFoundError extends SyftError {
  constructor(worker: string, id: number) {
    super(
      'OBJECT_NOT_FOUND',
      `Worker '${worker}' holds no object with id ${id}: it was deleted, fetched, or never stored.`,
    );
  }
}

export class WorkerCrashedError extends SyftError {
  constructor(thread: string, reason: string) {
    super(
      'WORKER_CRASHED',
      `The thread hosting ${thread} stopped (${reason}); every pending call on it is rejected and its objects are lost. ` +
        `Create new virtual workers to continue.`,
    );
  }
}

/**
 * The connection to a worker in another process dropped while a call was in
 * flight. The call may or may not have run there; the client reconnects and
 * resumes the session, so objects stored before stay reachable.
 */
export class WorkerDisconnectedError extends SyftError {
  constructor(worker: string, reason: string) {
    super(
      'WORKER_DISCONNECTED',
      `The connection to ${worker} dropped (${reason}); calls in flight are rejected (they may or may not have run there). ` +
        'The client reconnects with backoff and resumes the session; retry the call, or await hook.settle() first.',
    );
  }
}

/** A worker in another process refused the connection or could not be reached. */
export class ConnectionFailedError extends SyftError {
  constructor(code: 'UNAUTHENTICATED' | 'WORKER_BUSY' | 'CONNECTION_FAILED' | 'INVALID_ARGUMENT', message: string) {
    super(code, message);
  }
}

/** A worker's job (a federated round's local training, say) did not finish in time. */
export class WorkerTimeoutError extends SyftError {
  constructor(worker: string, what: string, ms: number) {
    super('WORKER_TIMEOUT', `worker '${worker}' did not finish ${what} within ${ms} ms.`);
  }
}

/** A dataset is neither on disk nor downloadable. */
export class DatasetUnavailableError extends SyftError {
  constructor(name: string, tried: readonly string[], url: string | undefined, reason: string) {
    super(
      'DATASET_UNAVAILABLE',
      `${name}: no local copy (looked for ${tried.join(', ') || 'nothing'})` +
        (url === undefined ? '' : ` and the download from ${url} failed`) +
        ` (${reason}). Pass the path of a local copy.`,
    );
  }
}

/** A value too large for its fixed-point encoding. */
export class FixedPrecisionOverflowError extends SyftError {
  constructor(value: number, limit: number) {
    super(
      'FIXED_PRECISION_OVERFLOW',
      `fixPrecision: ${value} is outside the representable range ±${limit.toExponential(3)} at this precision; ` +
        'scale the data down or use fewer fractional bits (precisionFractional).',
    );
  }
}

/** A protocol step needs correlated randomness (Beaver triples, truncation masks) and no provider was given. */
export class CryptoProviderRequiredError extends SyftError {
  constructor(what: string) {
    super(
      'CRYPTO_PROVIDER_REQUIRED',
      `${what} needs a crypto provider for its Beaver triples or truncation masks: ` +
        "share with x.share(bob, alice, { cryptoProvider: james }), where james is a worker that is not a party.",
    );
  }
}

/** Two shared tensors that cannot meet in one op: other parties, or other fixed-point scales. */
export class SharesNotCompatibleError extends SyftError {
  constructor(op: string, reason: string) {
    super('SHARES_NOT_COMPATIBLE', `${op}: ${reason}`);
  }
}

/** A message that is not a protocol command (src/core/commands.ts): refused before anything reads it. */
export class MalformedCommandError extends SyftError {
  constructor(what: string) {
    super('MALFORMED_COMMAND', `malformed command: ${what}. Hosts accept only the commands of src/core/protocol.ts.`);
  }
}

export class RuntimeShutDownError extends SyftError {
  constructor(what: string) {
    super('RUNTIME_SHUT_DOWN', `${what}: the hook was shut down. Call sy.hook(tf) again to start a new runtime.`);
  }
}

export class BackendUnavailableError extends SyftError {
  constructor(backend: string, reason: string) {
    super(
      'BACKEND_UNAVAILABLE',
      `The tfjs backend '${backend}' could not be loaded (${reason}). ` +
        `Unset SYFT_BACKEND to pick the best available backend, or set it to one of: tensorflow, wasm, cpu.`,
    );
  }
}

export class UnsupportedDtypeError extends SyftError {
  constructor(dtype: string) {
    super(
      'UNSUPPORTED_DTYPE',
      `Tensors of dtype '${dtype}' cannot be sent to a worker; use float32, int32 or bool (cast with tf.cast).`,
    );
  }
}

/** Plain-data form of an error, safe for structured clone. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, code: isSyftError(error) ? error.code : undefined };
  }
  return { name: 'Error', message: String(error), code: undefined };
}

/**
 * A PySyft (or torch) spelling typed at syft-ts: `x.fix_precision()`,
 * `sy.TorchHook(torch)`. Thrown by the spellings src/client/pysyft-spellings.ts
 * installs from the table in src/core/pysyft-names.ts, so a habit from the
 * tutorials gets the syft-ts form instead of "is not a function".
 */
export class PySyftNameError extends SyftError {
  /** What was typed, as PySyft writes it: `x.fix_precision()`. */
  readonly pysyft: string;
  /** What to write instead: `x.fixPrecision()`. */
  readonly syftTs: string;
  constructor(pysyft: string, syftTs: string, note?: string) {
    super('PYSYFT_NAME', `${pysyft} is PySyft's spelling; in syft-ts write ${syftTs}` + (note === undefined ? '' : `. ${note}`));
    this.pysyft = pysyft;
    this.syftTs = syftTs;
  }
}

/** A federated round in which no selected worker finished its local training: there is nothing to average. */
export class FederatedRoundFailedError extends SyftError {
  readonly round: number;
  /** Every selected worker and why it was left out, in selection order. */
  readonly excluded: ReadonlyArray<{ readonly worker: string; readonly reason: string }>;
  constructor(round: number, excluded: ReadonlyArray<{ readonly worker: string; readonly reason: string }>) {
    const first = excluded[0];
    super(
      'FEDERATED_ROUND_FAILED',
      `round ${round}: none of the ${excluded.length} selected workers finished local training` +
        (first === undefined ? '' : `; the first, '${first.worker}', failed with: ${first.reason}`) +
        ' (every reason is in error.excluded).',
    );
    this.round = round;
    this.excluded = excluded;
  }
}
