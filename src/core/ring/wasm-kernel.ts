/**
 * The hand-written WebAssembly ring kernels (src/core/ring/wasm/*.wat, built
 * by scripts/gen-wasm.mjs): instantiated once per thread on first use, each
 * with a memory of its own that only grows to its largest call.
 */

/** The slice of the WebAssembly API used here (the project's lib settings carry no WebAssembly types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}

export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE = 65536;

/** A loader for one kernel module: the instance is made on the first call. */
export function lazyKernel<K extends { readonly memory: KernelMemory }>(base64: string): () => K {
  let kernel: K | undefined;
  return () => {
    if (kernel === undefined) {
      const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      kernel = new wasm.Instance(new wasm.Module(Buffer.from(base64, 'base64'))).exports as K;
    }
    return kernel;
  };
}

/** Grows `memory` to hold `bytes` (operands always start at 0, so a call lays them out from there). */
export function reserve(memory: KernelMemory, bytes: number): void {
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
}
