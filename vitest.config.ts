import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests start worker threads of their own; child processes keep them apart,
    // and --expose-gc lets collection tests force a GC.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two test files at a time on two cores: much of a file's time is spent waiting (worker processes
    // starting, crashes detected, grace periods), which the other file fills; one at a time took 25% longer.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      // The integration suite again with every virtual worker in a child process of its own, reached over
      // loopback WebSocket (SYFT_HOSTS=processes): every command and reply crosses a socket as a byte frame,
      // moves and share openings go process to process, and sy.testing.crash is a kill -9.
      {
        extends: true,
        test: {
          name: 'processes',
          // The runtime, chains, training, SMPC, federated, lifecycle, isolation and fault suites. Left to the
          // threads: backpressure (blocking on a progress counter needs shared memory; a socket host has drain()),
          // the examples and the consumer project (whole programs, once is enough), and the DP, datasets and
          // uncaught-error suites (host logic and scripts the transport does not touch), for npm test's 10 minutes.
          include: [
            'test/integration/{remote-execution,pointer-chains,training,smpc,smpc-autograd,federated,lifecycle,isolation,faults}.test.ts',
          ],
          env: { SYFT_HOSTS: 'processes' },
        },
      },
      // Threads can speak bytes too (SYFT_WIRE=bytes): the runtime and chain suites over it.
      {
        extends: true,
        test: {
          name: 'bytes',
          include: ['test/integration/remote-execution.test.ts', 'test/integration/pointer-chains.test.ts'],
          env: { SYFT_WIRE: 'bytes' },
        },
      },
      // Type tests (expectTypeOf, @ts-expect-error): compiled by tsc, never run.
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json', ignoreSourceErrors: true },
        },
      },
    ],
  },
});
