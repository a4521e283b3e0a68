/**
 * Element-wise ring arithmetic in WebAssembly (src/core/ring/wasm/ring-elementwise.wat):
 * one i64 instruction per operation, where a BigInt loop spends 50-100 ns per
 * element. Operands are copied into the kernel's memory and the result copied
 * out (a few ms per million values, against hundreds for the BigInt loops).
 * Works on bare value arrays, so ring.ts can use it without a cycle.
 */
import { wasmBase64 } from './wasm/ring-elementwise.wasm.generated.js';
import { type KernelMemory, lazyKernel, reserve } from './wasm-kernel.js';

type Binary = (a: number, b: number, c: number, n: number) => void;

interface Kernel {
  readonly memory: KernelMemory;
  readonly add: Binary;
  readonly sub: Binary;
  readonly mul: Binary;
  readonly beaver: (e: number, f: number, a: number, b: number, c: number, z: number, n: number, leader: bigint) => void;
  readonly truncMask: (x: number, r: number, out: number, n: number, offset: bigint) => void;
  readonly truncDeal: (r: number, out: number, n: number, scale: bigint) => void;
  readonly truncFinish: (c: number, rd: number, rm: number, out: number, n: number, leader: bigint, scale: bigint, k: bigint, minusOffset: bigint) => void;
}

const load = lazyKernel<Kernel>(wasmBase64);

/**
 * Lays the operands out from offset 0, runs `call` with their offsets and the
 * output's, and returns a copy of the output, `outputs` arrays of n words one
 * after the other (the next call reuses the memory).
 */
function run(inputs: readonly BigUint64Array[], call: (kernel: Kernel, at: readonly number[], out: number, n: number) => void, outputs = 1): BigUint64Array {
  const n = inputs[0]!.length;
  const kernel = load();
  reserve(kernel.memory, 8 * n * (inputs.length + outputs));
  const at = inputs.map((values, i) => {
    new BigUint64Array(kernel.memory.buffer, 8 * n * i, n).set(values);
    return 8 * n * i;
  });
  const out = 8 * n * inputs.length;
  call(kernel, at, out, n);
  return new BigUint64Array(kernel.memory.buffer, out, n * outputs).slice();
}

/** x + y, x - y or x · y mod 2^64, element by element (equal lengths). */
export function elementwiseWasm(op: 'add' | 'sub' | 'mul', x: BigUint64Array, y: BigUint64Array): BigUint64Array {
  return run([x, y], (k, [a, b], out, n) => k[op](a!, b!, out, n));
}

/** Beaver's product for one party: c + e·b + a·f (+ e·f at the leader). */
export function beaverWasm(e: BigUint64Array, f: BigUint64Array, a: BigUint64Array, b: BigUint64Array, c: BigUint64Array, leader: boolean): BigUint64Array {
  return run([e, f, a, b, c], (k, [ea, fa, aa, ba, ca], out, n) => k.beaver(ea!, fa!, aa!, ba!, ca!, out, n, leader ? 1n : 0n));
}

/** Truncation's mask: x + r + offset. */
export function truncMaskWasm(x: BigUint64Array, r: BigUint64Array, offset: bigint): BigUint64Array {
  return run([x, r], (k, [xa, ra], out, n) => k.truncMask(xa!, ra!, out, n, offset));
}

/** Truncation's second step for one party (see truncationFinish in ring-ops.ts); `c` is the opened mask. */
export function truncFinishWasm(
  c: BigUint64Array,
  rDiv: BigUint64Array,
  rMsb: BigUint64Array,
  leader: boolean,
  constants: { readonly scale: bigint; readonly k: bigint; readonly minusOffset: bigint },
): BigUint64Array {
  return run([c, rDiv, rMsb], (k, [ca, da, ma], out, n) =>
    k.truncFinish(ca!, da!, ma!, out, n, leader ? 1n : 0n, constants.scale, constants.k, constants.minusOffset),
  );
}

/** The dealer's truncation material: floor((r mod 2^63) / scale) and r >> 63 for every word of a uniform r. */
export function truncDealWasm(r: BigUint64Array, scale: bigint): { div: BigUint64Array; msb: BigUint64Array } {
  const both = run([r], (k, [ra], out, n) => k.truncDeal(ra!, out, n, scale), 2);
  return { div: both.subarray(0, r.length), msb: both.subarray(r.length) };
}
