import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start worker threads of their own; child processes keep them apart,
    // and --expose-gc lets collection tests force a GC.
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one test file at a time leaves a core for the actor threads.
    fileParallelism: false,
  },
});
