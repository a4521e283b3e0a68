// Entry point of `npx syft-ts`: the program is src/host/cli.ts.
import { runCli } from '../src/host/cli.js';

runCli();
