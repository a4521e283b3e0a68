/**
 * Links over NATS: a worker listens on `syft.worker.<id>.hello`; a dialer
 * sends its hello there as a request, and each accepted link then has two
 * subjects of its own, `syft.link.<link>.up` (dialer to worker) and `.down`.
 *
 * NATS is a bus: any client of the server may read a subject. So a hello over
 * NATS never carries the token itself, only HMAC(token, link id), and a link id
 * is accepted once. What the server lets each client subscribe to (its
 * accounts and permissions) is the boundary for the frames that follow, as TLS
 * is for a WebSocket.
 *
 * A frame above the server's max payload is sent in chunks, which NATS keeps
 * in order (one publisher, one subject) and the receiver reassembles. NATS has
 * no connection between two clients, so each side sends a heartbeat when it
 * has sent nothing for a while, and a side silent for three intervals is gone.
 *
 * NATS delivers at most once: a frame published while the other side's
 * connection is re-establishing itself (a server restarted) is lost. Frames
 * are numbered, and each heartbeat carries the number of the last frame sent,
 * so a receiver learns of a lost frame within one heartbeat and closes the
 * link: what waited on it rejects (WORKER_DISCONNECTED), and the client redials
 * and resumes the session. Nothing waits for a frame that will never come.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ConnectionFailedError } from '../core/errors.js';
import { decode } from './codec.js';
import { type Answer, type Gate, type Hello, type MessageLink, frameEndpoint, newSessionId, parseHello, proveToken, type Welcome } from './link.js';

export interface NatsLinkOptions {
  readonly heartbeatMs?: number;
  /** The largest frame reassembled (bytes); larger ones are dropped. */
  readonly maxFrameBytes?: number;
  /** How long a hello waits for its answer (ms). */
  readonly timeoutMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 1_000;
const DEFAULT_MAX_FRAME_BYTES = 256 * 2 ** 20;
const HEADER = 13;
const enum Kind {
  Chunk = 0,
  Heartbeat = 1,
  Close = 2,
}

const helloSubject = (worker: string): string => `syft.worker.${subjectToken(worker)}.hello`;

/** A worker id as one NATS subject token (ids may hold dots, spaces, wildcards). */
function subjectToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url') || '_';
}

function header(kind: Kind, seq: number, index: number, count: number): Uint8Array {
  const h = new Uint8Array(HEADER);
  const view = new DataView(h.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, seq);
  view.setUint32(5, index);
  view.setUint32(9, count);
  return h;
}

/**
 * One side of a link. It subscribes at once: before its hello is sent (the
 * dialer) or answered (the worker), so that no frame can arrive before anyone
 * listens, in a cluster too (a subscription travels the routes ahead of the
 * reply that follows it on the same connection).
 */
function link(nc: NatsConnection, sendOn: string, receiveOn: string, options: NatsLinkOptions): MessageLink & { discard(): void; limit(bytes: number): void } {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const receiveLimit = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let maxFrameBytes = receiveLimit;
  const chunkBytes = Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - HEADER - 256);
  const { endpoint, receive } = frameEndpoint(
    () => maxFrameBytes,
    (frame) => {
      if (!open) return;
      seq = (seq + 1) >>> 0;
      const count = Math.max(1, Math.ceil(frame.byteLength / chunkBytes));
      for (let i = 0; i < count; i++) publish(Kind.Chunk, i, count, frame.subarray(i * chunkBytes, (i + 1) * chunkBytes));
    },
  );
  /** Frames sent, and frames received whole or begun (each in its turn, or the link is closed). */
  let seq = 0;
  let received = 0;
  let sentAt = Date.now();
  let heardAt = Date.now();
  let open = true;
  let finish!: (reason: string) => void;
  const closed = new Promise<string>((resolve) => (finish = resolve));
  /** The frame being reassembled. */
  let partial: { seq: number; count: number; parts: Uint8Array[]; bytes: number } | undefined;

  const publish = (kind: Kind, index: number, count: number, body?: Uint8Array): void => {
    const h = header(kind, seq, index, count);
    if (body === undefined || body.byteLength === 0) {
      nc.publish(sendOn, h);
    } else {
      const message = new Uint8Array(HEADER + body.byteLength);
      message.set(h, 0);
      message.set(body, HEADER);
      nc.publish(sendOn, message);
    }
    sentAt = Date.now();
  };

  const end = (reason: string, tell: boolean): void => {
    if (!open) return;
    open = false;
    clearInterval(timer);
    if (tell) {
      try {
        publish(Kind.Close, 0, 0, new TextEncoder().encode(reason.slice(0, 200)));
      } catch {
        // the connection is gone already
      }
    }
    sub.unsubscribe();
    finish(reason);
  };

  const deliver = (frame: Uint8Array): void => {
    let message: unknown;
    try {
      message = decode(frame);
    } catch {
      return; // garbage on our subject: dropped, the link goes on
    }
    // A well-formed frame holding a message comlink cannot read: dropped, never thrown into NATS's callback.
    receive(message);
  };

  const onMessage = (data: Uint8Array): void => {
    heardAt = Date.now();
    if (data.byteLength < HEADER) return;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const kind = view.getUint8(0);
    if (kind === Kind.Heartbeat) {
      if (view.getUint32(1) !== received || partial !== undefined) end(`frame ${received + 1} was lost (NATS delivers at most once)`, true);
      return;
    }
    if (kind === Kind.Close) {
      end(`the peer closed the link: ${new TextDecoder().decode(data.subarray(HEADER))}`, false);
      return;
    }
    if (kind !== Kind.Chunk) return;
    const [s, index, count] = [view.getUint32(1), view.getUint32(5), view.getUint32(9)];
    const body = data.subarray(HEADER);
    if (index === 0) {
      if (s !== ((received + 1) >>> 0)) return end(`frame ${received + 1} was lost (NATS delivers at most once)`, true);
      received = s;
      partial = undefined;
      if (count === 1) return deliver(body);
      partial = { seq: s, count, parts: [], bytes: 0 };
    }
    if (partial === undefined || partial.seq !== s || partial.count !== count || partial.parts.length !== index) {
      return end(`a chunk of frame ${s} was lost (NATS delivers at most once)`, true);
    }
    partial.parts.push(body.slice());
    partial.bytes += body.byteLength;
    if (partial.bytes > receiveLimit) return end(`a frame above the link's limit of ${receiveLimit} bytes`, true);
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

  const sub: Subscription = nc.subscribe(receiveOn, {
    callback: (error, msg) => {
      if (error === null) onMessage(msg.data);
    },
  });

  const timer = setInterval(() => {
    const now = Date.now();
    if (now - heardAt > 3 * heartbeatMs) return end(`the peer fell silent for ${now - heardAt} ms`, true);
    if (now - sentAt >= heartbeatMs / 2) publish(Kind.Heartbeat, 0, 0);
  }, heartbeatMs / 2);

  void nc.closed().then(() => end('the NATS connection closed', false));

  return {
    endpoint,
    closed,
    close: (reason: string) => end(reason, true),
    discard: () => end('the hello was refused', false),
    /** The other side's limit, from its welcome: larger frames are refused before they are sent. */
    limit: (bytes: number) => (maxFrameBytes = Math.min(maxFrameBytes, bytes)),
    ref: () => timer.ref(),
    unref: () => timer.unref(),
  };
}

/** Opens a link to worker `hello.worker` wherever it is attached to the NATS server or cluster. */
export async function dialNats(nc: NatsConnection, hello: Hello, options: NatsLinkOptions = {}): Promise<{ link: MessageLink; welcome: Welcome }> {
  const id = newSessionId();
  // The hello is readable by any client of the server: it shows a proof of the token, bound to this link.
  const sealed: Hello = { ...hello, nonce: id, token: proveToken(hello.token, id) };
  const base = `syft.link.${id}`;
  const opened = link(nc, `${base}.up`, `${base}.down`, options);
  let reply: Msg;
  try {
    reply = await nc.request(helloSubject(hello.worker), new TextEncoder().encode(JSON.stringify(sealed)), { timeout: options.timeoutMs ?? 10_000 });
  } catch (error) {
    opened.discard();
    throw new ConnectionFailedError(
      'CONNECTION_FAILED',
      `no worker '${hello.worker}' answers on NATS (${(error as Error).message}); start it with: npx syft-ts worker --id ${hello.worker} --nats <url>.`,
    );
  }
  let answer: Answer;
  try {
    answer = JSON.parse(new TextDecoder().decode(reply.data)) as Answer;
  } catch {
    opened.discard();
    throw new ConnectionFailedError('CONNECTION_FAILED', `something that is not a syft-ts worker answered for '${hello.worker}' on NATS.`);
  }
  if (!answer.ok) {
    opened.discard();
    const code = answer.refusal?.code;
    throw new ConnectionFailedError(
      code === 'UNAUTHENTICATED' || code === 'WORKER_BUSY' || code === 'INVALID_ARGUMENT' ? code : 'CONNECTION_FAILED',
      `worker '${hello.worker}' refused the connection: ${String(answer.refusal?.message)}`,
    );
  }
  if (typeof answer.welcome.maxFrameBytes === 'number') opened.limit(answer.welcome.maxFrameBytes);
  return { link: opened, welcome: answer.welcome };
}

/** Serves links to worker `workerId` over `nc`: each hello goes to `gate`, an accepted one to `onLink`. */
export function listenNats(nc: NatsConnection, workerId: string, gate: Gate, onLink: (link: MessageLink, hello: Hello) => void, options: NatsLinkOptions = {}): { close(): Promise<void> } {
  /** Link ids seen: a hello (its proof) is good once. Bounded: the oldest are forgotten first. */
  const seen = new Set<string>();
  const sub = nc.subscribe(helloSubject(workerId), {
    callback: (error, msg) => {
      if (error !== null) return;
      let parsed: Hello | string;
      try {
        parsed = parseHello(JSON.parse(new TextDecoder().decode(msg.data)));
      } catch {
        parsed = 'not JSON';
      }
      let answer: Answer;
      if (typeof parsed === 'string') answer = { ok: false, refusal: { code: 'INVALID_ARGUMENT', message: `a bad hello: ${parsed}` } };
      else if (parsed.nonce === undefined) answer = { ok: false, refusal: { code: 'UNAUTHENTICATED', message: 'a hello over NATS proves the token (HMAC over a fresh nonce); never send the token itself' } };
      else if (seen.has(parsed.nonce)) answer = { ok: false, refusal: { code: 'UNAUTHENTICATED', message: 'that hello was already used' } };
      else answer = gate(parsed);
      let opened: ReturnType<typeof link> | undefined;
      if (answer.ok && typeof parsed !== 'string') {
        seen.add(parsed.nonce!);
        if (seen.size > 100_000) seen.delete(seen.values().next().value!);
        const base = `syft.link.${parsed.nonce}`;
        opened = link(nc, `${base}.down`, `${base}.up`, options);
      }
      try {
        msg.respond(new TextEncoder().encode(JSON.stringify(answer)));
      } catch {
        opened?.discard();
        return;
      }
      if (opened !== undefined) onLink(opened, parsed as Hello);
    },
  });
  return {
    async close(): Promise<void> {
      sub.unsubscribe();
    },
  };
}
