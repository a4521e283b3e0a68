/**
 * The architecture's promises that a test can check directly: the host thread
 * loads no client-side code, and a host exposes its protocol entry points and
 * nothing a peer could traverse to run code; ops are typed from the registry
 * (scripts/gen-op-types.ts), one method each. (Import cycles and layer order are
 * checked by `npm run lint:deps`.)
 */
import * as esbuild from 'esbuild';
import * as Comlink from 'comlink';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { OPS, opNames } from '../../src/core/op-registry.js';
import { nodeEndpoint } from '../../src/transport/endpoint.js';
import { exposeEntryPoints } from '../../src/transport/expose.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The source folders (src/<folder>) a program loads at run time, following only value imports. */
async function foldersLoadedBy(entry: string): Promise<Set<string>> {
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const folders = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /^src\/([^/]+)\//.exec(input);
    if (match !== null) folders.add(match[1]!);
  }
  return folders;
}

describe('the host is a program of its own', () => {
  test('an actor thread loads core, transport, autograd, tensor, nn, optim, dp and host code only', async () => {
    const loaded = await foldersLoadedBy('workers/actor-host.ts');
    expect([...loaded].sort()).toEqual(['autograd', 'core', 'dp', 'host', 'nn', 'optim', 'tensor', 'transport']);
  });

  test("a worker process's main thread (npx syft-ts worker) loads core, transport and host code only: it routes frames, its session thread computes", async () => {
    const loaded = await foldersLoadedBy('workers/cli.ts');
    expect([...loaded].sort()).toEqual(['core', 'host', 'transport']);
  });

  test('the client loads no host code: it starts hosts by their entry file', async () => {
    const loaded = await foldersLoadedBy('src/index.ts');
    expect(loaded.has('host')).toBe(false);
    expect(loaded.has('client')).toBe(true);
  });
});

describe('a host exposes only its entry points', () => {
  const channels: MessageChannel[] = [];
  afterEach(() => {
    for (const { port1, port2 } of channels.splice(0)) {
      port1.close();
      port2.close();
    }
  });

  /**
   * A host with two entry points, and a peer that speaks comlink's wire
   * messages directly, as an attacker holding the port would.
   */
  function serve(): (message: Record<string, unknown>) => Promise<{ type: string; name?: string; value: unknown }> {
    const channel = new MessageChannel();
    channels.push(channel);
    let calls = 0;
    exposeEntryPoints({ execute: (x: unknown) => ['ran', x, ++calls], spawn: () => calls }, nodeEndpoint(channel.port2));
    let next = 0;
    return (message) =>
      new Promise((resolve) => {
        const id = `probe-${++next}`;
        const listener = (reply: { id: string; type: string; value: unknown }) => {
          if (reply.id !== id) return;
          channel.port1.off('message', listener);
          resolve(reply);
        };
        channel.port1.on('message', listener);
        channel.port1.postMessage({ id, ...message });
      });
  }
  const raw = (value: unknown) => ({ type: 'RAW', value });
  const threw = (reply: { type: string; name?: string }) => reply.type === 'HANDLER' && reply.name === 'throw';

  test('entry points answer, through comlink as the client calls them', async () => {
    const channel = new MessageChannel();
    channels.push(channel);
    exposeEntryPoints({ execute: (x: unknown) => ['ran', x] }, nodeEndpoint(channel.port2));
    const host = Comlink.wrap<{ execute(x: number): unknown }>(nodeEndpoint(channel.port1));
    expect(await host.execute(41)).toEqual(['ran', 41]);
  });

  test('no property path reaches Function, a prototype, or anything else behind them', async () => {
    const ask = serve();
    // The probe that ran code in the thread: new host.execute.constructor(src)().
    for (const path of [['execute', 'constructor'], ['execute', 'apply', 'constructor'], ['constructor'], ['execute'], ['__proto__', 'constructor']]) {
      expect(threw(await ask({ type: 'CONSTRUCT', path, argumentList: [raw('return process.pid')] })), path.join('.')).toBe(true);
    }
    for (const path of [['execute', 'constructor'], ['execute', 'call'], ['execute', 'bind'], ['spawn', 'apply', 'call'], ['constructor'], ['toString']]) {
      expect(threw(await ask({ type: 'APPLY', path, argumentList: [raw('return 1')] })), path.join('.')).toBe(true);
    }
    const reads = [['constructor'], ['__proto__'], ['toString'], ['hasOwnProperty'], ['execute', 'constructor'], ['execute', 'prototype'], ['execute', '__proto__'], ['execute', 'call'], ['execute', 'bind']];
    reads.push(['execute', 'apply', 'constructor'], ['execute', 'apply', 'apply', 'constructor'], ['execute', 'name'], ['execute', 'length'], ['spawn', 'apply', 'name']);
    // Only calls of entry points are served: every read is refused (answered as thrown), none returns anything.
    for (const path of reads) {
      expect(threw(await ask({ type: 'GET', path })), path.join('.')).toBe(true);
    }
    // A call whose arguments are not plain data (comlink would build a proxy from them) is refused too.
    expect(threw(await ask({ type: 'APPLY', path: ['execute'], argumentList: [{ type: 'HANDLER', name: 'proxy', value: 1 }] }))).toBe(true);
    // An entry point can be called, not read out.
    expect(threw(await ask({ type: 'GET', path: ['execute'] }))).toBe(true);
    // Writes are refused, and change nothing.
    expect(threw(await ask({ type: 'SET', path: ['execute'], value: raw('replaced') }))).toBe(true);
    expect(threw(await ask({ type: 'SET', path: ['__proto__', 'polluted'], value: raw(true) }))).toBe(true);
    expect(threw(await ask({ type: 'SET', path: ['execute', 'apply'], value: raw(1) }))).toBe(true);
    expect(await ask({ type: 'APPLY', path: ['execute'], argumentList: [raw(1)] })).toMatchObject(raw(['ran', 1, 1]));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('op methods are typed from the registry', () => {
  // The generated declarations (written by `npm run gen`), read as text: the names and arities a user's compiler sees.
  const generated = readFileSync(`${root}src/tensor/op-methods.generated.ts`, 'utf8');
  const block = (name: string): string => generated.slice(generated.indexOf(`export interface ${name}`), generated.indexOf('\n}\n', generated.indexOf(`export interface ${name}`)));

  test('one method per registry op, in registry order, and nothing else', () => {
    const methods = [...block('RegistryOpMethods').matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]);
    expect(methods).toEqual([...opNames()]);
    const functional = [...block('OpArgs').matchAll(/^ {2}(\w+): \[/gm)].map((m) => m[1]);
    expect(functional).toEqual([...opNames()]);
  });

  test("each method takes the registry's inputs after the receiver, then its attributes by name", () => {
    for (const name of opNames()) {
      const spec = OPS[name];
      const line = new RegExp(`^ {2}${name}\\((.*)\\): `, 'm').exec(block('RegistryOpMethods'))![1]!;
      const params = line === '' ? [] : line.split(/, (?=\w+\??: )/).map((p) => /^(\w+)/.exec(p)![1]);
      const inputs = spec.inputs === 'list' ? 1 : spec.inputs - 1;
      expect(params.slice(inputs), name).toEqual([...spec.attrs]);
      expect(params.length, name).toBe(inputs + spec.attrs.length);
    }
  });
});
