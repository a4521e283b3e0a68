/**
 * `sy.tidy(fn)`: like tf.tidy, and for pointers too. Local tensors created in fn
 * are released by tf.tidy; pointers created in fn are disposed (their remote
 * objects deleted) unless fn returns them, directly or inside arrays and plain
 * objects. What is kept belongs to the enclosing scope, if any.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../core/errors.js';

export interface ScopedResource {
  readonly isDisposed: boolean;
  dispose(): void;
}

/** Objects that own pointers (a MultiPointerTensor) say which, so keeping them keeps those. */
export const OWNED_RESOURCES = Symbol.for('syft-ts.ownedResources');

interface Owner {
  [OWNED_RESOURCES](): readonly unknown[];
}

const scopes: Set<ScopedResource>[] = [];

/** Every pointer calls this when it is created. */
export function trackInScope(resource: ScopedResource): void {
  scopes[scopes.length - 1]?.add(resource);
}

/**
 * Runs fn outside every tidy scope: what it creates (an optimizer's state,
 * say) survives the scope it was called in, pointers and tf tensors alike.
 */
export function escapeScope<T>(fn: () => T): T {
  const saved = scopes.splice(0);
  try {
    let result!: T;
    // tf.keep marks tensors as kept; a fresh engine scope does not exist outside tf.tidy, so keep what fn returns.
    result = fn();
    keepTensorsIn(result);
    return result;
  } finally {
    scopes.push(...saved);
  }
}

function keepTensorsIn(value: unknown): void {
  if (value instanceof tf.Tensor) tf.keep(value);
  else if (typeof value === 'object' && value !== null && 'tensor' in value && (value as { tensor: unknown }).tensor instanceof tf.Tensor) {
    tf.keep((value as { tensor: tf.Tensor }).tensor);
  }
}

export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(`sy.tidy expects a function, got ${typeof fn}. Write sy.tidy(() => ...).`);
  }
  const scope = new Set<ScopedResource>();
  scopes.push(scope);
  let result: T;
  try {
    result = tf.tidy(fn as () => tf.TensorContainer) as T;
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) {
    throw new InvalidArgumentError('sy.tidy cannot keep the result of an async function: await outside the tidy.');
  }
  const kept = resourcesIn(result, scope);
  const parent = scopes[scopes.length - 1];
  for (const r of scope) {
    if (kept.has(r)) parent?.add(r);
    else if (!r.isDisposed) r.dispose();
  }
  return result;
}

/** The scope's resources reachable from `value` through arrays, Maps, Sets and plain objects. */
function resourcesIn(value: unknown, scope: ReadonlySet<ScopedResource>): Set<ScopedResource> {
  const found = new Set<ScopedResource>();
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (scope.has(v as ScopedResource)) {
      found.add(v as ScopedResource);
      return;
    }
    if (OWNED_RESOURCES in v) for (const x of (v as Owner)[OWNED_RESOURCES]()) visit(x);
    else if (Array.isArray(v) || v instanceof Set) for (const x of v) visit(x);
    else if (v instanceof Map) for (const x of v.values()) visit(x);
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) visit(x);
  };
  visit(value);
  return found;
}
