/** Example 14 (--quick) as a user runs it: a 3-node cluster, a move, FedAvg, a node restart; everything it started stops. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

test('example 14 (--quick): the move arrives whole without the owner, FedAvg learns, both workers take part after the restart', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--expose-gc', 'examples/14-nats-cluster.ts', '--quick', '--quiet'], { cwd: root, timeout: 60_000 });
  const move = /sum at alice (-?[\d.]+) \(sent (-?[\d.]+)\); tensor bytes through the owner: (\d+)/.exec(stdout);
  expect(move, stdout).not.toBeNull();
  expect(move![1]).toBe(move![2]);
  expect(Number(move![3])).toBe(0);
  const accuracy = Number(/held-out accuracy ([\d.]+)% on 2000 digits/.exec(stdout)?.[1]);
  expect(accuracy).toBeGreaterThan(30); // two rounds on 1,000 digits: far above chance (10%)
  // Alice takes part, or her link lost a frame in the restart and the round says so; the round after has her back.
  expect(stdout).toMatch(/round 1 after the restart: (bob and alice|alice and bob|bob, left out alice \(The connection to worker 'alice' dropped)/);
  expect(stdout).toMatch(/round 2 after the restart: (bob and alice|alice and bob);/);
  // The workers and nats-servers it started are gone: no process still holds its ports' names.
  const { stdout: ps } = await run('ps', ['-eo', 'args']);
  expect(ps).not.toMatch(/syft-nats-\d|worker --id (bob|alice) --nats/);
});
