// The package as a user gets it: `npm pack` (whose prepack builds dist/), the
// tarball unpacked into a fresh project's node_modules beside tfjs, and that
// project compiled with tsc --strict against the shipped declarations only. The
// README's five lines compile and run there; three wrong calls fail to compile,
// each with its own error, on its own line.
//
// Hermetic: nothing is downloaded. The project's other packages are links to
// this repository's node_modules (what `npm install syft-ts @tensorflow/tfjs`
// would put there: the same versions, from the lock file).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let dir: string;
let project: string;
let tscOutput: string;
let packed: { filename: string; files: { path: string; size: number }[] };

const FIVE_LINES = `import * as tf from '@tensorflow/tfjs';
import * as sy from 'syft-ts';

const hook = await sy.hook(tf);
const bob = await hook.virtualWorker('bob');

const x = sy.tensor([1, 2, 3, 4, 5]).send(bob);
const y = sy.tensor([1, 1, 1, 1, 1]).send(bob);
const z = x.add(y);
console.log((await bob.objects()).size);
console.log(JSON.stringify(Array.from((await z.get()).dataSync())));
await hook.shutdown();
`;

// The rest of the README's API, compiled (not run: it would train).
const API = `import * as tf from '@tensorflow/tfjs';
import * as sy from 'syft-ts';

export async function tour(hook: sy.Hook): Promise<number[]> {
  const [bob, alice, james] = await hook.virtualWorkers(['bob', 'alice', 'james']);
  const w = sy.tensor([[0], [0]], { requiresGrad: true }).send(bob);
  const loss = sy.tensor([[1, 1], [0, 1]]).send(bob).matMul(w).sub(1).pow(2).sum();
  loss.backward();
  w.subInPlace(w.grad.mul(0.1));
  w.grad.zeroInPlace();
  const model = sy.nn.sequential(sy.nn.linear(784, 10), sy.nn.relu()).send(bob);
  const opt = sy.optim.sgd(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const xPtr = tf.randomUniform([2, 784]).send(bob);
  opt.zeroGrad();
  sy.nn.crossEntropy(model.forward(xPtr), tf.oneHot(tf.tensor1d([1, 2], 'int32'), 10).cast('float32').send(bob)).backward();
  opt.step();
  const fd = sy.federate(new sy.BaseDataset(tf.randomUniform([4, 784]), tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10)), [bob, alice]);
  const { rounds } = await sy.federated.fedAvg(model, fd, { rounds: 1, batchSize: 2, loss: 'crossEntropy', optimizer: { kind: 'sgd', lr: 0.1 } });
  const shared = tf.tensor([0.1, 0.2]).fixPrecision().share(bob, alice, { cryptoProvider: james });
  const back = (await shared.mul(shared).add(shared).get()).floatPrecision();
  const parts: sy.PointerTensor[] = sy.split(sy.tensor([1, 2, 3, 4]).send(bob), 2);
  const { mean } = sy.moments(tf.tensor([1, 2, 3]));
  return [rounds.length, parts.length, ...back.dataSync(), ...mean.dataSync()];
}
`;

// Three wrong calls: a string where a tensor goes, a missing operand, an array into a model.
const WRONG = `import * as tf from '@tensorflow/tfjs';
import * as sy from 'syft-ts';
const hook = await sy.hook(tf);
const bob = await hook.virtualWorker('bob');
const x = sy.tensor([1, 2, 3]).send(bob);
x.add('oops');
x.matMul();
sy.nn.linear(3, 1).forward([1, 2, 3]);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    // As any tfjs user must: tfjs's declarations clash with lib.dom's WebGPU types.
    skipLibCheck: true,
    outDir: 'out',
  },
};

/** The newest modification time (ms) of the files under these paths of the repository. */
function newest(paths: string[]): number {
  return Math.max(
    ...paths.map((p) => {
      const full = join(ROOT, p);
      if (!statSync(full).isDirectory()) return statSync(full).mtimeMs;
      return Math.max(0, ...readdirSync(full, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => statSync(join(e.parentPath, e.name)).mtimeMs));
    }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syft-consumer-'));
  // prepack runs the build, so the tarball carries a fresh dist/. When dist/ is already newer than every
  // source (npm test builds first), the second build would only cost time: pack what is there.
  const fresh = existsSync(join(ROOT, 'dist/src/index.js')) && newest(['src', 'workers', 'package.json', 'tsconfig.build.json']) < statSync(join(ROOT, 'dist/src/index.js')).mtimeMs;
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir, ...(fresh ? ['--ignore-scripts'] : [])], { cwd: ROOT, maxBuffer: 64 << 20 });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  const tarball = join(dir, packed.filename);

  project = join(dir, 'project');
  const modules = join(project, 'node_modules');
  mkdirSync(modules, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', dir]);
  renameSync(join(dir, 'package'), join(modules, 'syft-ts'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '.bin' || name.startsWith('.') || name === 'syft-ts') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(project, 'five-lines.ts'), FIVE_LINES);
  writeFileSync(join(project, 'api.ts'), API);
  writeFileSync(join(project, 'wrong.ts'), WRONG);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['five-lines.ts', 'api.ts', 'wrong.ts'] }));
  // One compilation for all three files (tfjs's declarations are most of its time); it emits despite wrong.ts's errors.
  tscOutput = await run('node', [TSC, '-p', 'tsconfig.json'], { cwd: project }).then(
    () => '',
    (e: { stdout: string }) => e.stdout,
  );
}, 240_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('a consumer project with the packed tarball', () => {
  test('the tarball ships the built package, its license and readme, and no sources or tests', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/src/index.js', 'dist/src/index.d.ts', 'dist/workers/actor-host.js', 'LICENSE', 'README.md', 'package.json']));
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
  });

  test('the entry declarations are small enough to read (op signatures live in one generated interface)', () => {
    const size = packed.files.find((f) => f.path === 'dist/src/index.d.ts')!.size;
    expect(size).toBeLessThan(60_000);
  });

  test('the README API compiles with tsc --strict against the shipped declarations', () => {
    expect(tscOutput.split('\n').filter((l) => /^(five-lines|api)\.ts\(/.test(l))).toEqual([]);
    expect(existsSync(join(project, 'out', 'five-lines.js'))).toBe(true);
  });

  test("the README's five lines run from the installed package", async () => {
    const { stdout } = await run('node', [join('out', 'five-lines.js')], { cwd: project, env: { ...process.env, SYFT_QUIET: '1' }, timeout: 60_000 });
    // bob holds x, y and z; z comes home as [2,3,4,5,6].
    expect(stdout.trim().split('\n')).toEqual(['3', '[2,3,4,5,6]']);
  }, 90_000);

  test('three wrong calls fail to compile, each with its error, and nothing else fails', () => {
    const errors = tscOutput
      .split('\n')
      .filter((l) => /^\S+\(\d+,\d+\): error TS\d+/.test(l))
      .map((l) => l.match(/^(\S+)\((\d+),\d+\): error (TS\d+)/)!.slice(1).join(' '));
    expect(errors).toEqual([
      'wrong.ts 6 TS2345', // x.add('oops'): a string is not a tensor
      'wrong.ts 7 TS2554', // x.matMul(): expected 1-3 arguments
      'wrong.ts 8 TS2345', // forward([1, 2, 3]): an array is not an activation
    ]);
  });
});
