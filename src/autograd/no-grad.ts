/**
 * `sy.noGrad(fn)` (PyTorch's `with torch.no_grad()`): ops inside fn record
 * nothing for backward(), locally and at workers.
 */
let depth = 0;

export function noGrad<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

export function isRecording(): boolean {
  return depth === 0;
}
