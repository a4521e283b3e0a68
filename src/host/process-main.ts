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
import * as Comlink from 'comlink';
import type { NatsConnection } from '@nats-io/transport-node';
import { InvalidArgumentError } from '../core/errors.js';
import { EXIT_RETIRED, type HostInitOptions, type PeerApi, type PeerAddress, type RemoteHostApi } from '../core/protocol.js';
import { name as badName } from '../core/wire-schema.js';
import { exposeEntryPoints } from '../transport/expose.js';
import { type Answer, type Hello, type MessageLink, newSessionId, showsSecret } from '../transport/link.js';
import { dialWs, listenWs, DEFAULT_MAX_FRAME_BYTES } from '../transport/ws-link.js';
import { createActorHost, type ActorHost } from './actor-host.js';
import { checkLocalOps } from '../tensor/op-checking.js';

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

interface Session {
  readonly id: string;
  readonly ticket: string;
  readonly host: ActorHost;
  /** This host's name, as the session's actors address it (set by init). */
  name: string;
  client: MessageLink | undefined;
  grace: NodeJS.Timeout | undefined;
  readonly links: Set<MessageLink>;
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
  checkLocalOps();
  let session: Session | undefined;

  const endSession = (s: Session, why: string): void => {
    if (session !== s) return;
    session = undefined;
    clearTimeout(s.grace);
    s.host.close();
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
      session = { id: hello.session, ticket: newSessionId(), host: createActorHost({ retire }), name: '', client: undefined, grace: undefined, links: new Set() };
      awaitClient(session);
      log(`session ${session.id.slice(0, 8)} started`);
    }
    return { ok: true, welcome: { worker: options.id, session: session.id, resumed, ticket: session.ticket, maxFrameBytes: linkOptions.maxFrameBytes } };
  };

  const retire = (): void => {
    // A kernel may have corrupted the wasm heap: stop, after the failing batch's reply has left.
    setTimeout(() => process.exit(EXIT_RETIRED), 50);
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
    s.host.addPeer(to, Comlink.wrap<PeerApi>(link.endpoint));
    void link.closed.then((reason) => {
      s.links.delete(link);
      s.host.peerLost(to, `the link to worker '${address.worker}' closed: ${reason}`);
    });
  };

  const onLink = (link: MessageLink, hello: Hello): void => {
    if (hello.role === 'peer') {
      const s = session!;
      s.links.add(link);
      void link.closed.then(() => s.links.delete(link));
      exposeEntryPoints(s.host.peer, link.endpoint);
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
    const api: RemoteHostApi = {
      ...current.host.client,
      init: (init: HostInitOptions) => {
        current.name = String(init?.thread ?? '');
        return current.host.client.init(init);
      },
      connectPeer: (to, address, ticket, peerSession) => dialPeer(current, String(to), address, String(ticket), String(peerSession)),
      endSession: () => endSession(current, 'the client shut down'),
    };
    exposeEntryPoints(api, link.endpoint);
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

  return {
    url,
    async close(): Promise<void> {
      if (session !== undefined) endSession(session, 'the worker stopped');
      wsListener?.close();
      await natsListener?.close();
      if (server !== undefined) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
