/**
 * Protocol messages as bytes: one ArrayBuffer per message, for channels that
 * carry nothing else (a socket; between threads, `SYFT_WIRE=bytes`). It
 * accepts plain data only, so encoding a message also proves it is one:
 * undefined, null, booleans, numbers, strings, bigints, arrays, plain objects,
 * ArrayBuffers and typed arrays. Typed arrays travel as raw segments in the
 * machine's byte order (little-endian on x64 and arm64), aligned to 8 bytes,
 * never as lists of numbers. `undefined` and
 * `null` stay apart (tfjs attributes treat them differently); sparse arrays
 * are refused.
 *
 * A value is a tag byte and its body:
 *   0 undefined  1 null  2 false  3 true
 *   4 int32 (4 bytes)  5 float64 (8 bytes: NaN, -0 and infinities exactly)
 *   6 string: u32 byte length, UTF-8
 *   7 bigint: u8 sign, u32 byte length, magnitude little-endian
 *   8 array: u32 count, values
 *   9 object: u32 count, then (string body, value) pairs
 *   10 ArrayBuffer, 11 typed array: [u8 kind for 11], u32 byte length, padding to 8, bytes
 *
 * `decode` takes its input as hostile: lengths are checked against what is
 * left, nesting is bounded, `__proto__` keys are refused, and every failure is
 * a WireFormatError.
 */
import { SyftError } from '../core/errors.js';

export class WireFormatError extends SyftError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

const TYPED = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;
type Typed = InstanceType<(typeof TYPED)[number]>;

const MAX_DEPTH = 64;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });
const PLAIN = 'protocol messages carry only plain objects, arrays, numbers, strings, booleans, bigints, null, undefined, ArrayBuffers and typed arrays';

class Writer {
  bytes = new Uint8Array(1024);
  view = new DataView(this.bytes.buffer);
  at = 0;

  room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.bytes[this.at++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  raw(source: Uint8Array, aligned: boolean): void {
    this.u32(source.byteLength);
    const pad = aligned ? (8 - (this.at % 8)) % 8 : 0;
    this.room(pad + source.byteLength);
    this.at += pad;
    this.bytes.set(source, this.at);
    this.at += source.byteLength;
  }
}

/** Encodes a message; anything that is not plain data is refused, naming where it is. */
export function encode(value: unknown): ArrayBuffer {
  const w = new Writer();
  write(w, value, 'message', 0, new Set());
  return w.bytes.buffer.slice(0, w.at);
}

function write(w: Writer, value: unknown, path: string, depth: number, open: Set<object>): void {
  switch (typeof value) {
    case 'undefined':
      return w.u8(0);
    case 'boolean':
      return w.u8(value ? 3 : 2);
    case 'number':
      if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0)) {
        w.u8(4);
        w.room(4);
        w.view.setInt32(w.at, value, true);
        w.at += 4;
      } else {
        w.u8(5);
        w.room(8);
        w.view.setFloat64(w.at, value, true);
        w.at += 8;
      }
      return;
    case 'string':
      w.u8(6);
      return w.raw(utf8.encode(value), false);
    case 'bigint': {
      w.u8(7);
      w.u8(value < 0n ? 1 : 0);
      let magnitude = value < 0n ? -value : value;
      const digits: number[] = [];
      for (; magnitude > 0n; magnitude >>= 8n) digits.push(Number(magnitude & 0xffn));
      return w.raw(Uint8Array.from(digits), false);
    }
    case 'object':
      break;
    default:
      throw new WireFormatError(`${path} is a ${typeof value}; ${PLAIN}.`);
  }
  if (value === null) return w.u8(1);
  if (depth >= MAX_DEPTH) throw new WireFormatError(`${path} is nested more than ${MAX_DEPTH} levels deep.`);
  if (value instanceof ArrayBuffer) {
    w.u8(10);
    return w.raw(new Uint8Array(value), true);
  }
  if (ArrayBuffer.isView(value)) {
    const kind = TYPED.findIndex((T) => value.constructor === T);
    if (kind < 0 || !(value.buffer instanceof ArrayBuffer)) throw new WireFormatError(`${path} is a ${value.constructor.name}; ${PLAIN}.`);
    w.u8(11);
    w.u8(kind);
    return w.raw(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), true);
  }
  if (open.has(value)) throw new WireFormatError(`${path} refers back to itself; ${PLAIN}.`);
  open.add(value);
  if (Array.isArray(value)) {
    w.u8(8);
    w.u32(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new WireFormatError(`${path}[${i}] is a hole in a sparse array; ${PLAIN}.`);
      write(w, value[i], `${path}[${i}]`, depth + 1, open);
    }
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new WireFormatError(`${path} is a ${(value as object).constructor?.name ?? 'class instance'}; ${PLAIN}.`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw new WireFormatError(`${path} has symbol keys; ${PLAIN}.`);
    const keys = Object.keys(value);
    w.u8(9);
    w.u32(keys.length);
    for (const key of keys) {
      w.raw(utf8.encode(key), false);
      write(w, (value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, open);
    }
  }
  open.delete(value);
}

class Reader {
  readonly view: DataView;
  at = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (n > this.bytes.byteLength - this.at) throw new WireFormatError(`the frame ends ${n - (this.bytes.byteLength - this.at)} bytes early.`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  /** A length-prefixed segment, copied out (so the caller owns a whole fresh buffer). */
  raw(aligned: boolean): ArrayBuffer {
    const length = this.u32();
    const pad = aligned ? (8 - ((this.bytes.byteOffset + this.at) % 8)) % 8 : 0;
    this.need(pad + length);
    this.at += pad;
    const start = this.bytes.byteOffset + this.at;
    this.at += length;
    return (this.bytes.buffer as ArrayBuffer).slice(start, start + length);
  }
  text(): string {
    const length = this.u32();
    this.need(length);
    const s = fromUtf8.decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return s;
  }
}

/** Decodes one message; a frame that is not exactly one valid encoding throws WireFormatError. */
export function decode(frame: ArrayBuffer | Uint8Array): unknown {
  if (!(frame instanceof ArrayBuffer || frame instanceof Uint8Array)) throw new WireFormatError('a frame must be an ArrayBuffer.');
  const r = new Reader(frame instanceof Uint8Array ? frame : new Uint8Array(frame));
  try {
    const value = read(r, 0);
    if (r.at !== r.bytes.byteLength) throw new WireFormatError(`${r.bytes.byteLength - r.at} bytes follow the message.`);
    return value;
  } catch (error) {
    if (error instanceof WireFormatError) throw error;
    throw new WireFormatError(`the frame is not a message: ${(error as Error).message}`);
  }
}

function read(r: Reader, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new WireFormatError(`the message is nested more than ${MAX_DEPTH} levels deep.`);
  const tag = r.u8();
  switch (tag) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return false;
    case 3:
      return true;
    case 4: {
      r.need(4);
      const v = r.view.getInt32(r.at, true);
      r.at += 4;
      return v;
    }
    case 5: {
      r.need(8);
      const v = r.view.getFloat64(r.at, true);
      r.at += 8;
      return v;
    }
    case 6:
      return r.text();
    case 7: {
      const negative = r.u8();
      if (negative > 1) throw new WireFormatError(`bad bigint sign ${negative}.`);
      const digits = new Uint8Array(r.raw(false));
      let magnitude = 0n;
      for (let i = digits.length - 1; i >= 0; i--) magnitude = (magnitude << 8n) | BigInt(digits[i]!);
      return negative === 1 ? -magnitude : magnitude;
    }
    case 8: {
      const count = r.u32();
      r.need(count); // every value takes at least one byte: a forged count fails before any allocation
      const array: unknown[] = [];
      for (let i = 0; i < count; i++) array.push(read(r, depth + 1));
      return array;
    }
    case 9: {
      const count = r.u32();
      r.need(count * 5); // a key's length and a value's tag at least
      const object: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const key = r.text();
        if (key === '__proto__') throw new WireFormatError('the key __proto__ is not allowed.');
        object[key] = read(r, depth + 1);
      }
      return object;
    }
    case 10:
      return r.raw(true);
    case 11: {
      const kind = r.u8();
      const T = TYPED[kind];
      if (T === undefined) throw new WireFormatError(`unknown typed-array kind ${kind}.`);
      const buffer = r.raw(true);
      if (buffer.byteLength % T.BYTES_PER_ELEMENT !== 0) throw new WireFormatError(`a ${T.name} segment of ${buffer.byteLength} bytes.`);
      return new T(buffer) as Typed;
    }
    default:
      throw new WireFormatError(`unknown tag ${tag}.`);
  }
}
