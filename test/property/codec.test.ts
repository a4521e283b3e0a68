/**
 * The hand-written byte codec (src/transport/codec.ts): plain values round-trip
 * exactly (undefined apart from null, NaN and -0, bigints of any size, typed
 * arrays as their own class in a fresh buffer), anything else is refused with
 * the path to it, and hostile bytes only ever raise WireFormatError.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decode, encode, WireFormatError } from '../../src/transport/codec.js';

const TYPED = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
  Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;

/** A typed array of any kind with random bytes (so NaN payloads too), often a view into a larger buffer. */
const typedArb: fc.Arbitrary<ArrayBufferView> = fc
  .tuple(fc.constantFrom(...TYPED), fc.uint8Array({ maxLength: 80 }), fc.nat(3), fc.nat(3))
  .map(([T, bytes, before, after]) => {
    const size = T.BYTES_PER_ELEMENT;
    const length = Math.floor(bytes.length / size);
    const buffer = new ArrayBuffer((before + length + after) * size);
    new Uint8Array(buffer).fill(0xee); // bytes outside the view that must not travel
    const view = new T(buffer, before * size, length);
    new Uint8Array(buffer, view.byteOffset, view.byteLength).set(bytes.subarray(0, view.byteLength));
    return view;
  });

const leaf = fc.oneof(
  fc.constantFrom(undefined, null, true, false),
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, Number.MIN_VALUE),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }), // any code point: astral ones travel as surrogate pairs
  fc.constantFrom('', '\uFEFFbom', '😀\u{10FFFF}\0'),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.constantFrom(0n, -1n, 255n, -256n, 2n ** 64n, -(2n ** 64n)),
  fc.uint8Array({ maxLength: 24 }).map((b) => b.slice().buffer),
  typedArb,
);

const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 5 }),
}));

/** Deep equality (decoded first) that tells NaN, -0 and 0, undefined, null and a missing key, and typed-array classes apart. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    return a instanceof ArrayBuffer && b instanceof ArrayBuffer && sameBytes(new Uint8Array(a), new Uint8Array(b));
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    return (
      ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && a.constructor === b.constructor &&
      sameBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
    );
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => i in b && same(v, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      Object.getPrototypeOf(a) === Object.prototype && // a is the decoded side: always an ordinary object
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function buffersIn(value: unknown, out: (ArrayBufferView | ArrayBuffer)[] = []): (ArrayBufferView | ArrayBuffer)[] {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) buffersIn(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) buffersIn(v, out);
  return out;
}

/** The WireFormatError `fn` throws; anything else thrown (or nothing) fails the test. */
function wireError(fn: () => unknown): WireFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WireFormatError) return error;
    throw new Error(`expected a WireFormatError, got ${String(error)}`);
  }
  throw new Error('expected a WireFormatError, nothing was thrown');
}

/** Decodes to some value or throws WireFormatError; any other error fails the test. */
function decodesOrRefuses(bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    if (!(error instanceof WireFormatError)) throw new Error(`decode threw ${String(error)}`);
  }
}

describe('round trips', () => {
  test('decode(encode(v)) equals v for any plain value; decoded typed arrays own a whole fresh buffer', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const encoded = encode(v);
        expect(encoded).toBeInstanceOf(ArrayBuffer);
        const decoded = decode(encoded);
        expect(same(decoded, v)).toBe(true);
        const original = new Set(buffersIn(v).map((b) => (b instanceof ArrayBuffer ? b : b.buffer)));
        for (const b of buffersIn(decoded)) {
          const buffer = b instanceof ArrayBuffer ? b : b.buffer;
          expect(buffer).toBeInstanceOf(ArrayBuffer);
          expect(buffer).not.toBe(encoded);
          expect(original.has(buffer)).toBe(false);
          if (ArrayBuffer.isView(b)) expect([b.byteOffset, b.byteLength]).toEqual([0, b.buffer.byteLength]);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('decode also reads a Uint8Array at any offset, and a Buffer', () => {
    fc.assert(
      fc.property(valueArb, fc.nat(9), (v, offset) => {
        const encoded = new Uint8Array(encode(v));
        const host = new Uint8Array(offset + encoded.length + 3);
        host.set(encoded, offset);
        expect(same(decode(host.subarray(offset, offset + encoded.length)), v)).toBe(true);
        expect(same(decode(Buffer.from(encoded)), v)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('a protocol message keeps undefined apart from null, bigints and tensors exactly', () => {
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
                { type: 'store', id: 12345678901, tensor: { dtype: 'float32', shape: [2, 2], values: new Float32Array([1, 2, 3, 4]) } },
                { type: 'op', op: 'add', args: [1, { value: undefined }, { value: null }], out: [2] },
                { type: 'share-tensor', id: 3, scale: 65536n, parties: [], out: 4 },
              ],
            },
          ],
        },
      ],
    };
    const back = decode(encode(message)) as typeof message;
    expect(same(back, message)).toBe(true);
    expect(back).toEqual(message);
    const commands = back.argumentList[0]!.value[0]!.commands as Array<Record<string, unknown>>;
    expect(commands[0]!['id']).toBe(12345678901);
    const values = (commands[0]!['tensor'] as { values: Float32Array }).values;
    expect(values).toBeInstanceOf(Float32Array);
    expect(Array.from(values)).toEqual([1, 2, 3, 4]);
    const args = commands[1]!['args'] as Array<Record<string, unknown>>;
    expect(Object.keys(args[1]!)).toEqual(['value']);
    expect(args[1]!['value']).toBeUndefined();
    expect(args[2]!['value']).toBeNull();
    expect(commands[2]!['scale']).toBe(65536n);
    expect(commands[2]!['parties']).toEqual([]);
  });

  test('undefined and null stay apart at the top level and inside arrays', () => {
    expect(decode(encode(undefined))).toBeUndefined();
    expect(decode(encode(null))).toBeNull();
    const back = decode(encode([undefined, null])) as unknown[];
    expect(back).toHaveLength(2);
    expect(back[0]).toBeUndefined();
    expect(back[1]).toBeNull();
  });

  test('a value reached twice (not a cycle) is sent twice; 64 levels of nesting are fine', () => {
    const shared = { a: 1 };
    expect(decode(encode([shared, shared]))).toEqual([{ a: 1 }, { a: 1 }]);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 64; i++) deep = i % 2 ? [deep] : { d: deep };
    expect(decode(encode(deep))).toEqual(deep);
  });
});

describe('raw segments', () => {
  test('a view into a large buffer sends only its own bytes', () => {
    const big = new Float64Array(1 << 16).fill(7);
    const view = big.subarray(100, 103);
    view.set([1.5, NaN, -0]);
    const encoded = encode({ v: view });
    expect(encoded.byteLength).toBeLessThan(64);
    const back = (decode(encoded) as { v: Float64Array }).v;
    expect(back).toBeInstanceOf(Float64Array);
    expect([back.byteOffset, back.byteLength, back.buffer.byteLength]).toEqual([0, 24, 24]);
    expect(Object.is(back[0], 1.5) && Number.isNaN(back[1]) && Object.is(back[2], -0)).toBe(true);
  });

  test('segments start at a multiple of 8 whatever precedes them, and hold raw little-endian bytes', () => {
    const data = new Float64Array([Math.PI, -1e300, 2 ** -1074]);
    const expected = new Uint8Array(data.buffer); // this machine is little-endian (x64/arm64)
    for (let pad = 0; pad < 17; pad++) {
      const v = ['x'.repeat(pad), data, 'y', new ArrayBuffer(3), new BigInt64Array([-(2n ** 63n)])];
      const encoded = new Uint8Array(encode(v));
      const at = encoded.findIndex((_, i) => sameBytes(encoded.subarray(i, i + expected.length), expected));
      expect(at).toBeGreaterThan(0);
      expect(at % 8).toBe(0);
      expect(same(decode(encoded), v)).toBe(true);
    }
  });

  test('segment sizes are exact: the encoding grows by the data and at most 7 bytes of padding', () => {
    fc.assert(
      fc.property(typedArb, (view) => {
        expect(encode(view).byteLength - view.byteLength).toBeLessThanOrEqual(6 + 7);
        expect(encode(view).byteLength - view.byteLength).toBeGreaterThanOrEqual(6);
      }),
    );
  });
});

describe('only plain data is sent', () => {
  const PATH = 'argumentList[0].value.batches[2].commands[0].tensor';
  const inMessage = (bad: unknown) => ({
    argumentList: [{ value: { batches: [0, 1, { commands: [{ tensor: bad }] }] } }],
  });
  class Point {
    x = 1;
  }
  class MyArray extends Array<number> {}
  const channel = new MessageChannel();
  channel.port1.close();

  test.each<[string, unknown, string]>([
    ['a function', () => 1, 'function'],
    ['a symbol', Symbol('s'), 'symbol'],
    ['a Map', new Map([[1, 2]]), 'Map'],
    ['a Set', new Set([1]), 'Set'],
    ['a Date', new Date(0), 'Date'],
    ['an Error', new Error('e'), 'Error'],
    ['a MessagePort', channel.port1, 'MessagePort'],
    ['a class instance', new Point(), 'Point'],
    ['a Proxy of a class instance', new Proxy(new Point(), {}), 'Point'],
    ['an Array subclass', MyArray.from([1]), 'MyArray'],
    ['a Buffer', Buffer.from([1, 2]), 'Buffer'],
    ['a DataView', new DataView(new ArrayBuffer(4)), 'DataView'],
    ['a SharedArrayBuffer', new SharedArrayBuffer(8), 'SharedArrayBuffer'],
    ['a typed array on a SharedArrayBuffer', new Int32Array(new SharedArrayBuffer(8)), 'SharedArrayBuffer'],
    ['an object with symbol keys', { [Symbol('k')]: 1 }, 'symbol keys'],
    ['an own __proto__ key', JSON.parse('{"__proto__": 1}'), '__proto__'],
    ['a lone surrogate', 'a\uD800b', 'surrogate'],
  ])('%s is refused, naming it and its path', (_, bad, what) => {
    const error = wireError(() => encode(inMessage(bad)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(PATH);
    expect(error.message).toContain(what);
  });

  test('a hole in a sparse array is refused at its index', () => {
    const error = wireError(() => encode(inMessage([1, , 3])));
    expect(error.message).toContain(`${PATH}[1]`);
    expect(error.message).toContain('hole');
  });

  test('a getter that answers differently while encoding is refused, whether it grows or shrinks', () => {
    for (const [first, then] of [['a', 'a longer string'], ['a longer string', 'a']]) {
      let calls = 0;
      const shifty = {
        get x() {
          return calls++ === 0 ? first : then;
        },
      };
      expect(wireError(() => encode([shifty, 1.5])).message).toContain('changed');
    }
  });

  test('cycles and nesting deeper than 64 are refused with their path', () => {
    const cyclic: Record<string, unknown> = { list: [] };
    (cyclic['list'] as unknown[]).push({ back: cyclic });
    const cycle = wireError(() => encode(cyclic));
    expect(cycle.code).toBe('INVALID_ARGUMENT');
    expect(cycle.message).toContain('list[0].back');
    expect(cycle.message).toContain('cycle');
    let deep: unknown = 0;
    for (let i = 0; i < 65; i++) deep = [deep];
    const tooDeep = wireError(() => encode(deep));
    expect(tooDeep.message).toContain('[0]'.repeat(64));
    expect(tooDeep.message).toContain('64');
    expect(wireError(() => encode(Symbol('top'))).message).toContain('the message');
    expect(wireError(() => encode({ huge: 1n << BigInt(8 * 2 ** 20) })).message).toContain('huge');
  });
});

describe('hostile bytes', () => {
  test('arbitrary bytes decode to a value or throw WireFormatError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodesOrRefuses), { numRuns: 2000 });
    // Small bytes are mostly valid tags and short lengths, so these get deeper into the format.
    const smallBytes = fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 200 }).map((a) => Uint8Array.from(a));
    fc.assert(fc.property(smallBytes, decodesOrRefuses), { numRuns: 2000 });
  });

  test('every truncation of a valid encoding is refused; a corrupted byte decodes or is refused', () => {
    fc.assert(
      fc.property(valueArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (v, at, flip) => {
        const bytes = new Uint8Array(encode(v));
        for (let n = 0; n < bytes.length; n++) wireError(() => decode(bytes.subarray(0, n)));
        const corrupt = bytes.slice();
        const i = at % corrupt.length;
        corrupt[i] = corrupt[i]! ^ flip;
        decodesOrRefuses(corrupt);
        wireError(() => decode(Uint8Array.of(...bytes, 0))); // a trailing byte
      }),
      { numRuns: 300 },
    );
  });

  test('huge declared lengths and counts are refused at once, before allocating', () => {
    const u32max = [0xff, 0xff, 0xff, 0xff];
    const started = performance.now();
    for (const bytes of [
      [6, ...u32max], // string
      [7, 0, ...u32max], // bigint
      [8, ...u32max, 0, 0, 0], // array of 4 billion undefineds
      [9, ...u32max], // object
      [10, ...u32max], // ArrayBuffer
      [11, 8, 0xf8, 0xff, 0xff, 0xff], // Float64Array
      [7, 0, 0x01, 0x00, 0x10, 0x00, ...new Array<number>(64).fill(0xff)], // a bigint over the 1 MiB limit
    ]) {
      expect(wireError(() => decode(Uint8Array.from(bytes))).code).toBe('INVALID_ARGUMENT');
    }
    expect(performance.now() - started).toBeLessThan(100);
  });

  test.each<[string, number[], string]>([
    ['an empty frame', [], 'needed'],
    ['an unknown tag', [42], 'tag 42'],
    ['an unknown typed array kind', [11, 11, 0, 0, 0, 0], 'kind'],
    ['a segment of partial elements', [11, 8, 3, 0, 0, 0, 0, 0, 1, 2, 3], 'whole'],
    ['non-zero padding', [10, 0, 0, 0, 0, 0, 0, 1], 'padding'],
    ['a bad bigint sign', [7, 2, 0, 0, 0, 0], 'sign'],
    ['invalid UTF-8', [6, 2, 0, 0, 0, 0xc3, 0x28], 'UTF-8'],
    ['a __proto__ key', [9, 1, 0, 0, 0, 9, 0, 0, 0, ...Buffer.from('__proto__'), 9, 0, 0, 0, 0], '__proto__'],
    ['a duplicate key', [9, 2, 0, 0, 0, 1, 0, 0, 0, 97, 0, 1, 0, 0, 0, 97, 1], 'twice'],
    ['trailing bytes', [0, 0], 'follow'],
    ['65 levels of nesting', [...Array.from({ length: 65 }, () => [8, 1, 0, 0, 0]).flat(), 0], 'nesting'],
  ])('%s is refused', (_, bytes, what) => {
    const error = wireError(() => decode(Uint8Array.from(bytes)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(what);
  });

  test('64 levels of nesting decode, and a non-buffer input is refused', () => {
    const bytes = [...Array.from({ length: 64 }, () => [8, 1, 0, 0, 0]).flat(), 1];
    let expected: unknown = null;
    for (let i = 0; i < 64; i++) expected = [expected];
    expect(decode(Uint8Array.from(bytes))).toEqual(expected);
    expect(wireError(() => decode('frame' as unknown as ArrayBuffer)).code).toBe('INVALID_ARGUMENT');
  });
});
