/**
 * Ring matMul in a small WebAssembly SIMD kernel (src/smpc/wasm/ring-matmul.wat):
 * wasm integer arithmetic wraps mod 2^64 (and mod 2^32 in 32-bit lanes)
 * natively, where BigInt arithmetic allocates for every multiply-accumulate.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RingTensor } from './ring.js';
import { wasmBase64 } from './wasm/ring-matmul.wasm.generated.js';
import { type KernelMemory, lazyKernel, reserve } from './wasm-kernel.js';

interface Kernel {
  readonly memory: KernelMemory;
  /** C = A·B; `w` is scratch for k*npad words and `c` needs room for m*npad words (npad = n rounded up to 4). */
  readonly matmul: (a: number, b: number, c: number, m: number, k: number, n: number, w: number) => void;
}

const load = lazyKernel<Kernel>(wasmBase64);

export function ringMatMulWasm(a: RingTensor, b: RingTensor): RingTensor {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new InvalidArgumentError(`ring matMul: needs [m, k] and [k, n], got [${a.shape}] and [${b.shape}].`);
  }
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const npad = Math.ceil(n / 4) * 4;
  const { memory, matmul } = load();
  // One instance, reused: operands always start at 0, so memory only grows to the largest call's need.
  const aAt = 0;
  const bAt = aAt + 8 * m * k;
  const wAt = bAt + 8 * k * n;
  const cAt = wAt + 8 * k * npad;
  const bytes = cAt + 8 * m * npad;
  reserve(memory, bytes);
  new BigUint64Array(memory.buffer, aAt, m * k).set(a.values);
  new BigUint64Array(memory.buffer, bAt, k * n).set(b.values);
  matmul(aAt, bAt, cAt, m, k, n, wAt);
  // Copied out: the next call overwrites (or, on growth, detaches) this memory.
  return { values: new BigUint64Array(memory.buffer, cAt, m * n).slice(), shape: [m, n] };
}
