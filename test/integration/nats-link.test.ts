/**
 * The NATS carrier on its own (src/transport/nats-link.ts): comlink over a
 * dialNats/listenNats link through real nats-server processes (one server
 * with a 256 KB max payload, so frames are chunked, and a 3-node cluster).
 * Refusals, chunked round trips, a dialer and a worker on different nodes, a
 * worker that vanishes, garbage and replays on the link's subjects, and a
 * property: frames of any size come out as they went in.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as Comlink from 'comlink';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConnectionFailedError } from '../../src/core/errors.js';
import { type Gate, type Hello, newSessionId, showsSecret } from '../../src/transport/link.js';
import { dialNats, listenNats, type NatsLink } from '../../src/transport/nats-link.js';
import { type NatsServer, startCluster, startNats } from '../../examples/_nats.js';
import { within } from '../support/runtime.js';

const MAX_PAYLOAD = 256 * 1024;
const HEARTBEAT_MS = 200;
const TOKEN = 'the-worker-token';

let server: NatsServer;
let cluster: NatsServer[];
const connections: NatsConnection[] = [];

async function connectTo(url: string, options: { token?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...options });
  connections.push(nc);
  return nc;
}

const gate =
  (worker: string, maxFrameBytes?: number): Gate =>
  (hello) =>
    showsSecret(hello, TOKEN)
      ? { ok: true, welcome: { worker, session: hello.session, resumed: false, ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }) } }
      : { ok: false, refusal: { code: 'UNAUTHENTICATED', message: 'the token does not match' } };

const hello = (worker: string, token = TOKEN): Hello => ({ v: 1, token, role: 'client', worker, session: newSessionId() });

function makeApi() {
  let calls = 0;
  return {
    add: (a: number, b: number): number => {
      calls++;
      return a + b;
    },
    echo: (values: Float32Array): Float32Array => values,
    zeros: (n: number): Float32Array => new Float32Array(n),
    fail: (): never => {
      throw new Error('boom at the worker');
    },
    calls: (): number => calls,
  };
}
type Api = ReturnType<typeof makeApi>;

/** A worker (once the server has its hello subscription): every link it accepts exposes the api, and is kept for the test to look at. */
async function startWorker(nc: NatsConnection, id: string, options: { maxFrameBytes?: number } = {}) {
  const links: NatsLink[] = [];
  const api = makeApi();
  const listener = listenNats(
    nc,
    id,
    gate(id, options.maxFrameBytes),
    (link) => {
      links.push(link);
      Comlink.expose(api, link.endpoint);
    },
    { heartbeatMs: HEARTBEAT_MS, ...options },
  );
  await listener.ready;
  return { links, api, listener };
}

beforeAll(async () => {
  [server, cluster] = await Promise.all([startNats({ maxPayload: MAX_PAYLOAD }), startCluster(3)]);
});

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
  await Promise.all([server, ...(cluster ?? [])].map((s) => s?.stop()));
});

describe('a link over one nats-server (max_payload 256 KB)', () => {
  test('comlink calls cross it; an error thrown at the worker rejects the call; close() reaches the other side at once', async () => {
    const [workerNc, clientNc] = await Promise.all([connectTo(server.url), connectTo(server.url)]);
    const worker = await startWorker(workerNc, 'bob');
    const { link, welcome } = await dialNats(clientNc, hello('bob'), { heartbeatMs: HEARTBEAT_MS });
    expect(welcome).toMatchObject({ worker: 'bob', resumed: false });
    const remote = Comlink.wrap<Api>(link.endpoint);
    expect(await within(5_000, remote.add(2, 3))).toBe(5);
    expect(await within(5_000, remote.add(-1.5, 0.25))).toBe(-1.25);
    await expect(within(5_000, remote.fail())).rejects.toThrow('boom at the worker');
    expect(worker.api.calls()).toBe(2);
    expect(worker.links).toHaveLength(1);
    const started = Date.now();
    link.close('the test is done');
    expect(await within(2_000, worker.links[0]!.closed)).toBe('the peer closed the link: the test is done');
    expect(Date.now() - started).toBeLessThan(HEARTBEAT_MS); // told, not found out by silence
    expect(await link.closed).toBe('the test is done');
    await worker.listener.close();
  });

  test('a wrong token is refused UNAUTHENTICATED, a hello no worker hears fails CONNECTION_FAILED naming the command to start one', async () => {
    const [workerNc, clientNc] = await Promise.all([connectTo(server.url), connectTo(server.url)]);
    const worker = await startWorker(workerNc, 'carol');
    const refused = await dialNats(clientNc, hello('carol', 'not-the-token')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectionFailedError);
    expect(refused).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((refused as Error).message).toContain('the token does not match');
    expect(worker.links).toHaveLength(0);

    const absent = await dialNats(clientNc, hello('nobody'), { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(absent).toBeInstanceOf(ConnectionFailedError);
    expect(absent).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect((absent as Error).message).toContain(`no worker 'nobody' answers on NATS at ${server.url.replace('nats://', '')}`);
    expect((absent as Error).message).toContain('npx syft-ts worker --id nobody --nats');

    // A hello that is not one (written by hand on the bus) is refused INVALID_ARGUMENT, and the worker goes on.
    const raw = await clientNc.request(`syft.worker.${Buffer.from('carol').toString('base64url')}.hello`, new TextEncoder().encode('{"v":1,'), { timeout: 2_000 });
    expect(JSON.parse(new TextDecoder().decode(raw.data))).toMatchObject({ ok: false, refusal: { code: 'INVALID_ARGUMENT' } });
    const stolen = await clientNc.request(
      `syft.worker.${Buffer.from('carol').toString('base64url')}.hello`,
      new TextEncoder().encode(JSON.stringify({ ...hello('carol'), nonce: newSessionId(), key: 'A'.repeat(43) })),
      { timeout: 2_000 },
    );
    expect(JSON.parse(new TextDecoder().decode(stolen.data))).toMatchObject({ ok: false, refusal: { code: 'INVALID_ARGUMENT' } });
    const { link } = await dialNats(clientNc, hello('carol'), { heartbeatMs: HEARTBEAT_MS });
    expect(await within(5_000, Comlink.wrap<Api>(link.endpoint).add(1, 1))).toBe(2);
    link.close('done');
    await worker.listener.close();
  });

  test('a 5 MB Float32Array goes out and back in 256 KB chunks, byte for byte', async () => {
    const [workerNc, clientNc] = await Promise.all([connectTo(server.url), connectTo(server.url)]);
    expect(clientNc.info?.max_payload).toBe(MAX_PAYLOAD);
    const worker = await startWorker(workerNc, 'dave');
    const { link } = await dialNats(clientNc, hello('dave'), { heartbeatMs: HEARTBEAT_MS });
    const values = Float32Array.from({ length: (5 * 2 ** 20) / 4 }, (_, i) => Math.sin(i) * 1e6 + i);
    values[7] = Number.NaN;
    values[8] = -0;
    const before = clientNc.stats();
    const back = await within(5_000, Comlink.wrap<Api>(link.endpoint).echo(values));
    const after = clientNc.stats();
    expect(back).toBeInstanceOf(Float32Array);
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
    // Each way at least 5 MB / 256 KB = 20 messages, none above the server's limit.
    expect(after.outMsgs - before.outMsgs).toBeGreaterThanOrEqual(21);
    expect(after.inMsgs - before.inMsgs).toBeGreaterThanOrEqual(21);
    expect(after.outBytes - before.outBytes).toBeGreaterThan(5 * 2 ** 20);
    expect(link.dropped).toBe(0);
    expect(worker.links[0]!.dropped).toBe(0);
    link.close('done');
    await worker.listener.close();
  });

  test('frame limits: a frame above the worker\'s limit is refused before it leaves; one above the receiver\'s cap closes the link with the reason', async () => {
    const [workerNc, clientNc] = await Promise.all([connectTo(server.url), connectTo(server.url)]);
    const worker = await startWorker(workerNc, 'erin', { maxFrameBytes: 2 ** 20 });
    const { link } = await dialNats(clientNc, hello('erin'), { heartbeatMs: HEARTBEAT_MS });
    const remote = Comlink.wrap<Api>(link.endpoint);
    await expect(within(5_000, remote.echo(new Float32Array(2 ** 19)))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await within(5_000, remote.add(1, 2))).toBe(3); // the link stayed up
    link.close('done');
    await worker.listener.close();

    // The receiver's own cap: the dialer takes at most 1 MB, a worker of the default limit answers with 1.5 MB.
    const roomy = await startWorker(workerNc, 'erin-roomy');
    const small = await dialNats(clientNc, hello('erin-roomy'), { heartbeatMs: HEARTBEAT_MS, maxFrameBytes: 2 ** 20 });
    void Comlink.wrap<Api>(small.link.endpoint).zeros(1.5 * 2 ** 18).catch(() => undefined);
    expect(await within(5_000, small.link.closed)).toBe(`a frame above the link's limit of ${2 ** 20} bytes`);
    expect(await within(5_000, roomy.links[0]!.closed)).toMatch(/^the peer closed the link: a frame above/);
    await roomy.listener.close();
  });

  test('garbage, forged and replayed messages on the link\'s subjects are dropped and counted; the link goes on', async () => {
    const [workerNc, clientNc, spyNc] = await Promise.all([connectTo(server.url), connectTo(server.url), connectTo(server.url)]);
    // Whoever may read the bus sees the link's subjects and every message on them.
    const seen: { subject: string; data: Uint8Array }[] = [];
    const spy = spyNc.subscribe('syft.link.>', { callback: (_e, msg) => void seen.push({ subject: msg.subject, data: msg.data.slice() }) });
    await spyNc.flush();
    const worker = await startWorker(workerNc, 'frank');
    const { link } = await dialNats(clientNc, hello('frank'), { heartbeatMs: HEARTBEAT_MS });
    const remote = Comlink.wrap<Api>(link.endpoint);
    expect(await within(5_000, remote.add(20, 22))).toBe(42);
    await spyNc.flush();
    const up = seen.find((m) => m.subject.endsWith('.up'))!;
    const down = up.subject.replace(/\.up$/, '.down');
    const upMessages = seen.filter((m) => m.subject === up.subject && m.data[0] === 0); // the call's chunk(s)

    const garbage: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([2]),
      new Uint8Array(37), // a header of zeros: kind chunk, message 0, a zero tag
      Uint8Array.from({ length: 200 }, (_, i) => (i * 131 + 7) % 256),
      (() => {
        const close = new Uint8Array(60); // a close, with a made-up tag
        close[0] = 2;
        close[8] = 9;
        return close;
      })(),
      (() => {
        const flipped = upMessages[0]!.data.slice(); // a genuine message, one body bit changed
        flipped[flipped.length - 1]! ^= 1;
        return flipped;
      })(),
    ];
    for (const g of garbage) {
      spyNc.publish(up.subject, g);
      spyNc.publish(down, g);
    }
    for (const m of upMessages) spyNc.publish(up.subject, m.data); // a replay of the call: add(20, 22) once more?
    await spyNc.flush();
    await within(5_000, remote.add(0, 0)); // a round trip: everything published before has arrived
    expect(worker.links[0]!.dropped).toBe(garbage.length + upMessages.length);
    expect(link.dropped).toBe(garbage.length);
    expect(worker.api.calls()).toBe(2); // the replayed call never ran
    expect(await within(5_000, remote.add(1, 2))).toBe(3);
    // Longer than three heartbeats: garbage kept no one alive, and nothing closed the link.
    await new Promise((resolve) => setTimeout(resolve, 4 * HEARTBEAT_MS));
    expect(await within(5_000, remote.add(2, 2))).toBe(4);
    spy.unsubscribe();
    link.close('done');
    await worker.listener.close();
  });

  test('property: frames of random sizes (0 to 3x max payload) come through chunking and reassembly unchanged', async () => {
    const [workerNc, clientNc] = await Promise.all([connectTo(server.url), connectTo(server.url)]);
    const links: NatsLink[] = [];
    const listener = listenNats(workerNc, 'grace', gate('grace'), (l) => links.push(l), { heartbeatMs: HEARTBEAT_MS });
    await listener.ready;
    const { link } = await dialNats(clientNc, hello('grace'), { heartbeatMs: HEARTBEAT_MS });
    const arrived: unknown[] = [];
    let wake: (() => void) | undefined;
    links[0]!.endpoint.addEventListener('message', (event: Event) => {
      arrived.push((event as MessageEvent).data);
      wake?.();
    });
    const next = async (): Promise<unknown> => {
      while (arrived.length === 0) await within(5_000, new Promise<void>((resolve) => (wake = resolve)));
      return arrived.shift();
    };
    const size = fc.oneof(
      fc.integer({ min: 0, max: 3 * MAX_PAYLOAD }),
      fc.constantFrom(0, 1, MAX_PAYLOAD - 37 - 64, MAX_PAYLOAD - 64, MAX_PAYLOAD, 2 * MAX_PAYLOAD + 5),
    );
    await fc.assert(
      fc.asyncProperty(size, fc.integer({ min: 0, max: 255 }), async (n, seed) => {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
        link.endpoint.postMessage({ bytes, n });
        const got = (await next()) as { bytes: Uint8Array; n: number };
        expect(got.n).toBe(n);
        expect(got.bytes).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 40 },
    );
    expect(links[0]!.dropped).toBe(0);
    link.close('done');
    await listener.close();
  });

  test('a NATS server token is enforced by the harness server', async () => {
    const guarded = await startNats({ token: 's3cret-nats-token' });
    try {
      await expect(connect({ servers: guarded.url, reconnect: false })).rejects.toThrow(/authorization/i);
      const nc = await connectTo(guarded.url, { token: 's3cret-nats-token' });
      expect(nc.getServer()).toBe(guarded.url.replace('nats://', ''));
      await nc.close();
    } finally {
      await guarded.stop();
    }
  });
});

test('without the nats-server binary the harness fails, saying how to get it', async () => {
  const before = process.env['NATS_SERVER'];
  process.env['NATS_SERVER'] = '/nonexistent/nats-server';
  try {
    const error = await startNats().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('looked for /nonexistent/nats-server');
    expect((error as Error).message).toContain('apt-get install nats-server');
    expect((error as Error).message).toContain('https://github.com/nats-io/nats-server/releases');
  } finally {
    if (before === undefined) delete process.env['NATS_SERVER'];
    else process.env['NATS_SERVER'] = before;
  }
});

describe('a link across a 3-node cluster', () => {
  test('a dialer on node 1 reaches a worker on node 3; when the worker\'s NATS connection goes, the dialer\'s link closes within ~3 heartbeats', async () => {
    const workerNc = await connectTo(cluster[2]!.url);
    const clientNc = await connectTo(cluster[0]!.url);
    expect(clientNc.getServer()).not.toBe(workerNc.getServer());
    const worker = await startWorker(workerNc, 'heidi');
    const { link } = await dialNats(clientNc, hello('heidi'), { heartbeatMs: HEARTBEAT_MS });
    const remote = Comlink.wrap<Api>(link.endpoint);
    expect(await within(5_000, remote.add(40, 2))).toBe(42);
    const values = Float32Array.from({ length: 400_000 }, (_, i) => i / 7); // 1.6 MB: chunks of the default 1 MB payload, across the routes
    const back = await within(5_000, remote.echo(values));
    expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(values.buffer))).toBe(true);

    const gone = Date.now();
    await workerNc.close();
    expect(await within(5_000, worker.links[0]!.closed)).toMatch(/^the NATS connection closed/);
    const reason = await within(5_000, link.closed);
    const took = Date.now() - gone;
    expect(reason).toMatch(/^the peer fell silent for \d+ ms$/);
    expect(took).toBeGreaterThanOrEqual(2 * HEARTBEAT_MS); // the last heartbeat heard may be up to half an interval old
    expect(took).toBeLessThan(3.5 * HEARTBEAT_MS + 500);
  });
});
