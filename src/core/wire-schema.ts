/**
 * What a field of a protocol message may hold, as small composable checks.
 * A host runs every command it receives through its entry in the command
 * table (src/core/commands.ts) before anything reads it, so a handler only
 * ever sees the shapes its types promise: no object a message made up (a
 * getter, a huge id, a tensor whose values disagree with its shape) reaches
 * the store or a kernel. Checks are closures over plain tests, cheap enough
 * for the hot path (an op command costs about a hundred nanoseconds).
 *
 * A check returns undefined when the value fits, otherwise what was expected
 * and where, for the error message.
 */

export type Check = (value: unknown) => string | undefined;

/** Longest string a message may carry in an id-like field (worker ids, op names). */
export const MAX_NAME_LENGTH = 256;
/** Deepest nesting of plain values and of op argument lists. */
const MAX_DEPTH = 8;
/** Most dimensions a tensor may have (tfjs kernels stop at 6; leave room). */
const MAX_RANK = 8;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const id: Check = (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'an object id (a non-negative safe integer)');

export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'a boolean');

export const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'a finite number');

export const count: Check = (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'a non-negative integer');

export const positiveBigint: Check = (v) => (typeof v === 'bigint' && v > 0n ? undefined : 'a positive bigint');

export const name: Check = (v) =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME_LENGTH ? undefined : `a non-empty string of at most ${MAX_NAME_LENGTH} characters`;

export function oneOf(...values: readonly (string | number | boolean)[]): Check {
  const allowed = new Set<unknown>(values);
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return (v) => (allowed.has(v) ? undefined : expected);
}

export function optional(check: Check): Check {
  return (v) => (v === undefined ? undefined : check(v));
}

export function listOf(check: Check, max = Number.MAX_SAFE_INTEGER): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'an array';
    if (v.length > max) return `an array of at most ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const wrong = check(v[i]);
      if (wrong !== undefined) return `[${i}]: ${wrong}`;
    }
    return undefined;
  };
}

/** A record with these fields (others are ignored: no handler reads them). */
export function record(fields: Readonly<Record<string, Check>>): Check {
  const entries = Object.entries(fields);
  return (v) => {
    if (!isRecord(v)) return 'an object';
    for (const [key, check] of entries) {
      const wrong = check(v[key]);
      if (wrong !== undefined) return `.${key}: ${wrong}`;
    }
    return undefined;
  };
}

/** One of several record shapes, told apart by their `kind`. */
export function variants(shapes: Readonly<Record<string, Check>>): Check {
  const expected = `an object whose kind is one of ${Object.keys(shapes).join(', ')}`;
  return (v) => {
    if (!isRecord(v) || typeof v.kind !== 'string' || !Object.hasOwn(shapes, v.kind)) return expected;
    return shapes[v.kind]!(v);
  };
}

/** Tensor dimensions: non-negative safe integers, at most MAX_RANK of them. */
const shape: Check = listOf(count, MAX_RANK);

export const address: Check = record({ actor: name, thread: name });

/**
 * Data, not code: numbers, bigints, strings, booleans, null, typed arrays, and
 * arrays and plain records of them (op attributes, public ring values).
 */
const plainData: Check = (v) => plainAt(v, 0);

const PLAIN = 'plain data (numbers, bigints, strings, booleans, typed arrays, arrays and records of them)';

function plainAt(v: unknown, depth: number): string | undefined {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return undefined;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return undefined;
  if (depth >= MAX_DEPTH) return `plain data nested at most ${MAX_DEPTH} deep`;
  if (Array.isArray(v)) {
    for (const item of v) if (plainAt(item, depth + 1) !== undefined) return PLAIN;
    return undefined;
  }
  if (isRecord(v) && Object.getPrototypeOf(v) === Object.prototype) {
    for (const key of Object.keys(v)) if (plainAt(v[key], depth + 1) !== undefined) return PLAIN;
    return undefined;
  }
  return PLAIN;
}

/** An op argument (src/core/protocol.ts WireArg): an id, a list of arguments, a plain value, or a gradient reference. */
export const wireArg: Check = (v) => argAt(v, 0);

function argAt(v: unknown, depth: number): string | undefined {
  if (typeof v === 'number') return id(v);
  if (!isRecord(v)) return 'an id, { list }, { value } or { grad }';
  if ('list' in v) {
    if (depth >= MAX_DEPTH || !Array.isArray(v.list)) return `{ list: [...] } nested at most ${MAX_DEPTH} deep`;
    for (const item of v.list) {
      const wrong = argAt(item, depth + 1);
      if (wrong !== undefined) return wrong;
    }
    return undefined;
  }
  if ('grad' in v) return id(v.grad);
  if ('value' in v) return plainData(v.value);
  return 'an id, { list }, { value } or { grad }';
}

export const wireArgs: Check = listOf(wireArg);

const TYPED_FOR_DTYPE: Readonly<Record<string, new (...args: never[]) => ArrayBufferView>> = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
};

const sizeOf = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** A tensor in transit: dtype, shape, and exactly as many values of the dtype's array type. */
export const tensorPayload: Check = (v) => {
  if (!isRecord(v)) return 'a tensor payload { dtype, shape, values }';
  const type = typeof v.dtype === 'string' && Object.hasOwn(TYPED_FOR_DTYPE, v.dtype) ? TYPED_FOR_DTYPE[v.dtype]! : undefined;
  if (type === undefined) return '.dtype: one of "float32", "int32", "bool"';
  const wrongShape = shape(v.shape);
  if (wrongShape !== undefined) return `.shape: ${wrongShape}`;
  const dims = v.shape as number[];
  if (!(v.values instanceof type)) return `.values: a ${type.name} for dtype ${v.dtype}`;
  const length = (v.values as unknown as { length: number }).length;
  if (length !== sizeOf(dims)) return `.values: ${sizeOf(dims)} values for shape [${dims}], got ${length}`;
  // The wasm kernels read a bool as a byte and assume 0 or 1; other bytes give wrong logic, not an error.
  if (v.dtype === 'bool' && (v.values as Uint8Array).some((b) => b > 1)) return '.values: bool values are bytes 0 or 1';
  return undefined;
};

/** A ring tensor (a share): a BigUint64Array of exactly shape's size. */
export const ringPayload: Check = (v) => {
  if (!isRecord(v)) return 'a ring tensor { values, shape }';
  const wrongShape = shape(v.shape);
  if (wrongShape !== undefined) return `.shape: ${wrongShape}`;
  if (!(v.values instanceof BigUint64Array)) return '.values: a BigUint64Array';
  const dims = v.shape as number[];
  return v.values.length === sizeOf(dims) ? undefined : `.values: ${sizeOf(dims)} values for shape [${dims}], got ${v.values.length}`;
};
