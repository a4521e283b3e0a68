/**
 * Threads that die, runtimes that shut down, scripts that forget to, and the
 * built package's worker entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { rejection, startHook, thrown } from '../support/runtime.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Enough queued work that a call issued after it is still pending a while later. */
function keepBusy(p: sy.PointerTensor): void {
  for (let i = 0; i < 6; i++) p.matMul(p).dispose();
}

describe('a crashed thread', () => {
  test('rejects every pending call, refuses later ones, and spares other threads', async () => {
    const hook = await startHook();
    try {
      const [victim, bystander] = await Promise.all([hook.virtualWorker('victim'), hook.virtualWorker('bystander')]);
      const errors: string[] = [];
      hook.events$.subscribe((e) => e.type === 'error' && errors.push(e.code ?? ''));
      const big = tf.randomNormal([600, 600]).send(victim);
      keepBusy(big);
      const pending = [rejection(big.sum().get()), rejection(victim.objects())];
      await sy.testing.crash(victim);
      for (const p of pending) expect((await p).code).toBe('WORKER_CRASHED');
      expect((await rejection(victim.objects())).code).toBe('WORKER_CRASHED');
      expect(thrown(() => sy.tensor([1]).send(victim)).code).toBe('WORKER_CRASHED');
      expect(errors).toContain('WORKER_CRASHED');
      const ok = sy.tensor([1, 2]).send(bystander);
      expect(Array.from(await (await ok.add(1).get()).data())).toEqual([2, 3]);
    } finally {
      await hook.shutdown();
    }
  });
});

describe('shutdown', () => {
  test('rejects pending calls and refuses new work with RuntimeShutDownError', async () => {
    const hook = await startHook();
    const bob = await hook.virtualWorker('bob');
    const big = tf.randomNormal([600, 600]).send(bob);
    keepBusy(big);
    const pending = rejection(big.sum().get());
    await hook.shutdown();
    expect((await pending).code).toBe('RUNTIME_SHUT_DOWN');
    expect((await rejection(hook.virtualWorker('alice'))).code).toBe('RUNTIME_SHUT_DOWN');
    expect(thrown(() => sy.tensor([1]).send(bob)).code).toBe('RUNTIME_SHUT_DOWN');
    await hook.shutdown(); // twice is harmless
  });
});

describe('the built package', () => {
  const run = promisify(execFile);

  test('starts its worker threads from dist/ and a script that forgets shutdown() still exits', async () => {
    if (!existsSync(`${root}/dist/src/index.js`)) {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root });
    }
    const script = `
      const tf = await import('@tensorflow/tfjs-core');
      const sy = await import('./dist/src/index.js');
      const hook = await sy.hook(tf);
      const bob = await hook.virtualWorker('bob');
      const x = sy.tensor([1, 2, 3]).send(bob);
      console.log(JSON.stringify({ backend: hook.backend, values: Array.from((await x.mul(2).get()).dataSync()) }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 30_000 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { backend: string; values: number[] };
    expect(out.values).toEqual([2, 4, 6]);
    expect(out.backend).toBe(process.env['SYFT_BACKEND'] ?? 'wasm');
  });
});
