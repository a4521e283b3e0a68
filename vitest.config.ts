import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests start worker threads of their own; child processes keep them apart,
    // and --expose-gc lets collection tests force a GC.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one test file at a time leaves a core for the actor threads.
    fileParallelism: false,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      // The integration suite again, every command and reply encoded to bytes (src/transport/wire.ts):
      // the protocol is plain data before any socket carries it.
      {
        extends: true,
        test: {
          name: 'bytes',
          include: ['test/integration/**/*.test.ts'],
          // Packs and compiles a consumer project: no message crosses a wire. The examples' quick runs are whole
          // programs whose protocol paths the smpc suites already cover here: once is enough.
          exclude: ['test/integration/consumer-project.test.ts', 'test/integration/encrypted-examples.test.ts', 'test/integration/dp-examples.test.ts'],
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
