/** Shared setup for tests that need a running hook. */
import * as tf from '@tensorflow/tfjs-core';
import * as sy from '../../src/index.js';

export async function startHook(): Promise<sy.Hook> {
  return sy.hook(tf);
}

/** Asserts that `promise` rejects with a syft error of this code; returns it for further checks. */
export async function rejection(promise: Promise<unknown>): Promise<sy.SyftError> {
  try {
    await promise;
  } catch (error) {
    if (sy.isSyftError(error)) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

/** Runs `fn` and returns the syft error it throws. */
export function thrown(fn: () => unknown): sy.SyftError {
  try {
    fn();
  } catch (error) {
    if (sy.isSyftError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}

/** `promise`, or a failure naming it once `ms` pass: no await on the network may hang a test. */
export function within<T>(ms: number, promise: Promise<T>, what = 'the await'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms))),
  ]);
}

/** Whether process `pid` has not exited (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
