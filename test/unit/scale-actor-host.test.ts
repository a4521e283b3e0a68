/**
 * Idle actors are cheap: a host registers ids (one at a time or many in one
 * call) and makes an actor only on its first command or delivery. One made
 * that way behaves exactly as one made at once, and registration keeps its
 * rules: ids unique, malformed ones refused, unknown ones not found.
 */
import { describe, expect, test } from 'vitest';
import type { ActorBatchResult, Command } from '../../src/core/protocol.js';
import { createActorHost } from '../../src/host/actor-host.js';

const payload = (values: number[]) => ({ dtype: 'float32' as const, shape: [values.length], values: Float32Array.from(values) });

async function execute(host: ReturnType<typeof createActorHost>, actor: string, commands: unknown[]): Promise<ActorBatchResult> {
  const [result] = await host.client.execute([{ actor, commands: commands as Command[] }]);
  return result!;
}

/** Replies and failures as plain data, tensors as their values, to compare two actors' answers. */
function plain(result: ActorBatchResult): unknown {
  const values = (v: unknown): unknown => (v instanceof Float32Array ? Array.from(v) : Array.isArray(v) ? v.map(values) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, values(x)])) : v);
  return { failures: result.failures.map(([i, error, op]) => [i, error.code, op]), replies: values(result.replies) };
}

/** Stores, an op, a read of a missing id, objects, a fetch, a clear, and objects again. */
const SESSION: unknown[][] = [
  [
    { type: 'store', id: 1, tensor: payload([1, 2, 3]) },
    { type: 'op', op: 'mul', args: [1, { value: 2 }], out: [2] },
    { type: 'fetch', id: 9, keep: true },
  ],
  [{ type: 'objects' }, { type: 'fetch', id: 2, keep: true }],
  [{ type: 'clear' }, { type: 'objects' }, { type: 'stats' }],
];

describe('lazily made actors', () => {
  test('an actor made on its first command answers exactly as one already in use', async () => {
    const host = createActorHost();
    await host.client.init({ backend: 'wasm', thread: 'lazy-1', waitTimeoutMs: 1_000 });
    host.client.spawn('eager');
    host.client.spawnAll(['lazy']);
    // 'eager' is made now, by a command; 'lazy' by the first command of the session.
    expect(plain(await execute(host, 'eager', [{ type: 'sync' }]))).toEqual({ failures: [], replies: [] });
    // One actor's whole session, then the other's: stats count the thread's tensors, both actors'.
    const eager: unknown[] = [];
    for (const batch of SESSION) eager.push(plain(await execute(host, 'eager', batch)));
    const lazy: unknown[] = [];
    for (const batch of SESSION) lazy.push(plain(await execute(host, 'lazy', batch)));
    expect(lazy).toEqual(eager);
    expect(JSON.stringify(eager)).toContain('OBJECT_NOT_FOUND'); // the read of a missing id failed alike
    const [, first] = (await execute(host, 'lazy', [{ type: 'store', id: 3, tensor: payload([4]) }, { type: 'objects' }])).replies[0]!;
    expect((first as { id: number }[]).map((o) => o.id)).toEqual([3]);
  });

  test('a move to an actor never used yet delivers to it; a move to an id never spawned is refused and the object stays', async () => {
    const host = createActorHost();
    await host.client.init({ backend: 'wasm', thread: 'lazy-2', waitTimeoutMs: 1_000 });
    host.client.spawnAll(['bob', 'alice']);
    const moved = await execute(host, 'bob', [
      { type: 'store', id: 1, tensor: payload([7, 8]) },
      { type: 'move', id: 1, to: { actor: 'alice', thread: 'lazy-2' }, as: 2 },
      { type: 'store', id: 3, tensor: payload([5]) },
      { type: 'move', id: 3, to: { actor: 'carol', thread: 'lazy-2' }, as: 4 },
      { type: 'fetch', id: 3, keep: true },
    ]);
    expect(moved.failures.map(([i, error]) => [i, error.code])).toEqual([[3, 'INVALID_ARGUMENT']]);
    // The move reports its bytes; the refused move's object is still here.
    expect(moved.replies[0]).toEqual([1, { bytes: 8 }]);
    expect(Array.from((moved.replies.find(([i]) => i === 4)![1] as { values: Float32Array }).values)).toEqual([5]);
    const atAlice = await execute(host, 'alice', [{ type: 'fetch', id: 2, keep: true }]);
    expect(Array.from((atAlice.replies[0]![1] as { values: Float32Array }).values)).toEqual([7, 8]);
    const nobody = await execute(host, 'carol', [{ type: 'objects' }]);
    expect(nobody.failures.map(([, error]) => error.code)).toEqual(['OBJECT_NOT_FOUND']);
  });

  test('spawnAll registers all or none: a duplicate or malformed id refuses the whole call', async () => {
    const host = createActorHost();
    await host.client.init({ backend: 'wasm', thread: 'lazy-3', waitTimeoutMs: 1_000 });
    const ids = Array.from({ length: 50_000 }, (_, i) => `w${i}`);
    host.client.spawnAll(ids);
    expect(() => host.client.spawn('w49999')).toThrow(/already lives on this thread/);
    expect(() => host.client.spawnAll(['fresh', 'w7'])).toThrow(/already lives on this thread/);
    expect(() => host.client.spawnAll(['a', 'b', 'a'])).toThrow(/named twice/);
    expect(() => host.client.spawnAll(['c', 'y'.repeat(300)])).toThrow(/at most 256 characters/);
    expect(() => host.client.spawnAll('w1' as never)).toThrow(/array of actor ids/);
    // None of the refused calls registered anything.
    for (const id of ['fresh', 'a', 'b', 'c']) expect((await execute(host, id, [{ type: 'objects' }])).failures.map(([, e]) => e.code)).toEqual(['OBJECT_NOT_FOUND']);
    const last = await execute(host, 'w49999', [{ type: 'objects' }]);
    expect(last).toEqual({ failures: [], replies: [[0, []]] });
    // close() removes every actor, made or not.
    host.close();
    expect((await execute(host, 'w0', [{ type: 'objects' }])).failures.map(([, e]) => e.code)).toEqual(['OBJECT_NOT_FOUND']);
    host.client.spawnAll(['w0']);
  });
});
