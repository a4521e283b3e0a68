/**
 * Ring matMul in a small WebAssembly kernel (src/smpc/wasm/ring-matmul.wat):
 * i64.mul and i64.add wrap mod 2^64 natively, where BigInt arithmetic
 * allocates for every multiply-accumulate.
 */
import { InvalidArgumentError } from '../errors.js';
import type { RingTensor } from './ring.js';
import { wasmBase64 } from './wasm/ring-matmul.wasm.generated.js';

/** The slice of the WebAssembly API used here (the project's lib settings carry no WebAssembly types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}

interface Kernel {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly matmul: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
}

let kernel: Kernel | undefined;

function load(): Kernel {
  if (kernel === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    kernel = new wasm.Instance(new wasm.Module(Buffer.from(wasmBase64, 'base64'))).exports as Kernel;
  }
  return kernel;
}

const PAGE = 65536;

export function ringMatMulWasm(a: RingTensor, b: RingTensor): RingTensor {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new InvalidArgumentError(`ring matMul: needs [m, k] and [k, n], got [${a.shape}] and [${b.shape}].`);
  }
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const { memory, matmul } = load();
  const bytes = 8 * (m * k + k * n + m * n);
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  const [aAt, bAt, cAt] = [0, 8 * m * k, 8 * (m * k + k * n)];
  new BigUint64Array(memory.buffer, aAt, m * k).set(a.values);
  new BigUint64Array(memory.buffer, bAt, k * n).set(b.values);
  matmul(aAt, bAt, cAt, m, k, n);
  return { values: new BigUint64Array(memory.buffer, cAt, m * n).slice(), shape: [m, n] };
}
