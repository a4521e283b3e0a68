/**
 * Security at a worker's boundary (issue 16, item 4), with the `ws` package
 * as the adversary: a peer that has not shown the token is turned away at the
 * HTTP upgrade and never gets a frame read; an authenticated peer's text
 * frames, random bytes, mutated frames, unknown commands, ops and entry points
 * are each answered with a coded error, and the worker and its store are
 * unharmed; a frame over the worker's --max-frame-mb closes the link (1009)
 * and harms nothing, and a client refuses to send one in the first place.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as sy from '../../src/index.js';
import { decode, encode } from '../../src/transport/codec.js';
import { alive, rejection, within } from '../support/runtime.js';

/** The hello header exactly as src/transport/ws-link.ts builds it: base64url(JSON). */
const helloHeader = (hello: unknown): string => Buffer.from(JSON.stringify(hello), 'utf8').toString('base64url');
const clientHello = (worker: string, token: string, session: string) => ({ v: 1, token, role: 'client', worker, session });
const newSession = () => `raw-${randomUUID().replaceAll('-', '')}`;

interface Refused {
  readonly status: number | undefined;
  readonly error: string | undefined;
  readonly opened: boolean;
  readonly frames: number;
}

/** A WebSocket upgrade the worker should refuse: its status, x-syft-error, and that the socket closed without a frame. */
function refusedUpgrade(url: string, headers: Record<string, string>): Promise<Refused> {
  return within(
    5_000,
    new Promise<Refused>((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      let opened = false;
      let frames = 0;
      ws.on('open', () => (opened = true));
      ws.on('message', () => frames++);
      ws.on('error', reject);
      ws.once('unexpected-response', (_request, response) => {
        const status = response.statusCode;
        const error = response.headers['x-syft-error'] as string | undefined;
        response.resume();
        // The worker ends the socket after its answer: wait for that, never for a frame.
        response.socket.once('close', () => setTimeout(() => resolve({ status, error, opened, frames }), 50));
      });
    }),
    'a refused upgrade',
  );
}

type Reply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly name: string; readonly message: string };

/** An authenticated client speaking the wire by hand: codec frames carrying comlink messages. */
class RawClient {
  readonly frames: unknown[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters = new Set<() => void>();
  #next = 0;

  private constructor(
    readonly ws: WebSocket,
    readonly welcome: Record<string, unknown>,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(true); // the worker speaks binary frames only
      this.frames.push(decode(data));
      for (const wake of this.#waiters) wake();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  }

  static open(url: string, hello: unknown): Promise<RawClient> {
    return within(
      5_000,
      new Promise<RawClient>((resolve, reject) => {
        const ws = new WebSocket(url, { headers: { 'x-syft-hello': helloHeader(hello) }, perMessageDeflate: false, maxPayload: 2 ** 30 });
        let welcome: Record<string, unknown> = {};
        ws.once('upgrade', (response) => {
          welcome = JSON.parse(Buffer.from(String(response.headers['x-syft-welcome']), 'base64url').toString('utf8')) as Record<string, unknown>;
        });
        ws.once('unexpected-response', (_q, response) => reject(new Error(`refused: HTTP ${response.statusCode} ${String(response.headers['x-syft-error'])}`)));
        ws.once('error', reject);
        ws.once('open', () => resolve(new RawClient(ws, welcome)));
      }),
      'a raw client connecting',
    );
  }

  send(frame: Uint8Array | ArrayBuffer | string): void {
    this.ws.send(typeof frame === 'string' ? frame : new Uint8Array(frame), { binary: typeof frame !== 'string' });
  }

  /** The first frame from index `from` on that satisfies `match`. */
  waitFor(match: (frame: unknown) => boolean, from: number, ms = 3_000): Promise<unknown> {
    return within(
      ms,
      new Promise<unknown>((resolve) => {
        const look = (): void => {
          const found = this.frames.slice(from).find(match);
          if (found === undefined) return;
          this.#waiters.delete(look);
          resolve(found);
        };
        this.#waiters.add(look);
        look();
      }),
      'a reply from the worker',
    );
  }

  /** Sends one comlink message (its id added) and resolves with the worker's answer to it. */
  async request(message: Record<string, unknown>, ms = 5_000): Promise<Reply> {
    const id = `raw-${++this.#next}`;
    const from = this.frames.length;
    this.send(encode({ ...message, id }));
    const reply = (await this.waitFor((f) => (f as { id?: unknown }).id === id, from, ms)) as Record<string, unknown>;
    if (reply['type'] === 'RAW') return { ok: true, value: reply['value'] };
    expect(reply).toMatchObject({ type: 'HANDLER', name: 'throw', value: { isError: true } });
    const error = (reply['value'] as { value: { name: string; message: string } }).value;
    return { ok: false, name: error.name, message: error.message };
  }

  /** A call of an entry point, as comlink's wrap() sends it. */
  call(path: readonly string[], args: readonly unknown[]): Promise<Reply> {
    return this.request({ type: 'APPLY', path, argumentList: args.map((value) => ({ type: 'RAW', value })) });
  }

  close(): void {
    this.ws.close();
  }
}

const ok = (reply: Reply): unknown => {
  if (!reply.ok) throw new Error(`the worker threw ${reply.name}: ${reply.message}`);
  return reply.value;
};

/** Opens a session the way a client's HostConnection does: init, then spawn the actor. */
async function startSession(client: RawClient, worker: string): Promise<void> {
  expect(ok(await client.call(['init'], [{ backend: 'cpu', thread: `raw-${worker}`, waitTimeoutMs: 5_000 }]))).toBe('cpu');
  ok(await client.call(['spawn'], [worker]));
}

type Result = { failures: [number, { name: string; message: string; code?: string }, string][]; replies: [number, unknown][] };

async function execute(client: RawClient, actor: string, commands: readonly Record<string, unknown>[]): Promise<Result> {
  const value = ok(await client.call(['execute'], [[{ actor, commands }]])) as Result[];
  expect(value).toHaveLength(1);
  return value[0]!;
}

const STORED = 4_242;
const STORED_VALUES = [1.5, -2, 3.25, 1e-7, 65_504];

async function storeTensor(client: RawClient, actor: string): Promise<void> {
  const result = await execute(client, actor, [{ type: 'store', id: STORED, tensor: { dtype: 'float32', shape: [5], values: new Float32Array(STORED_VALUES) } }]);
  expect(result).toEqual({ failures: [], replies: [] });
}

/** The stored tensor's exact values, read without taking it from the store. */
async function storedValues(client: RawClient, actor: string): Promise<number[]> {
  const result = await execute(client, actor, [{ type: 'fetch', id: STORED, keep: true }]);
  expect(result.failures).toEqual([]);
  const fetched = result.replies[0]![1] as { dtype: string; shape: number[]; values: Float32Array };
  expect([fetched.dtype, fetched.shape]).toEqual(['float32', [5]]);
  return Array.from(fetched.values);
}

/** A legit op on the stored tensor, read back: the worker still computes. */
async function addOne(client: RawClient, actor: string, out: number): Promise<number[]> {
  const result = await execute(client, actor, [
    { type: 'op', op: 'add', args: [STORED, { value: 1 }], out: [out] },
    { type: 'fetch', id: out, keep: false },
  ]);
  expect(result.failures).toEqual([]);
  return Array.from((result.replies[0]![1] as { values: Float32Array }).values);
}

const EXPECTED = Array.from(new Float32Array(STORED_VALUES));
const EXPECTED_PLUS_ONE = Array.from(new Float32Array(STORED_VALUES.map((v) => Math.fround(v) + 1)));

let frank: sy.WorkerProcess;
let gina: sy.WorkerProcess;
/** frank's one client: this file's raw client, holding the session that stores STORED. */
let owner: RawClient;
const ownerSession = newSession();

beforeAll(async () => {
  [frank, gina] = await Promise.all([sy.spawnWorker('frank', { graceMs: 10_000 }), sy.spawnWorker('gina', { graceMs: 10_000, maxFrameMb: 1 })]);
  owner = await RawClient.open(frank.url!, clientHello('frank', frank.token, ownerSession));
  expect(owner.welcome).toMatchObject({ worker: 'frank', session: ownerSession, resumed: false, maxFrameBytes: 256 * 2 ** 20 });
  await startSession(owner, 'frank');
  await storeTensor(owner, 'frank');
});

afterAll(async () => {
  owner?.close();
  await Promise.all([frank?.stop(), gina?.stop()]);
});

describe('a peer that has not shown the token', () => {
  const cases = [
    { name: 'no hello at all', headers: (): Record<string, string> => ({}), status: 400, code: 'INVALID_ARGUMENT' },
    { name: 'a hello that is not base64url JSON', headers: () => ({ 'x-syft-hello': '%%%not a hello%%%' }), status: 400, code: 'INVALID_ARGUMENT' },
    { name: 'a hello of an unknown version', headers: () => ({ 'x-syft-hello': helloHeader({ ...clientHello('frank', frank.token, newSession()), v: 2 }) }), status: 400, code: 'INVALID_ARGUMENT' },
    { name: 'a hello with a session id that is not one', headers: () => ({ 'x-syft-hello': helloHeader(clientHello('frank', frank.token, '../../etc')) }), status: 400, code: 'INVALID_ARGUMENT' },
    { name: 'the wrong token', headers: () => ({ 'x-syft-hello': helloHeader(clientHello('frank', `${frank.token}x`, newSession())) }), status: 401, code: 'UNAUTHENTICATED' },
    { name: "the right token, resuming the owner's session", headers: () => ({ 'x-syft-hello': helloHeader(clientHello('frank', 'guess', ownerSession)) }), status: 401, code: 'UNAUTHENTICATED' },
    {
      name: 'a peer with a made-up ticket for the live session',
      headers: () => ({ 'x-syft-hello': helloHeader({ v: 1, token: 'made-up', role: 'peer', worker: 'frank', session: ownerSession, from: 'mallory' }) }),
      status: 401,
      code: 'UNAUTHENTICATED',
    },
  ];
  test.each(cases)('$name: HTTP $status, x-syft-error $code, the socket closed, no frame read or sent', async ({ headers, status, code }) => {
    const refused = await refusedUpgrade(frank.url!, headers());
    expect({ status: refused.status, code: refused.error?.split(': ')[0], opened: refused.opened, frames: refused.frames }).toEqual({ status, code, opened: false, frames: 0 });
    expect(refused.error!.length).toBeGreaterThan(code.length + 2); // the code, then what was wrong
  });

  test('the right token while the session is live: HTTP 409 WORKER_BUSY', async () => {
    const refused = await refusedUpgrade(frank.url!, { 'x-syft-hello': helloHeader(clientHello('frank', frank.token, newSession())) });
    expect([refused.status, refused.error?.split(': ')[0], refused.opened]).toEqual([409, 'WORKER_BUSY', false]);
  });

  test('frames pipelined behind a refused upgrade are never read: the answer is the 401 and the socket ends', async () => {
    const { port } = new URL(frank.url!);
    // A masked binary frame (RFC 6455) carrying a real request, sent right behind the upgrade request.
    const payload = Buffer.from(encode({ id: 'sneak', type: 'APPLY', path: ['execute'], argumentList: [{ type: 'RAW', value: [{ actor: 'frank', commands: [{ type: 'clear' }] }] }] }));
    const mask = Buffer.from([1, 2, 3, 4]);
    const header = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const frame = Buffer.concat([header, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
    const request =
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      `x-syft-hello: ${helloHeader(clientHello('frank', 'wrong', newSession()))}\r\n\r\n`;
    const answer = await within(
      5_000,
      new Promise<string>((resolve, reject) => {
        const socket = netConnect(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(request), frame, frame])));
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      }),
      'the refused raw upgrade',
    );
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(head).toMatch(/\r\nx-syft-error: UNAUTHENTICATED: wrong token/);
    expect(body).toBe(''); // no 101, no frame: the socket ended after the refusal
    expect(await storedValues(owner, 'frank')).toEqual(EXPECTED); // and the clear it carried never ran
  });

  test("after every refusal the owner's link is up and its store intact", async () => {
    expect(owner.ws.readyState).toBe(WebSocket.OPEN);
    expect(await storedValues(owner, 'frank')).toEqual(EXPECTED);
    expect(await addOne(owner, 'frank', 5_001)).toEqual(EXPECTED_PLUS_ONE);
    expect(frank.log.join('')).toMatch(/refused a client: UNAUTHENTICATED/);
    expect(alive(frank.pid)).toBe(true);
  });
});

describe('an authenticated peer sending what is not a request', () => {
  const frameError = (f: unknown): f is { syftFrameError: { code: string; message: string } } => typeof f === 'object' && f !== null && 'syftFrameError' in f;

  async function expectFrameError(frame: Uint8Array | ArrayBuffer | string, message: RegExp): Promise<void> {
    const from = owner.frames.length;
    owner.send(frame);
    const answer = await owner.waitFor(frameError, from);
    expect(answer).toMatchObject({ syftFrameError: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) } });
  }

  test('a text frame, random bytes, a truncated and an extended frame: each answered with a coded syftFrameError', async () => {
    const valid = new Uint8Array(encode({ id: 'x', type: 'APPLY', path: ['execute'], argumentList: [{ type: 'RAW', value: [] }] }));
    await expectFrameError('{"id":"x","type":"APPLY","path":["execute"]}', /binary frames only/);
    await expectFrameError(new Uint8Array([0xff, 0x00, 0x13, 0x37]), /./);
    await expectFrameError(valid.slice(0, valid.length - 3), /./);
    await expectFrameError(new Uint8Array([...valid, 0]), /./);
    await expectFrameError(new Uint8Array(0), /./);
    expect(owner.ws.readyState).toBe(WebSocket.OPEN);
    expect(await storedValues(owner, 'frank')).toEqual(EXPECTED);
  });

  test('an unknown command and an unknown op: coded failures of their batch; the commands around them run', async () => {
    const result = await execute(owner, 'frank', [
      { type: 'bogus', id: STORED },
      { type: 'op', op: 'evalJs', args: [STORED], out: [5_002] },
      { type: 'op', op: 'constructor', args: [STORED], out: [5_003] },
      { type: 'op', op: 'add', args: [STORED, { value: 1 }], out: [5_004] },
      { type: 'fetch', id: 5_004, keep: false },
    ]);
    expect(result.failures.map(([index, error]) => [index, error.code])).toEqual([
      [0, 'MALFORMED_COMMAND'],
      [1, 'UNKNOWN_OP'],
      [2, 'UNKNOWN_OP'],
    ]);
    expect(result.failures[0]![1].message).toMatch(/unknown command type 'bogus'/);
    expect(result.failures[1]![1].message).toMatch(/Unknown op 'evalJs': workers run only registered ops/);
    expect(result.replies.map(([index, reply]) => [index, Array.from((reply as { values: Float32Array }).values)])).toEqual([[4, EXPECTED_PLUS_ONE]]);
    expect(await storedValues(owner, 'frank')).toEqual(EXPECTED);
  });

  test('entry points that do not exist, what lies behind the ones that do, and every message but a call: coded MALFORMED_COMMAND answers', async () => {
    const refused: Reply[] = [
      await owner.call(['nope'], []),
      await owner.call(['execute', 'constructor'], ['return process']),
      await owner.call(['__proto__'], []),
      await owner.call(['init', 'apply', 'apply', 'constructor'], []),
      await owner.call([], []),
      await owner.request({ type: 'GET', path: ['execute', 'name'] }),
      await owner.request({ type: 'GET', path: [] }),
      await owner.request({ type: 'CONSTRUCT', path: ['execute'], argumentList: [] }),
      await owner.request({ type: 'SET', path: ['execute'], value: { type: 'RAW', value: 1 } }),
      await owner.request({ type: 'ENDPOINT', path: [] }),
      await owner.request({ type: 'RELEASE', path: [] }),
      await owner.request({ type: 'WHAT', path: ['execute'] }),
      // comlink's expose() maps argumentList before its own try: these once threw out of the link's handler and ended the worker.
      await owner.request({ type: 'APPLY', path: ['execute'], argumentList: 5 }),
      await owner.request({ type: 'APPLY', path: ['execute'], argumentList: [{ type: 'HANDLER', name: 'nope', value: 1 }] }),
      await owner.request({ type: 'APPLY', path: ['spawn'], argumentList: [{ type: 'HANDLER', name: 'proxy', value: {} }] }),
    ];
    for (const reply of refused) expect(reply).toMatchObject({ ok: false, name: 'MalformedCommandError', message: expect.stringMatching(/^malformed call: /) });
    // A message with no id to answer by: a frame error instead.
    const from = owner.frames.length;
    owner.send(encode({ type: 'APPLY', path: ['execute'], argumentList: [] }));
    expect(await owner.waitFor(frameError, from)).toMatchObject({ syftFrameError: { code: 'MALFORMED_COMMAND' } });
    // execute with something other than batches: a coded malformed-command error, nothing run.
    expect(await owner.call(['execute'], ['clear'])).toMatchObject({ ok: false, name: 'MalformedCommandError' });
    // RELEASE above did not detach the entry points: the link still serves calls.
    expect(await storedValues(owner, 'frank')).toEqual(EXPECTED);
    expect(await addOne(owner, 'frank', 5_005)).toEqual(EXPECTED_PLUS_ONE);
  });

  test('fuzz: random bytes and mutated real requests are each answered, by a frame error or by id; the worker keeps serving (fast-check)', async () => {
    const bases = [
      { id: 'fuzz', type: 'APPLY', path: ['execute'], argumentList: [{ type: 'RAW', value: [{ actor: 'frank', commands: [{ type: 'objects' }] }] }] },
      { id: 'fuzz', type: 'APPLY', path: ['execute'], argumentList: [{ type: 'RAW', value: [{ actor: 'frank', commands: [{ type: 'op', op: 'mul', args: [STORED, { value: 2 }], out: [90_001] }, { type: 'delete', ids: [90_001] }] }] }] },
      { id: 'fuzz', type: 'APPLY', path: ['spawn'], argumentList: [{ type: 'RAW', value: 'fuzzed' }] },
    ].map((m) => new Uint8Array(encode(m)));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
    );
    type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
    const mutate = (frame: Uint8Array, steps: readonly Mutation[]): Uint8Array => {
      let bytes = frame.slice();
      for (const step of steps) {
        const at = 'at' in step ? step.at % Math.max(bytes.length, 1) : 0;
        if (step.kind === 'flip' && bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << step.bit);
        else if (step.kind === 'set' && bytes.length > 0) bytes[at] = step.byte;
        else if (step.kind === 'truncate') bytes = bytes.slice(0, at);
        else if (step.kind === 'extend') bytes = new Uint8Array([...bytes, ...step.bytes]);
        else if (step.kind === 'cut') bytes = new Uint8Array([...bytes.slice(0, at), ...bytes.slice(at + step.n)]);
      }
      return bytes;
    };
    // Messages that decode but are not the calls a client sends: odd ids, types, paths and argument lists.
    // (Not endSession or init, which would end or re-point the owner's session: legit calls, not malformed ones.)
    const wireValue = fc.oneof(fc.record({ type: fc.constantFrom('RAW', 'HANDLER', 'NOPE'), name: fc.constantFrom('proxy', 'throw', 'x'), value: fc.jsonValue() }), fc.jsonValue());
    const odd = fc
      .record(
        {
          id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(undefined), fc.string({ minLength: 257, maxLength: 300 })),
          type: fc.constantFrom('APPLY', 'GET', 'SET', 'CONSTRUCT', 'ENDPOINT', 'RELEASE', 'apply', ''),
          path: fc.oneof(fc.array(fc.constantFrom('execute', 'spawn', 'connectPeer', 'constructor', '__proto__', 'prototype', 'apply', 'call', 'bind', 'x'), { maxLength: 3 }), fc.jsonValue()),
          argumentList: fc.oneof(fc.array(wireValue, { maxLength: 3 }), fc.jsonValue()),
          value: wireValue,
        },
        { requiredKeys: ['type'] },
      )
      .map((message) => {
        try {
          return new Uint8Array(encode(message));
        } catch {
          return new Uint8Array(encode({ ...message, path: 'unencodable', argumentList: 'unencodable', value: 'unencodable' })); // a lone surrogate, a '__proto__' key
        }
      });
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      fc.tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([frame, steps]) => mutate(frame, steps)),
      odd,
    );
    const answered = { frameError: 0, byId: 0 };
    await fc.assert(
      fc.asyncProperty(frames, async (bytes) => {
        let undecodable: string | undefined;
        let decoded: unknown;
        try {
          decoded = decode(bytes);
        } catch (error) {
          undecodable = (error as sy.SyftError).code;
        }
        const from = owner.frames.length;
        owner.send(bytes);
        if (undecodable !== undefined) {
          // The same verdict as the codec's here: an undecodable frame is answered, with the decoder's code.
          expect(await owner.waitFor(frameError, from)).toMatchObject({ syftFrameError: { code: undecodable } });
          answered.frameError++;
        } else {
          // A frame that decodes is answered too: by its id when it has one (the call's result or a coded
          // refusal), else with a frame error.
          const id = (decoded as { id?: unknown } | null | undefined)?.id;
          if (typeof id === 'string') {
            await owner.waitFor((f) => (f as { id?: unknown }).id === id, from);
            answered.byId++;
          } else {
            expect(await owner.waitFor(frameError, from)).toMatchObject({ syftFrameError: { code: 'MALFORMED_COMMAND' } });
            answered.frameError++;
          }
        }
        // Whatever it was, the next real request on the same link is served.
        const objects = (await execute(owner, 'frank', [{ type: 'objects' }])).replies[0]![1] as { id: number }[];
        expect(objects.map((o) => o.id)).toContain(STORED);
      }),
      // No shrinking: each failing run waits out its timeouts; the counterexample is reported as found.
      { numRuns: 200, endOnFailure: true },
    );
    // Both kinds came up: the property did not only ever test the decoder.
    expect(answered.frameError).toBeGreaterThan(50);
    expect(answered.byId).toBeGreaterThan(20);
    expect(alive(frank.pid)).toBe(true);
    expect(owner.ws.readyState).toBe(WebSocket.OPEN);
    expect(await storedValues(owner, 'frank')).toEqual(EXPECTED);
    // and through a new connection too: the owner's session resumed on a second link.
    const again = await RawClient.open(frank.url!, clientHello('frank', frank.token, ownerSession));
    try {
      expect(again.welcome).toMatchObject({ session: ownerSession, resumed: true });
      expect(await storedValues(again, 'frank')).toEqual(EXPECTED);
      expect(await addOne(again, 'frank', 5_006)).toEqual(EXPECTED_PLUS_ONE);
    } finally {
      again.close();
    }
  });
});

describe('an oversized frame (worker started with --max-frame-mb 1)', () => {
  const session = newSession();

  test('a raw 2 MB frame closes the link with 1009; the worker lives and the session resumes with its store', async () => {
    const client = await RawClient.open(gina.url!, clientHello('gina', gina.token, session));
    expect(client.welcome).toMatchObject({ maxFrameBytes: 2 ** 20, resumed: false });
    await startSession(client, 'gina');
    await storeTensor(client, 'gina');
    const frames = client.frames.length;
    client.send(new Uint8Array(2 * 2 ** 20).fill(7));
    const closed = await within(5_000, client.closed, 'the close of the oversized link');
    expect(closed.code).toBe(1009);
    expect(client.frames.length).toBe(frames); // closed, not answered: the frame was never read whole
    expect(alive(gina.pid)).toBe(true);
    const again = await RawClient.open(gina.url!, clientHello('gina', gina.token, session));
    try {
      expect(again.welcome).toMatchObject({ session, resumed: true });
      expect(await storedValues(again, 'gina')).toEqual(EXPECTED);
      expect(await addOne(again, 'gina', 6_001)).toEqual(EXPECTED_PLUS_ONE);
      // endSession closes the session's links at once, its answer too: the close is the answer. Frees gina for the hook below.
      again.send(encode({ id: 'end', type: 'APPLY', path: ['endSession'], argumentList: [] }));
      expect((await within(3_000, again.closed, 'the close after endSession')).code).toBe(1000);
    } finally {
      again.close();
    }
  });

  test('hook.connect: a 2 MB tensor is refused with INVALID_ARGUMENT before it is sent; the link stays up and later ops work', async () => {
    const hook = await sy.hook(tf);
    try {
      const worker = await within(10_000, hook.connect(gina.url!, { id: 'gina', token: gina.token }));
      const small = sy.tensor([1, 2, 3]).send(worker);
      expect(Array.from((await within(5_000, small.add(1).get())).dataSync())).toEqual([2, 3, 4]);
      const kept = sy.tensor([5, 6]).send(worker);
      await within(5_000, hook.settle());
      const logBefore = gina.log.join('').length;
      const big = sy.tensor(new Float32Array(2 ** 19 + 16).fill(1)).send(worker); // 2 MB and a bit
      const refused = await within(5_000, rejection(big.get()));
      expect(refused.code).toBe('INVALID_ARGUMENT');
      expect(refused.message).toMatch(/frame limit/);
      // The link never dropped: gina logged no drop, and what she held is still hers.
      expect(gina.log.join('').slice(logBefore)).not.toMatch(/dropped/);
      expect(Array.from((await within(5_000, kept.get())).dataSync())).toEqual([5, 6]);
      expect(Array.from((await within(5_000, small.mul(2).get())).dataSync())).toEqual([2, 4, 6]);
      expect([...(await within(5_000, worker.objects())).values()].every((o) => o.kind !== 'tensor' || o.shape[0] !== 2 ** 19 + 16)).toBe(true);
    } finally {
      await within(10_000, hook.shutdown());
    }
  });
});
