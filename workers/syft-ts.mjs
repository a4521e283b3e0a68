#!/usr/bin/env node
// The `syft-ts` command: the built program when there is one (an installed
// package), else the TypeScript sources through tsx (a clone of the repository).
import { existsSync } from 'node:fs';

const built = new URL('../dist/workers/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./cli.ts', import.meta.url).href);
}
