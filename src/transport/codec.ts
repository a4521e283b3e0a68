/**
 * Protocol messages as single ArrayBuffers, for channels that carry only bytes
 * (a MessageChannel of ArrayBuffers today, a WebSocket later). Hand-written,
 * not msgpack, because tfjs op attributes need `undefined` kept apart from
 * `null`. Encoding also proves a message is plain data: anything else is
 * refused with the path to it.
 *
 * A value is a tag byte and a body; every integer is little-endian:
 *   0 undefined   1 null   2 false   3 true
 *   4 int32        i32                  (int32 numbers other than -0)
 *   5 float64      f64                  (any other number, NaN/-0/±Infinity exactly)
 *   6 string       u32 byte length, UTF-8
 *   7 bigint       u8 sign (0 | 1), u32 byte length, magnitude little-endian
 *   8 array        u32 count, values    (sparse arrays are refused, holes never become undefined)
 *   9 object       u32 count, then (u32 key length, UTF-8 key, value) per key, in Object.keys order
 *  10 ArrayBuffer  u32 byte length, zero padding, bytes
 *  11 typed array  u8 kind (index in TYPED), u32 byte length, zero padding, bytes
 * The padding puts each raw segment at a multiple of 8 from the frame's start,
 * so a reader could view it in place; `decode` copies it with one `slice`, so
 * the result owns its buffer and can be transferred on.
 *
 * `decode` treats its input as hostile: lengths and counts are checked against
 * the bytes left before anything is allocated, nesting is capped at MAX_DEPTH,
 * and unknown tags, bad UTF-8, `__proto__` or repeated keys, non-zero padding
 * and trailing bytes are refused, all as WireFormatError.
 */
import { SyftError } from '../core/errors.js';

export class WireFormatError extends SyftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

type TypedArray = ArrayBufferView & { readonly length: number };
type TypedClass = { new (buffer: ArrayBuffer): TypedArray; readonly BYTES_PER_ELEMENT: number; readonly prototype: object };

// The index is the kind byte on the wire: append only.
const TYPED: readonly TypedClass[] = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];
const KIND = new Map<object, number>(TYPED.map((T, i) => [T.prototype, i]));

const MAX_DEPTH = 64;
// Far beyond any scale or ring element, and well under V8's own BigInt limit (2^30 bits), which would throw a RangeError.
const MAX_BIGINT_BYTES = 1 << 20;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();
// fatal: bad UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is content, not to be dropped.
const fromUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const PLAIN =
  'protocol messages carry only plain objects, arrays, numbers, strings, booleans, bigints, null/undefined, ArrayBuffers and typed arrays';
// Throws for anything but a real ArrayBuffer, even one a Proxy or Object.create dresses up as one.
const bufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;

type Path = (string | number)[];

function refuse(path: Path, problem: string): never {
  const where = path.map((k, i) =>
    typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? (i === 0 ? k : `.${k}`) : `[${JSON.stringify(k)}]`,
  );
  throw new WireFormatError(`Cannot encode ${where.join('') || 'the message'}: ${problem}`);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`;
  const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name !== 'string' || name === '') return 'an object with a custom prototype';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

function notPlain(path: Path, value: unknown): never {
  refuse(path, `it is ${describe(value)}; ${PLAIN}. Convert it first (a Map to an object or a list of pairs, a Date to getTime(), a DataView to a Uint8Array).`);
}

/** The UTF-8 length TextEncoder will write. Lone surrogates are refused: UTF-8 cannot carry them, TextEncoder would write U+FFFD. */
function utf8Length(s: string, path: Path): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c < 0xd800 || c > 0xdfff) n += 2;
    else if (c < 0xdc00 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: 2 units, 4 bytes
      i++;
    } else refuse(path, `the string has a lone surrogate at index ${i}, which UTF-8 cannot carry; send well-formed text (str.toWellFormed()).`);
  }
  return n;
}

const isInt32 = (n: number): boolean => (n | 0) === n && !Object.is(n, -0);
const align = (at: number): number => Math.ceil(at / 8) * 8; // not `& ~7`: frames may pass 2 GiB
function magnitudeHex(n: bigint): string {
  const hex = (n < 0n ? -n : n).toString(16);
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

function segmentEnd(at: number, length: number, path: Path): number {
  if (length > 0xffffffff) refuse(path, `it holds ${length} bytes, more than a segment can (4 GiB); send it in parts.`);
  return align(at) + length;
}

/** Where the encoding of `value` ends if it starts at `at`; refuses (with its path) whatever cannot be sent. */
function measure(value: unknown, at: number, path: Path, open: Set<object>): number {
  switch (typeof value) {
    case 'undefined': case 'boolean': return at + 1;
    case 'number': return at + (isInt32(value) ? 5 : 9);
    case 'string': return at + 5 + utf8Length(value, path);
    case 'bigint': {
      const length = magnitudeHex(value).length / 2;
      if (length > MAX_BIGINT_BYTES) refuse(path, `the bigint takes ${length} bytes, over the ${MAX_BIGINT_BYTES}-byte limit; send it as bytes.`);
      return at + 6 + length;
    }
    case 'object': if (value === null) return at + 1; break;
    default: notPlain(path, value);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (ArrayBuffer.isView(value) && KIND.has(proto as object)) {
    if (!(value.buffer instanceof ArrayBuffer)) {
      refuse(path, 'it is a view of a SharedArrayBuffer, whose bytes may change while they travel; send a copy (.slice()).');
    }
    return segmentEnd(at + 6, value.byteLength, path);
  }
  if (proto === ArrayBuffer.prototype) {
    let length = 0;
    try {
      length = bufferByteLength.call(value) as number;
    } catch {
      refuse(path, "it has ArrayBuffer's prototype but is not one (a Proxy?); send a real ArrayBuffer.");
    }
    return segmentEnd(at + 5, length, path);
  }
  const isArray = Array.isArray(value) && proto === Array.prototype;
  if (!isArray && proto !== Object.prototype && proto !== null) notPlain(path, value);
  if (open.has(value)) refuse(path, 'it contains itself (a cycle); messages are trees, so send the shared part once and refer to it by id.');
  if (open.size >= MAX_DEPTH) refuse(path, `it is nested more than ${MAX_DEPTH} levels deep; flatten the message.`);
  if (Object.getOwnPropertySymbols(value).length > 0) refuse(path, 'it has symbol keys, which cannot be sent; use string keys.');
  open.add(value);
  at += 5;
  const record = value as Record<string, unknown>;
  for (const key of isArray ? (value as unknown[]).keys() : Object.keys(record)) {
    path.push(key);
    if (isArray && !(key in record)) refuse(path, 'it is a hole in a sparse array; fill it (with undefined or null) first.');
    if (key === '__proto__') refuse(path, "the key '__proto__' would set the decoded object's prototype; rename it.");
    at = measure(record[key], isArray ? at : at + 4 + utf8Length(key as string, path), path, open);
    path.pop();
  }
  open.delete(value);
  return at;
}

/** The wire is little-endian; on a big-endian machine each element's bytes are swapped in place. */
function toWireOrder(bytes: Uint8Array, size: number): void {
  if (LITTLE_ENDIAN || size === 1) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) [bytes[a], bytes[b]] = [bytes[b]!, bytes[a]!];
  }
}

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  at = 0;
  constructor(buffer: ArrayBuffer) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }
  byte(n: number): void {
    this.bytes[this.at++] = n;
  }
  u32(n: number): void {
    this.view.setUint32(this.at, n, true);
    this.at += 4;
  }
  text(s: string): void {
    const start = this.at + 4;
    this.at = start + utf8.encodeInto(s, this.bytes.subarray(start)).written;
    this.view.setUint32(start - 4, this.at - start, true);
  }
  segment(source: Uint8Array, size: number): void {
    this.u32(source.length);
    this.at = align(this.at); // a fresh buffer: the padding is zero already
    this.bytes.set(source, this.at);
    toWireOrder(this.bytes.subarray(this.at, this.at + source.length), size);
    this.at += source.length;
  }
  value(v: unknown): void {
    if (v === undefined || v === null || typeof v === 'boolean') {
      this.byte(v === undefined ? 0 : v === null ? 1 : v ? 3 : 2);
    } else if (typeof v === 'number') {
      const int = isInt32(v);
      this.byte(int ? 4 : 5);
      if (int) this.view.setInt32(this.at, v, true);
      else this.view.setFloat64(this.at, v, true);
      this.at += int ? 4 : 8;
    } else if (typeof v === 'string') {
      this.byte(6);
      this.text(v);
    } else if (typeof v === 'bigint') {
      const hex = magnitudeHex(v);
      this.byte(7);
      this.byte(v < 0n ? 1 : 0);
      this.u32(hex.length / 2);
      for (let i = hex.length; i > 0; i -= 2) this.byte(parseInt(hex.slice(i - 2, i), 16));
    } else if (ArrayBuffer.isView(v)) {
      const kind = KIND.get(Object.getPrototypeOf(v) as object)!;
      this.byte(11);
      this.byte(kind);
      this.segment(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), TYPED[kind]!.BYTES_PER_ELEMENT);
    } else if (v instanceof ArrayBuffer) {
      this.byte(10);
      this.segment(new Uint8Array(v), 1);
    } else if (Array.isArray(v)) {
      this.byte(8);
      this.u32(v.length);
      for (const item of v) this.value(item);
    } else {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      this.byte(9);
      this.u32(keys.length);
      for (const key of keys) {
        this.text(key);
        this.value(record[key]);
      }
    }
  }
}

/** One fresh ArrayBuffer holding exactly the encoding of `value`; refuses anything that is not plain data. */
export function encode(value: unknown): ArrayBuffer {
  const size = measure(value, 0, [], new Set());
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(size);
  } catch {
    throw new WireFormatError(`Cannot encode the message: it needs ${size} bytes, more than one ArrayBuffer can hold here; send it in parts.`);
  }
  // Writing reads the value again: only a getter or Proxy answering differently the second time can overrun or fall short.
  const changed = () => new WireFormatError('Cannot encode the message: it changed while being encoded (a getter or Proxy); send plain data.');
  const w = new Writer(buffer);
  try {
    w.value(value);
  } catch (error) {
    throw error instanceof RangeError ? changed() : error;
  }
  if (w.at !== size) throw changed();
  return buffer;
}

class Reader {
  readonly view: DataView;
  at = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(problem: string): WireFormatError {
    const hint = 'Frames must come from encode() in src/transport/codec.ts; was this one cut short, corrupted or made by another version?';
    return new WireFormatError(`Not a valid frame: ${problem} at byte ${this.at}. ${hint}`);
  }
  /** Claims the next `n` bytes and returns where they start. */
  take(n: number): number {
    const left = this.bytes.length - this.at;
    if (n > left) throw this.fail(`${n} bytes are needed, ${left} are left`);
    return (this.at += n) - n;
  }
  byte(): number {
    return this.bytes[this.take(1)]!;
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  text(): string {
    const length = this.u32();
    const start = this.take(length);
    if (length <= 32) {
      // Most strings are short ASCII keys: spare them TextDecoder's call overhead.
      let s = '';
      for (let i = start; i < this.at && this.bytes[i]! < 0x80; i++) s += String.fromCharCode(this.bytes[i]!);
      if (s.length === length) return s;
    }
    try {
      return fromUtf8.decode(this.bytes.subarray(start, this.at));
    } catch {
      throw this.fail('a string is not valid UTF-8');
    }
  }
  segment(size: number): ArrayBuffer {
    const length = this.u32();
    if (length % size !== 0) throw this.fail(`a segment of ${length} bytes does not hold whole ${size}-byte elements`);
    while (this.at % 8 !== 0) if (this.byte() !== 0) throw this.fail('padding is not zero');
    const copy = this.bytes.slice(this.take(length), this.at);
    toWireOrder(copy, size);
    return copy.buffer;
  }
  /** A container's element count, refused before anything is allocated if `least` bytes each cannot fit in what is left. */
  count(depth: number, least: number): number {
    if (depth >= MAX_DEPTH) throw this.fail(`nesting is deeper than ${MAX_DEPTH}`);
    const count = this.u32();
    const left = this.bytes.length - this.at;
    if (count * least > left) throw this.fail(`${count} elements cannot fit in the ${left} bytes left`);
    return count;
  }
  value(depth: number): unknown {
    const tag = this.byte();
    switch (tag) {
      case 0: return undefined;
      case 1: return null;
      case 2: return false;
      case 3: return true;
      case 4: return this.view.getInt32(this.take(4), true);
      case 5: return this.view.getFloat64(this.take(8), true);
      case 6: return this.text();
      case 7: {
        const sign = this.byte();
        if (sign > 1) throw this.fail(`bigint sign ${sign} is neither 0 nor 1`);
        const length = this.u32();
        if (length > MAX_BIGINT_BYTES) throw this.fail(`a bigint of ${length} bytes is over the ${MAX_BIGINT_BYTES}-byte limit`);
        const start = this.take(length);
        let hex = '0x0'; // the 0 makes an empty magnitude read as 0n
        for (let i = this.at - 1; i >= start; i--) hex += HEX[this.bytes[i]!];
        const magnitude = BigInt(hex);
        return sign === 1 ? -magnitude : magnitude;
      }
      case 10: return this.segment(1);
      case 11: {
        const T = TYPED[this.byte()];
        if (T === undefined) throw this.fail('unknown typed array kind');
        return new T(this.segment(T.BYTES_PER_ELEMENT));
      }
      case 8: {
        const list: unknown[] = [];
        for (let n = this.count(depth, 1); n > 0; n--) list.push(this.value(depth + 1));
        return list;
      }
      case 9: {
        const record: Record<string, unknown> = {};
        for (let n = this.count(depth, 5); n > 0; n--) {
          const key = this.text();
          if (key === '__proto__') throw this.fail("the key '__proto__' is refused (it would set a prototype)");
          if (Object.hasOwn(record, key)) throw this.fail(`the key ${JSON.stringify(key)} appears twice`);
          record[key] = this.value(depth + 1);
        }
        return record;
      }
      default: throw this.fail(`unknown tag ${tag}`);
    }
  }
}

/** The value `encode` was given. The input is untrusted: anything malformed is a WireFormatError. */
export function decode(bytes: ArrayBuffer | Uint8Array): unknown {
  if (!(bytes instanceof ArrayBuffer || bytes instanceof Uint8Array)) {
    throw new WireFormatError(`decode takes an ArrayBuffer or a Uint8Array, not ${describe(bytes)}.`);
  }
  // A plain Uint8Array, so that slice copies even when handed a Buffer (whose slice is a view).
  const r = new Reader(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const value = r.value(0);
  if (r.at !== r.bytes.length) throw r.fail(`${r.bytes.length - r.at} bytes follow the value`);
  return value;
}
