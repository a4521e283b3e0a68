/**
 * The byte encoding of protocol messages (src/transport/frames.ts): every
 * plain value round-trips exactly (undefined apart from null, NaN and -0,
 * bigints of any size, typed arrays as their own class in a fresh buffer),
 * anything else is refused with the path to it, and hostile bytes only ever
 * raise WireFormatError.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decode, encode, WireFormatError } from '../../src/transport/frames.js';

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

const typedArb: fc.Arbitrary<ArrayBufferView> = fc
  .tuple(fc.constantFrom(...TYPED), fc.uint8Array({ maxLength: 64 }), fc.nat(7))
  .map(([T, bytes, offset]) => {
    const length = Math.floor(bytes.length / T.BYTES_PER_ELEMENT);
    // A view into a larger buffer, at an offset: only its own bytes may travel.
    const buffer = new ArrayBuffer(length * T.BYTES_PER_ELEMENT + 8 * T.BYTES_PER_ELEMENT + offset * T.BYTES_PER_ELEMENT);
    const view = new T(buffer, offset * T.BYTES_PER_ELEMENT, length);
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(bytes.subarray(0, view.byteLength));
    return view;
  });

const leaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 53),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.uint8Array({ maxLength: 16 }).map((b) => b.slice().buffer),
  typedArb,
);

const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 5 }),
}));

/** Deep equality that tells NaN, -0, undefined/null, typed-array classes and buffers apart. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    return a instanceof ArrayBuffer && b instanceof ArrayBuffer && same(new Uint8Array(a), new Uint8Array(b));
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

/** Every typed array and ArrayBuffer inside a decoded value. */
function buffersIn(value: unknown, out: (ArrayBufferView | ArrayBuffer)[] = []): (ArrayBufferView | ArrayBuffer)[] {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) buffersIn(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) buffersIn(v, out);
  return out;
}

function wireError(fn: () => unknown): WireFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WireFormatError) return error;
    throw error;
  }
  throw new Error('expected a WireFormatError');
}

describe('round trips', () => {
  test('decode(encode(v)) equals v for any plain value; decoded typed arrays own a fresh buffer', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const decoded = decode(encode(v));
        expect(same(decoded, v)).toBe(true);
        for (const b of buffersIn(decoded)) {
          if (ArrayBuffer.isView(b)) expect([b.byteOffset, b.byteLength]).toEqual([0, b.buffer.byteLength]);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('a protocol batch keeps undefined apart from null, bigints and tensors as they were', () => {
    const message = {
      id: 'a1',
      type: 'APPLY',
      path: ['execute'],
      argumentList: [
        {
          type: 'RAW',
          value: [
            {
              actor: 'bob',
              commands: [
                { type: 'store', id: 12345678901, tensor: { dtype: 'float32', shape: [2, 2], values: new Float32Array([1, 2, 3.5, -0]) } },
                { type: 'op', op: 'softmax', args: [1, { value: undefined }, { value: null }], out: [2] },
                { type: 'share-tensor', id: 3, scale: 65536n, parties: [], out: 4 },
                { type: 'ring-store', id: 5, ring: { values: new BigUint64Array([2n ** 64n - 1n, 0n]), shape: [2] } },
              ],
            },
          ],
        },
      ],
    };
    const back = decode(encode(message)) as typeof message;
    expect(same(back, message)).toBe(true);
    const commands = back.argumentList[0]!.value[0]!.commands as Array<Record<string, unknown>>;
    const args = commands[1]!['args'] as Array<{ value: unknown }>;
    expect('value' in args[1]! && args[1]!.value === undefined).toBe(true);
    expect(args[2]!.value).toBeNull();
    expect(commands[2]!['scale']).toBe(65536n);
    expect(Array.from((commands[3]!['ring'] as { values: BigUint64Array }).values)).toEqual([2n ** 64n - 1n, 0n]);
  });

  test('a typed array after an odd number of bytes still decodes (segments are aligned)', () => {
    for (let pad = 0; pad < 9; pad++) {
      const v = ['x'.repeat(pad), new Float64Array([Math.PI, -1e300]), 'y', new BigInt64Array([-(2n ** 63n)])];
      expect(same(decode(encode(v)), v)).toBe(true);
    }
  });
});

describe('only plain data is sent', () => {
  test.each([
    ['a function', () => 1, 'message.x'],
    ['a symbol', Symbol('s'), 'message.x'],
    ['a Map', new Map(), 'message.x'],
    ['a Date', new Date(), 'message.x'],
    ['an Error', new Error('e'), 'message.x'],
    ['a class instance', new (class Point {})(), 'message.x'],
    ['a DataView', new DataView(new ArrayBuffer(4)), 'message.x'],
    ['a SharedArrayBuffer view', new Int32Array(new SharedArrayBuffer(8)), 'message.x'],
    ['a sparse array', [1, , 3], 'message.x[1]'],
  ])('%s is refused, with its path', (_, bad, path) => {
    const error = wireError(() => encode({ x: bad }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(path);
  });

  test('cycles, symbol keys and deep nesting are refused', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(wireError(() => encode(cyclic)).message).toContain('message.self');
    expect(wireError(() => encode({ [Symbol('k')]: 1 })).code).toBe('INVALID_ARGUMENT');
    let deep: unknown = 0;
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(wireError(() => encode(deep)).message).toContain('nested');
    // A value seen twice (not a cycle) is fine.
    const shared = { a: 1 };
    expect(decode(encode([shared, shared]))).toEqual([{ a: 1 }, { a: 1 }]);
  });
});

describe('hostile bytes', () => {
  test('arbitrary bytes decode to a value or throw WireFormatError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('truncated and corrupted encodings are refused with WireFormatError, never a RangeError', () => {
    fc.assert(
      fc.property(valueArb, fc.nat(), fc.nat(255), (v, at, byte) => {
        const bytes = new Uint8Array(encode(v));
        const cut = bytes.subarray(0, at % Math.max(bytes.length, 1));
        if (cut.length < bytes.length) expect(() => decode(cut)).toThrow(WireFormatError);
        const corrupt = bytes.slice();
        if (corrupt.length > 0) corrupt[at % corrupt.length] = byte;
        try {
          decode(corrupt);
        } catch (error) {
          expect(error).toBeInstanceOf(WireFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('a forged length is refused before anything is allocated; __proto__ keys and trailing bytes are refused', () => {
    const huge = new Uint8Array([8, 0xff, 0xff, 0xff, 0xff]);
    expect(wireError(() => decode(huge)).message).toContain('early');
    const typed = new Uint8Array([11, 8, 0xff, 0xff, 0xff, 0x7f]);
    expect(wireError(() => decode(typed)).code).toBe('INVALID_ARGUMENT');
    const proto = new Uint8Array(encode({ ['__proto__x']: 1 }));
    // Rename the key to __proto__ in the frame: "__proto__x" -> "__proto__" with its length fixed.
    const forged = new Uint8Array(proto.length - 1);
    forged.set(proto.subarray(0, 5));
    new DataView(forged.buffer).setUint32(5, 9, true);
    forged.set(new TextEncoder().encode('__proto__'), 9);
    forged.set(proto.subarray(19), 18);
    expect(wireError(() => decode(forged)).message).toContain('__proto__');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    const trailing = new Uint8Array([...new Uint8Array(encode(1)), 0]);
    expect(wireError(() => decode(trailing)).message).toContain('follow');
  });
});
