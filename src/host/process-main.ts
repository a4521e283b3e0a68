/**
 * The host as a process of its own (`npx syft-ts worker`): a worker a data
 * owner runs on their own machine, reached over WebSocket, NATS, or both.
 *
 * Sessions. A client's connection opens a session (a fresh actor host); the
 * session outlives a dropped connection for `graceMs`, so a client that
 * reconnects with the same session id finds every object it stored. One
 * client session at a time: another client is refused (WORKER_BUSY) until the
 * session ends (the client's shutdown, or the grace period running out).
 *
 * Peers. Other workers of the same session dial in directly (moves, chains and
 * share openings never pass through the client), showing the session's peer
 * ticket: a secret the client got in the welcome and hands to the workers it
 * links. A peer never learns this worker's token, and its ticket dies with the session.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import type { Endpoint } from 'comlink';
import type { NatsConnection } from '@nats-io/transport-node';
import { InvalidArgumentError, serializeError } from '../core/errors.js';
import { EXIT_RETIRED, type LinkApi, type PeerAddress, PROGRESS_SLOTS } from '../core/protocol.js';
import { name as badName } from '../core/wire-schema.js';
import { nodeEndpoint } from '../transport/endpoint.js';
import { exposeEntryPoints } from '../transport/expose.js';
import { type Answer, type Hello, type MessageLink, newSessionId, showsSecret } from '../transport/link.js';
import { threadEntry } from '../transport/thread-entry.js';
import { dialWs, listenWs, DEFAULT_MAX_FRAME_BYTES } from '../transport/ws-link.js';

export interface ProcessHostOptions {
  readonly id: string;
  /** Clients must show it (compared in constant time). */
  readonly token: string;
  /** Serve WebSocket links here (port 0: any free port). */
  readonly ws?: { readonly port: number; readonly host: string; readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } };
  /** Serve links over this NATS connection too (subjects under syft.worker.<id>). */
  readonly nats?: NatsConnection;
  /** How long a session whose client dropped keeps its objects (ms). */
  readonly graceMs: number;
  readonly maxFrameBytes?: number;
  readonly heartbeatMs?: number;
  /** Lines worth telling an operator (connections, refusals, sessions ending). */
  readonly log?: (line: string) => void;
}

export interface ProcessHost {
  /** ws:// or wss:// address, when serving WebSocket. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/**
 * A session's actors run on a thread of their own (src/host/thread-main.ts,
 * as in the client's process), never on this process's main thread: a
 * training job of minutes must not stop the links' heartbeats, or every busy
 * worker would look dead (PySyft's dropped connections, #3274, #4656). The main
 * thread only routes frames between the links and the thread, unread.
 */
interface Session {
  readonly id: string;
  readonly ticket: string;
  readonly thread: Worker;
  /** The thread's link setup: ports of direct channels to other workers. */
  readonly setup: Comlink.Remote<LinkApi>;
  /** This host's name, as the session's actors address it (set by the client's init). */
  name: string;
  client: MessageLink | undefined;
  grace: NodeJS.Timeout | undefined;
  readonly links: Set<MessageLink>;
}

type Listener = Parameters<Endpoint['addEventListener']>[1];

/** A comlink message's id, when it has one. */
const idOf = (message: unknown): string | undefined => {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
};

/** A reply has a wire value's type and no path; a request has a path. */
const isReply = (message: unknown): boolean => !Array.isArray((message as { path?: unknown } | null)?.path);

/** comlink's form of a thrown error, answering the message with this id. */
function thrownReply(id: string, error: unknown): unknown {
  return { id, type: 'HANDLER', name: 'throw', value: { isError: true, value: serializeError(error) } };
}

/**
 * Sends `message` over `link`. One that cannot go (above the frame limit) is
 * answered in its place with an error, to whoever waits for it: the side across
 * the link for a reply, `back` (this side) for a request. Nothing waits for a
 * message that was dropped.
 */
function send(link: MessageLink, message: unknown, back: (reply: unknown) => void): void {
  try {
    link.endpoint.postMessage(message);
  } catch (error) {
    const id = idOf(message);
    if (id === undefined) return;
    if (isReply(message)) link.endpoint.postMessage(thrownReply(id, error));
    else back(thrownReply(id, error));
  }
}

/** Carries comlink messages both ways between `link` and `port` (a channel of the session's thread), unread. */
function bridge(link: MessageLink, port: MessagePort): void {
  link.endpoint.addEventListener('message', (event: Event) => port.postMessage((event as MessageEvent).data));
  port.on('message', (data: unknown) => send(link, data, (reply) => port.postMessage(reply)));
  void link.closed.then(() => port.close());
}

/** The NATS carrier, loaded only by a worker that serves NATS. */
const natsLinks = (): Promise<typeof import('../transport/nats-link.js')> => import('../transport/nats-link.js');

export async function startProcessHost(options: ProcessHostOptions): Promise<ProcessHost> {
  const wrong = badName(options.id);
  if (wrong !== undefined) throw new InvalidArgumentError(`a worker id must be ${wrong}`);
  if (options.token.length === 0) throw new InvalidArgumentError('a worker needs a non-empty token (--token-file, or SYFT_TOKEN)');
  if (options.ws === undefined && options.nats === undefined) throw new InvalidArgumentError('a worker serves WebSocket (--port), NATS (--nats), or both');
  const log = options.log ?? (() => undefined);
  const linkOptions = { maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }) };
  let session: Session | undefined;

  const endSession = (s: Session, why: string): void => {
    if (session !== s) return;
    session = undefined;
    clearTimeout(s.grace);
    void s.thread.terminate();
    for (const link of s.links) link.close('the session ended');
    log(`session ${s.id.slice(0, 8)} ended: ${why}`);
  };

  /** A session waiting for its client: a new one until its link opens, a dropped one until it reconnects. */
  const awaitClient = (s: Session): void => {
    clearTimeout(s.grace);
    s.grace = setTimeout(() => endSession(s, 'the client did not come back'), options.graceMs);
  };

  const gate = (hello: Hello): Answer => {
    const refuse = (code: 'UNAUTHENTICATED' | 'WORKER_BUSY' | 'INVALID_ARGUMENT', message: string): Answer => {
      log(`refused a ${hello.role}: ${code}`);
      return { ok: false, refusal: { code, message } };
    };
    if (hello.worker !== options.id) return refuse('INVALID_ARGUMENT', `this is worker '${options.id}', not '${hello.worker.slice(0, 64)}'`);
    if (hello.role === 'peer') {
      if (session === undefined || session.id !== hello.session || !showsSecret(hello, session.ticket)) {
        return refuse('UNAUTHENTICATED', 'no session of this worker accepts that peer ticket');
      }
      return { ok: true, welcome: { worker: options.id, session: session.id, resumed: true } };
    }
    if (!showsSecret(hello, options.token)) return refuse('UNAUTHENTICATED', "wrong token: pass the worker's token (its --token-file) as { token }");
    if (session !== undefined && session.id !== hello.session) {
      return refuse(
        'WORKER_BUSY',
        session.client !== undefined
          ? 'another client holds a session on this worker; it ends when that client shuts down'
          : `another client's session is kept for its reconnection for up to ${options.graceMs} ms`,
      );
    }
    const resumed = session !== undefined;
    if (session === undefined) {
      session = startSession(hello.session);
      awaitClient(session);
      log(`session ${session.id.slice(0, 8)} started`);
    }
    return { ok: true, welcome: { worker: options.id, session: session.id, resumed, ticket: session.ticket, maxFrameBytes: linkOptions.maxFrameBytes } };
  };

  /** A session thread, loading while nobody needs it yet: a client's first connection then finds it warm. */
  const newThread = (): { thread: Worker; setup: Comlink.Remote<LinkApi> } => {
    const entry = threadEntry('actor-host');
    const setup = new MessageChannel();
    const thread = new Worker(entry.filename, {
      workerData: { ...entry.workerData, links: setup.port2, wire: 'clone', progress: new SharedArrayBuffer(PROGRESS_SLOTS * 4) },
      transferList: [setup.port2],
      name: 'syft-session',
    });
    return { thread, setup: Comlink.wrap<LinkApi>(nodeEndpoint(setup.port1)) };
  };
  let spare: ReturnType<typeof newThread> | undefined = newThread();

  const startSession = (id: string): Session => {
    // Only the first session finds a thread warm: a spare per session would cost a thread's memory and load for nothing.
    const { thread, setup } = spare ?? newThread();
    spare = undefined;
    const s: Session = { id, ticket: newSessionId(), thread, setup, name: '', client: undefined, grace: undefined, links: new Set() };
    // Replies from the thread go to whichever link the client holds now (after a reconnect, the new one).
    thread.on('message', (data: unknown) => {
      if (s.client !== undefined) send(s.client, data, (reply) => thread.postMessage(reply));
    });
    thread.on('error', () => undefined); // 'exit' follows with its code
    thread.once('exit', (code) => {
      // A kernel that trapped in wasm retires the thread (its heap may be corrupt): the session ends, and the
      // client, redialling, finds it gone and fails everything with WORKER_CRASHED.
      const why = code === EXIT_RETIRED ? 'retired: a kernel trapped in wasm, so its heap may be corrupt' : `its thread stopped (exit code ${code})`;
      s.client?.close(why);
      endSession(s, why);
    });
    return s;
  };

  const dialPeer = async (s: Session, to: string, address: PeerAddress, ticket: string, peerSession: string): Promise<void> => {
    const kind = (address as { kind?: unknown } | null)?.kind;
    const url = (address as { url?: unknown } | null)?.url;
    if (!((kind === 'ws' && typeof url === 'string' && /^wss?:\/\//.test(url)) || kind === 'nats') || typeof address.worker !== 'string') {
      throw new InvalidArgumentError("a peer address is { kind: 'ws', url: 'ws://…', worker } or { kind: 'nats', worker }");
    }
    const hello: Hello = { v: 1, token: ticket, role: 'peer', worker: address.worker, session: peerSession, from: s.name };
    let opened: { link: MessageLink };
    if (address.kind === 'ws') opened = await dialWs(address.url, hello, linkOptions);
    else if (options.nats !== undefined) opened = await (await natsLinks()).dialNats(options.nats, hello, linkOptions);
    else throw new InvalidArgumentError(`worker '${options.id}' is not on NATS, so it cannot reach '${address.worker}' there`);
    const { link } = opened;
    s.links.add(link);
    void link.closed.then(() => s.links.delete(link));
    // The thread's end of the channel closes with the link, and the thread then fails what was on its way from there.
    const { port1, port2 } = new MessageChannel();
    bridge(link, port1);
    await s.setup.connectPeer(to, Comlink.transfer(port2, [port2]));
  };

  const onLink = (link: MessageLink, hello: Hello): void => {
    if (hello.role === 'peer') {
      const s = session!;
      s.links.add(link);
      void link.closed.then(() => s.links.delete(link));
      const { port1, port2 } = new MessageChannel();
      bridge(link, port1);
      void s.setup.acceptPeer(hello.from!, Comlink.transfer(port2, [port2])).catch(() => link.close('the session thread refused the peer'));
      return;
    }
    const s = session;
    if (s === undefined || s.id !== hello.session) {
      link.close('the session ended before its link opened');
      return;
    }
    clearTimeout(s.grace);
    if (s.client !== undefined) {
      s.client.close('the client reconnected');
      log(`session ${s.id.slice(0, 8)} resumed`);
    }
    const current = s;
    current.client = link;
    current.links.add(link);
    // init, spawn and execute go to the session's thread; linking and ending the session are this process's.
    const local = new Set<Listener>();
    exposeEntryPoints(
      {
        connectPeer: (to: string, address: PeerAddress, ticket: string, peerSession: string) => dialPeer(current, String(to), address, String(ticket), String(peerSession)),
        endSession: () => endSession(current, 'the client shut down'),
      },
      { postMessage: (m: unknown) => link.endpoint.postMessage(m), addEventListener: (_t, l) => local.add(l), removeEventListener: (_t, l) => local.delete(l) },
    );
    link.endpoint.addEventListener('message', (event: Event) => {
      const data = (event as MessageEvent).data as { path?: unknown; argumentList?: unknown } | null;
      const path = Array.isArray(data?.path) ? (data.path as unknown[])[0] : undefined;
      if (path === 'connectPeer' || path === 'endSession') {
        for (const l of local) (typeof l === 'function' ? l : l.handleEvent.bind(l))(event);
        return;
      }
      if (path === 'init') {
        // The host's name, as its peers will address it: read, not acted on (the thread checks the call).
        const thread = ((data?.argumentList as Array<{ value?: { thread?: unknown } }> | undefined)?.[0]?.value)?.thread;
        if (typeof thread === 'string') current.name = thread;
      }
      current.thread.postMessage(data);
    });
    void link.closed.then((reason) => {
      current.links.delete(link);
      if (current.client !== link || session !== current) return;
      current.client = undefined;
      log(`session ${current.id.slice(0, 8)}: the client dropped (${reason}); objects kept for ${options.graceMs} ms`);
      awaitClient(current);
    });
  };

  let server: HttpServer | undefined;
  let wsListener: { close(): void } | undefined;
  let url: string | undefined;
  if (options.ws !== undefined) {
    const { port, host, tls } = options.ws;
    server = tls === undefined ? createHttpServer() : createHttpsServer({ cert: tls.cert, key: tls.key });
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('a syft-ts worker: connect with hook.connect(url, { id, token })\n');
    });
    wsListener = listenWs(server, gate, onLink, linkOptions);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, host, () => resolve());
    });
    const bound = server.address() as AddressInfo;
    const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    url = `${tls === undefined ? 'ws' : 'wss'}://${shownHost}:${bound.port}`;
  }
  const natsListener = options.nats === undefined ? undefined : (await natsLinks()).listenNats(options.nats, options.id, gate, onLink, linkOptions);
  // Listening means reachable: the hello subject's subscription is known to the server before anyone is told.
  await natsListener?.ready;

  return {
    url,
    async close(): Promise<void> {
      if (session !== undefined) endSession(session, 'the worker stopped');
      await spare?.thread.terminate();
      wsListener?.close();
      await natsListener?.close();
      if (server !== undefined) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
