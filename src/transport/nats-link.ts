/**
 * Links over NATS: a worker listens on `syft.worker.<id>.hello`; a dialer
 * sends its hello there as a request, and each accepted link then has two
 * subjects of its own, `syft.link.<link>.up` (dialer to worker) and `.down`.
 *
 * NATS is a bus: any client of the server may read a subject, and publish on
 * it. So a hello over NATS never carries the token itself, only HMAC(token,
 * link id), and a link id is accepted once. The hello and its answer also
 * carry ephemeral X25519 keys; every message of the link is then sealed with
 * a key of that exchange (a GMAC tag: AES-256-GCM over no plaintext, the
 * message as associated data), and a message that is not sealed with it, or
 * was seen before, is dropped and counted. The link id is a hash of the
 * dialer's key, so the proof of the token vouches for that key: whoever else
 * reads the hello can neither take over the link nor write into it, and
 * garbage on a link subject leaves the link as it was. The frames are not
 * encrypted: who may read them is up to the server's accounts and
 * permissions, and TLS to the server. (The dialer does not authenticate the
 * worker: a client that may answer on the hello subject can pose as it.)
 *
 * A frame above the server's max payload is sent in chunks, which NATS keeps
 * in order (one publisher, one subject) and the receiver reassembles. NATS has
 * no connection between two clients, so each side sends a heartbeat when it
 * has sent nothing for a while, and a side silent for three intervals is gone.
 *
 * NATS delivers at most once: a message published while the other side's
 * connection is re-establishing itself (a server restarted) is lost. Every
 * message is numbered, so a receiver learns of a lost one with the next
 * message it gets (a heartbeat at the latest) and closes the link: what
 * waited on it rejects (WORKER_DISCONNECTED), and the client redials and
 * resumes the session. Nothing waits for a frame that will never come.
 *
 * The NATS connection itself keeps the process alive (its socket, and its
 * ping timer): `unref()` here releases only the link's own timer. The NATS
 * client has no public way to unref its socket; whoever owns the connection
 * closes it (`nc.close()`) when done.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { createCipheriv, createDecipheriv, createPublicKey, createSecretKey, createHash, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { ConnectionFailedError } from '../core/errors.js';
import { decode, encode } from './codec.js';
import { type Answer, type Gate, type Hello, type MessageLink, frameEndpoint, parseHello, proveToken, type Welcome } from './link.js';

export interface NatsLinkOptions {
  /** How often an idle side says it is alive (ms); three intervals of silence close the link. Default 1000. */
  readonly heartbeatMs?: number;
  /** The largest frame this side reassembles (bytes); a larger one closes the link. Default 1 GiB. */
  readonly maxFrameBytes?: number;
  /** How long a hello waits for its answer (ms). Default 10 000. */
  readonly timeoutMs?: number;
}

/** A link over NATS: a MessageLink that also counts what it dropped. */
export interface NatsLink extends MessageLink {
  /** Messages dropped: not sealed with the link's key, seen before, or holding a frame the codec or comlink could not read. */
  readonly dropped: number;
}

const DEFAULT_HEARTBEAT_MS = 1_000;
const DEFAULT_MAX_FRAME_BYTES = 2 ** 30;
const DEFAULT_TIMEOUT_MS = 10_000;
const NO_RESPONDERS_PATIENCE_MS = 1_000;
const NO_RESPONDERS_RETRY_MS = 50;

/**
 * Each message: kind (1 byte), message number (8: its nonce, so no two
 * messages of a direction share one), frame seq (4), chunk index (4), chunk
 * count (4), then the 16-byte tag over all of it (the tag's place excepted),
 * then the body.
 */
const SEALED = 21;
/** Message numbers are nonces of 6 bytes: a link closes before it would send more (never, at any real rate). */
const MAX_MESSAGES = 2 ** 48 - 1;
const TAG = 16;
const HEADER = SEALED + TAG;
const enum Kind {
  Chunk = 0,
  Heartbeat = 1,
  Close = 2,
}

/** Frames that could not be read are answered with this (as over a WebSocket), never passed on. */
interface FrameError {
  readonly syftFrameError: { readonly code: string; readonly message: string };
}

const helloSubject = (worker: string): string => `syft.worker.${subjectToken(worker)}.hello`;

/** A worker id as one NATS subject token (ids may hold dots, spaces, wildcards). */
function subjectToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url') || '_';
}

/** The link id that the dialer's public key commits to (base64url, 43 characters: a valid hello nonce). */
function linkIdOf(publicKey: string): string {
  return createHash('sha256').update('syft-ts nats link ').update(publicKey, 'utf8').digest('base64url');
}

function publicKeyOf(pair: { publicKey: KeyObject }): string {
  return pair.publicKey.export({ format: 'jwk' }).x!;
}

/** The two keys of a link (up: dialer to worker, down: worker to dialer), or undefined for a key that is not an X25519 public key. */
function linkKeys(own: KeyObject, peer: unknown, linkId: string): { up: KeyObject; down: KeyObject } | undefined {
  if (typeof peer !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(peer)) return undefined;
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: own, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer }, format: 'jwk' }) });
  } catch {
    return undefined; // a low-order point: OpenSSL refuses the all-zero secret
  }
  const derive = (direction: string): KeyObject => createSecretKey(Buffer.from(hkdfSync('sha256', shared, linkId, `syft-ts nats link ${direction}`, 32)));
  return { up: derive('up'), down: derive('down') };
}

function nonce(n: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUIntBE(n, 6, 6);
  return iv;
}

/** The tag of `message` (its header and body) under `key`. */
function tagOf(key: KeyObject, n: number, message: Uint8Array): Buffer {
  const gmac = createCipheriv('aes-256-gcm', key, nonce(n));
  gmac.setAAD(message.subarray(0, SEALED));
  gmac.setAAD(message.subarray(HEADER));
  gmac.final();
  return gmac.getAuthTag();
}

function sealedBy(key: KeyObject, n: number, message: Uint8Array): boolean {
  const check = createDecipheriv('aes-256-gcm', key, nonce(n), { authTagLength: TAG });
  check.setAuthTag(message.subarray(SEALED, HEADER));
  check.setAAD(message.subarray(0, SEALED));
  check.setAAD(message.subarray(HEADER));
  try {
    check.final();
    return true;
  } catch {
    return false;
  }
}

/** Every link of a connection, so that one watcher per connection closes them all when it closes. */
const linksOf = new WeakMap<NatsConnection, Set<(reason: string) => void>>();

function watch(nc: NatsConnection, end: (reason: string) => void): () => void {
  let links = linksOf.get(nc);
  if (links === undefined) {
    const set = new Set<(reason: string) => void>();
    links = set;
    linksOf.set(nc, set);
    void nc.closed().then((error) => {
      for (const close of [...set]) close(`the NATS connection closed${error ? `: ${error.message}` : ''}`);
    });
  }
  links.add(end);
  return () => links.delete(end);
}

type NatsLinkEnd = NatsLink & { discard(): void; limit(bytes: number): void };

/**
 * One side of a link. It subscribes at once: before its hello is sent (the
 * dialer) or answered (the worker), so that no message can arrive before anyone
 * listens, in a cluster too (a subscription travels the routes ahead of the
 * reply that follows it on the same connection). The keys come later, with
 * the answer (the dialer): until then nothing is sealed, so everything is dropped.
 */
function link(nc: NatsConnection, sendOn: string, receiveOn: string, options: NatsLinkOptions): NatsLinkEnd & { key(send: KeyObject, receive: KeyObject): void } {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const receiveLimit = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let sendLimit = receiveLimit;
  let keys: { send: KeyObject; receive: KeyObject } | undefined;
  /** Messages sent and received (each message's number, its nonce), frames sent and received. */
  let sentN = 0;
  let heardN = 0;
  let framesSent = 0;
  let framesHeard = 0;
  let dropped = 0;
  let sentAt = Date.now();
  let heardAt = Date.now();
  let open = true;
  let finish!: (reason: string) => void;
  const closed = new Promise<string>((resolve) => (finish = resolve));
  /** The frame being reassembled: views of the NATS client's read buffers (which it never reuses), copied once when whole. */
  let partial: { seq: number; count: number; parts: Uint8Array[]; bytes: number } | undefined;

  const publish = (kind: Kind, seq: number, index: number, count: number, body?: Uint8Array): void => {
    if (keys === undefined) return;
    if (sentN >= MAX_MESSAGES) throw new Error('the link sent its last message number; dial a new one');
    const n = ++sentN;
    const message = new Uint8Array(HEADER + (body?.byteLength ?? 0));
    const view = new DataView(message.buffer);
    view.setUint8(0, kind);
    view.setUint32(1, Math.floor(n / 2 ** 32));
    view.setUint32(5, n >>> 0);
    view.setUint32(9, seq);
    view.setUint32(13, index);
    view.setUint32(17, count);
    if (body !== undefined) message.set(body, HEADER);
    message.set(tagOf(keys.send, n, message), SEALED);
    nc.publish(sendOn, message);
    sentAt = Date.now();
  };

  const { endpoint, receive } = frameEndpoint(
    () => sendLimit,
    (frame) => {
      if (!open) return;
      // Read each time: a reconnect may land on a server with another max payload.
      const chunkBytes = Math.max(1, (nc.info?.max_payload ?? 2 ** 20) - HEADER);
      const count = Math.max(1, Math.ceil(frame.byteLength / chunkBytes));
      framesSent = (framesSent + 1) >>> 0;
      try {
        for (let i = 0; i < count; i++) publish(Kind.Chunk, framesSent, i, count, frame.subarray(i * chunkBytes, (i + 1) * chunkBytes));
      } catch (error) {
        // Thrown on into comlink's call, which rejects; a frame cut short leaves the link unusable, so it closes too.
        end(`a frame could not be sent: ${(error as Error).message}`, !nc.isClosed());
        throw error;
      }
    },
  );

  const end = (reason: string, tell: boolean): void => {
    if (!open) return;
    open = false;
    clearInterval(timer);
    unwatch();
    partial = undefined;
    if (tell) {
      try {
        publish(Kind.Close, framesSent, 0, 0, new TextEncoder().encode(reason.slice(0, 200)));
      } catch {
        // the connection is gone already
      }
    }
    sub.unsubscribe();
    finish(reason);
  };

  const answer = (code: string, message: string): void => {
    const reply: FrameError = { syftFrameError: { code, message } };
    publish(Kind.Chunk, (framesSent = (framesSent + 1) >>> 0), 0, 1, new Uint8Array(encode(reply)));
  };

  const deliver = (frame: Uint8Array): void => {
    let message: unknown;
    try {
      message = decode(frame);
    } catch (error) {
      // Sealed by the peer, yet unreadable (another version, a bug): answered as over a WebSocket, and the link goes on.
      dropped++;
      return answer((error as { code?: string }).code ?? 'INVALID_ARGUMENT', (error as Error).message);
    }
    if (typeof message === 'object' && message !== null && 'syftFrameError' in message) {
      dropped++;
      return;
    }
    const unreadable = receive(message);
    if (unreadable !== undefined) {
      dropped++;
      answer('MALFORMED_COMMAND', `a message comlink cannot read: ${unreadable.message}`);
    }
  };

  const onChunk = (seq: number, index: number, count: number, body: Uint8Array): void => {
    if (index === 0) {
      if (partial !== undefined) return end(`frame ${partial.seq} stopped after ${partial.parts.length} of its ${partial.count} chunks`, true);
      if (count === 0 || seq !== ((framesHeard + 1) >>> 0)) return end(`an inconsistent chunk sequence (frame ${seq}, chunk 1 of ${count}, after frame ${framesHeard})`, true);
      framesHeard = seq;
      if (count === 1) {
        if (body.byteLength > receiveLimit) return end(`a frame above the link's limit of ${receiveLimit} bytes`, true);
        return deliver(body);
      }
      partial = { seq, count, parts: [], bytes: 0 };
    }
    if (partial === undefined || partial.seq !== seq || partial.count !== count || partial.parts.length !== index) {
      return end(`an inconsistent chunk sequence (frame ${seq}, chunk ${index + 1} of ${count})`, true);
    }
    partial.bytes += body.byteLength;
    if (partial.bytes > receiveLimit) return end(`a frame above the link's limit of ${receiveLimit} bytes`, true);
    partial.parts.push(body);
    if (partial.parts.length === count) {
      const whole = new Uint8Array(partial.bytes);
      let at = 0;
      for (const part of partial.parts) {
        whole.set(part, at);
        at += part.byteLength;
      }
      partial = undefined;
      deliver(whole);
    }
  };

  const onMessage = (data: Uint8Array): void => {
    if (!open) return;
    if (keys === undefined || data.byteLength < HEADER) {
      dropped++;
      return;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const n = view.getUint32(1) * 2 ** 32 + view.getUint32(5);
    if (n <= heardN || n > MAX_MESSAGES || !sealedBy(keys.receive, n, data)) {
      dropped++; // a replay of a message already heard, or garbage
      return;
    }
    if (n !== heardN + 1) return end(`message ${heardN + 1} was lost (NATS delivers at most once)`, true);
    heardN = n;
    heardAt = Date.now();
    const kind = view.getUint8(0);
    if (kind === Kind.Chunk) return onChunk(view.getUint32(9), view.getUint32(13), view.getUint32(17), data.subarray(HEADER));
    if (kind === Kind.Close) return end(`the peer closed the link: ${new TextDecoder().decode(data.subarray(HEADER))}`, false);
    if (kind !== Kind.Heartbeat) end(`the peer sent a message of unknown kind ${kind} (a newer syft-ts?)`, true);
  };

  const sub: Subscription = nc.subscribe(receiveOn, {
    callback: (error, msg) => {
      if (error !== null) return;
      try {
        onMessage(msg.data);
      } catch (thrown) {
        // Never into the NATS client's reader, which would stop reading for every subscription of the connection.
        end(`the link failed on a message it received: ${(thrown as Error).message}`, true);
      }
    },
  });

  const timer = setInterval(() => {
    if (keys === undefined) return; // the hello is still out: its answer is bounded by its own timeout
    const now = Date.now();
    if (now - heardAt > 3 * heartbeatMs) return end(`the peer fell silent for ${now - heardAt} ms`, true);
    if (now - sentAt < heartbeatMs / 2) return;
    try {
      publish(Kind.Heartbeat, framesSent, 0, 0);
    } catch (error) {
      // Closed or draining: the connection's own end closes the link a moment later; here, at once, and never an uncaught throw from a timer.
      end(`the NATS connection refused a heartbeat: ${(error as Error).message}`, false);
    }
  }, heartbeatMs / 2);

  const unwatch = watch(nc, (reason) => end(reason, false));

  return {
    endpoint,
    closed,
    get dropped() {
      return dropped;
    },
    close: (reason: string) => end(reason, true),
    discard: () => end('the hello was refused', false),
    key(send: KeyObject, receiveKey: KeyObject): void {
      keys = { send, receive: receiveKey };
      heardAt = Date.now();
    },
    /** The other side's limit, from its welcome: larger frames are refused before they are sent. */
    limit: (bytes: number) => (sendLimit = Math.min(sendLimit, bytes)),
    ref: () => timer.ref(),
    unref: () => timer.unref(),
  };
}

const isNoResponders = (error: unknown): boolean =>
  (error as { name?: unknown }).name === 'NoResponders' || (error as { cause?: { name?: unknown } }).cause?.name === 'NoResponders';

/**
 * A request that asks again while no one listens on `subject`, for up to a
 * second: a worker that has just started on another node of a cluster is
 * known there only once its subscription has crossed the routes.
 */
async function request(nc: NatsConnection, subject: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
  const started = Date.now();
  for (;;) {
    try {
      return await nc.request(subject, data, { timeout: Math.max(1, timeoutMs - (Date.now() - started)) });
    } catch (error) {
      if (!isNoResponders(error) || Date.now() - started + NO_RESPONDERS_RETRY_MS > Math.min(timeoutMs, NO_RESPONDERS_PATIENCE_MS)) throw error;
      await new Promise((resolve) => setTimeout(resolve, NO_RESPONDERS_RETRY_MS));
    }
  }
}

/**
 * Opens a link to worker `hello.worker` wherever it is attached to the NATS
 * server or cluster. Rejects with a ConnectionFailedError: the worker's
 * refusal (UNAUTHENTICATED, WORKER_BUSY, INVALID_ARGUMENT), or
 * CONNECTION_FAILED when no worker of that id answers in time.
 */
export async function dialNats(nc: NatsConnection, hello: Hello, options: NatsLinkOptions = {}): Promise<{ link: NatsLink; welcome: Welcome }> {
  const pair = generateKeyPairSync('x25519');
  const key = publicKeyOf(pair);
  const id = linkIdOf(key);
  // The hello is readable by any client of the server: it shows a proof of the token, bound to this link and so to this key.
  const sealed = { ...hello, nonce: id, token: proveToken(hello.token, id), key };
  const base = `syft.link.${id}`;
  let opened: ReturnType<typeof link>;
  try {
    opened = link(nc, `${base}.up`, `${base}.down`, options);
  } catch (error) {
    throw new ConnectionFailedError('CONNECTION_FAILED', `cannot reach worker '${hello.worker}': the NATS connection is unusable (${(error as Error).message}); connect again.`);
  }
  let reply: Msg;
  try {
    reply = await request(nc, helloSubject(hello.worker), new TextEncoder().encode(JSON.stringify(sealed)), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    opened.discard();
    throw new ConnectionFailedError(
      'CONNECTION_FAILED',
      `no worker '${hello.worker}' answers on NATS at ${nc.getServer()} (${(error as Error).message}); ` +
        `start it with: npx syft-ts worker --id ${hello.worker} --nats <url of any node of this cluster>.`,
    );
  }
  let answer: Answer & { key?: unknown };
  try {
    answer = JSON.parse(new TextDecoder().decode(reply.data)) as Answer & { key?: unknown };
    if (typeof answer !== 'object' || answer === null) throw new Error('not an object');
  } catch {
    opened.discard();
    throw new ConnectionFailedError('CONNECTION_FAILED', `something that is not a syft-ts worker answered for '${hello.worker}' on NATS.`);
  }
  if (answer.ok !== true) {
    opened.discard();
    const refusal = (answer as { refusal?: { code?: unknown; message?: unknown } }).refusal;
    const code = refusal?.code;
    throw new ConnectionFailedError(
      code === 'UNAUTHENTICATED' || code === 'WORKER_BUSY' || code === 'INVALID_ARGUMENT' ? code : 'CONNECTION_FAILED',
      `worker '${hello.worker}' refused the connection: ${String(refusal?.message)}`,
    );
  }
  const keys = linkKeys(pair.privateKey, answer.key, id);
  if (keys === undefined || typeof answer.welcome !== 'object' || answer.welcome === null) {
    opened.discard();
    throw new ConnectionFailedError('CONNECTION_FAILED', `the answer for '${hello.worker}' on NATS carries no link key: a syft-ts worker of another version?`);
  }
  opened.key(keys.up, keys.down);
  if (typeof answer.welcome.maxFrameBytes === 'number') opened.limit(answer.welcome.maxFrameBytes);
  return { link: opened, welcome: answer.welcome };
}

/**
 * Serves links to worker `workerId` over `nc`: each hello goes to `gate`, an
 * accepted one to `onLink`. A bad hello is refused (INVALID_ARGUMENT), never
 * thrown into the NATS client. `ready` resolves once the server has the
 * subscription (announce the worker after it); `close()` stops taking hellos,
 * and the links already open stay open.
 */
export function listenNats(
  nc: NatsConnection,
  workerId: string,
  gate: Gate,
  onLink: (link: NatsLink, hello: Hello) => void,
  options: NatsLinkOptions = {},
): { readonly ready: Promise<void>; close(): Promise<void> } {
  /** Link ids seen: a hello (its proof) is good once. Bounded: the oldest are forgotten first. */
  const seen = new Set<string>();
  const refuse = (code: 'INVALID_ARGUMENT' | 'UNAUTHENTICATED', message: string): Answer => ({ ok: false, refusal: { code, message } });

  const judge = (data: Uint8Array, pair: { privateKey: KeyObject }): { answer: Answer; hello?: Hello; keys?: { up: KeyObject; down: KeyObject } } => {
    let raw: unknown;
    let parsed: Hello | string;
    try {
      raw = JSON.parse(new TextDecoder().decode(data));
      parsed = parseHello(raw);
    } catch {
      parsed = 'it is not JSON';
    }
    if (typeof parsed === 'string') return { answer: refuse('INVALID_ARGUMENT', `a bad hello: ${parsed}`) };
    if (parsed.nonce === undefined) return { answer: refuse('UNAUTHENTICATED', 'a hello over NATS proves the token (HMAC over a fresh nonce); never send the token itself') };
    const peerKey = (raw as { key?: unknown }).key;
    const keys = typeof peerKey === 'string' && parsed.nonce === linkIdOf(peerKey) ? linkKeys(pair.privateKey, peerKey, parsed.nonce) : undefined;
    if (keys === undefined) {
      return { answer: refuse('INVALID_ARGUMENT', "a bad hello: a hello over NATS carries an X25519 key, and its nonce is that key's link id (a syft-ts of another version?)") };
    }
    if (seen.has(parsed.nonce)) return { answer: refuse('UNAUTHENTICATED', 'that hello was already used') };
    try {
      return { answer: gate(parsed), hello: parsed, keys };
    } catch (thrown) {
      return { answer: refuse('INVALID_ARGUMENT', `the hello could not be judged: ${(thrown as Error).message}`) };
    }
  };

  const answerHello = (msg: Msg): void => {
    const pair = generateKeyPairSync('x25519');
    const { answer, hello, keys } = judge(msg.data, pair);
    let opened: ReturnType<typeof link> | undefined;
    if (answer.ok && hello?.nonce !== undefined && keys !== undefined) {
      seen.add(hello.nonce);
      if (seen.size > 100_000) seen.delete(seen.values().next().value!);
      const base = `syft.link.${hello.nonce}`;
      opened = link(nc, `${base}.down`, `${base}.up`, options);
      opened.key(keys.down, keys.up);
    }
    try {
      msg.respond(new TextEncoder().encode(JSON.stringify(opened === undefined ? answer : { ...answer, key: publicKeyOf(pair) })));
    } catch {
      opened?.discard();
      return;
    }
    if (opened === undefined) return;
    try {
      onLink(opened, hello!);
    } catch (thrown) {
      opened.close(`the worker could not take the link: ${(thrown as Error).message}`);
    }
  };

  const sub = nc.subscribe(helloSubject(workerId), {
    callback: (error, msg) => {
      if (error !== null) return;
      try {
        answerHello(msg);
      } catch {
        // The connection closed under us (a subscribe refused): the dialer's request times out. Never thrown into the NATS client's reader.
      }
    },
  });
  // The server (this node of a cluster) has the subscription once it has answered a ping sent after it.
  const ready = nc.flush();
  ready.catch(() => undefined); // rejects only when the connection closes, which its owner learns anyway: never unhandled
  return {
    ready,
    async close(): Promise<void> {
      sub.unsubscribe();
    },
  };
}
