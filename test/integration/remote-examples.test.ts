/** Example 13 (--quick) as a user runs it: two worker processes, FedAvg over WebSocket, and both stopped at the end. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

test('example 13 (--quick): the CNN learns over WebSocket, and the workers it started are gone after', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--expose-gc', 'examples/13-websocket-mnist.ts', '--quick'], { cwd: root, timeout: 90_000 });
  const pids = [...stdout.matchAll(/started (bob|alice): npx syft-ts worker --id \w+ \(pid (\d+)\) listening on ws:\/\/127\.0\.0\.1:\d+/g)].map((m) => Number(m[2]));
  expect(pids).toHaveLength(2);
  expect(Number(/digits sent to bob and alice over WebSocket: ([\d.]+) MB/.exec(stdout)?.[1])).toBeCloseTo((2000 * 794 * 4) / 2 ** 20, 0); // 784 pixels + 10 one-hot labels
  const accuracy = Number(/held-out accuracy ([\d.]+)% after 2 round\(s\)/.exec(stdout)?.[1]);
  expect(accuracy).toBeGreaterThan(20); // two rounds on 2,000 digits: above chance (10%)
  expect(stdout).toContain('stopped');
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(); // no such process
});
