/**
 * A user's own error after sy.hook is Node's to report: printed with its own
 * stack, exit code 1, as without syft-ts. tfjs-backend-wasm's emscripten
 * module installs process-wide listeners that rethrow from inside the
 * listener (Node then printed the module's 36 KB minified source line and
 * exited 7); src/core/backend.ts removes them in the main thread and in every
 * thread that loads a backend.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';

const script = fileURLToPath(new URL('../support/uncaught-script.ts', import.meta.url));
const run = (mode: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, mode], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SYFT_BACKEND: 'wasm' },
  });

/** Node's own report of an uncaught error is a few hundred bytes; the wasm module's source line alone was 36 KB. */
const SHORT = 4_096;

describe('a script that fails after sy.hook', () => {
  test.each([
    ['throw', 'sync-marker'],
    ['throw-top-level', 'top-level-marker'],
    ['reject', 'async-marker'],
  ])('%s: Node prints the error and exits with code 1', (mode, marker) => {
    const result = run(mode);
    // The script got as far as a round trip to bob, so the failure is the user's, not the runtime's.
    expect(result.stdout).toBe('wasm 2,3,4\n');
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 1, signal: null });
    expect(result.stderr).toContain(`Error: user code failed: ${marker}`);
    expect(result.stderr.length).toBeLessThan(SHORT);
    expect(result.stderr).not.toContain('tfjs-backend-wasm');
    expect(result.stderr).not.toContain('WasmBackendModule');
  });

  test('a script that never calls shutdown() exits with code 0 and prints nothing on stderr', () => {
    const result = run('finish');
    expect({ status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      signal: null,
      stdout: 'wasm 2,3,4\n',
      stderr: '',
    });
  });
});

test('a worker thread that loads the wasm backend keeps no error listener of its own, and its error reaches the parent', async () => {
  const bootstrap = fileURLToPath(new URL('../../workers/ts-bootstrap.mjs', import.meta.url));
  const entry = new URL('../support/uncaught-thread.ts', import.meta.url).href;
  const worker = new Worker(bootstrap, { workerData: { syftEntry: entry } });
  const listeners = new Promise((resolve) => worker.once('message', resolve));
  const error = new Promise<Error>((resolve) => worker.once('error', resolve));
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
  expect(await listeners).toEqual({ uncaughtException: 0, unhandledRejection: 0 });
  expect((await error).message).toBe('thread code failed: thread-marker');
  expect(await exit).toBe(1);
});
