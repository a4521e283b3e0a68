/**
 * Links over WebSocket (`ws`): one binary frame per message, tensors as raw
 * bytes (PySyft 0.2 hex-encoded them in text frames, twice the size).
 *
 * The hello rides in the HTTP upgrade (header `x-syft-hello`) and is judged
 * before the upgrade completes: an unauthenticated peer gets an HTTP error and
 * a closed socket, and no frame of its ever reaches the decoder. The welcome
 * comes back in the 101 response (`x-syft-welcome`).
 *
 * Liveness: each side pings every `heartbeatMs`; a peer that misses two pongs
 * is cut off, so a half-open TCP connection (a machine gone without a FIN)
 * fails what waits on it in bounded time. A process killed on the same
 * machine closes its sockets at once.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { ConnectionFailedError, InvalidArgumentError } from '../core/errors.js';
import { decode, encode } from './codec.js';
import { type Gate, type Hello, type MessageLink, parseHello, frameEndpoint, type RefusalCode, type Welcome } from './link.js';

const HELLO_HEADER = 'x-syft-hello';
const WELCOME_HEADER = 'x-syft-welcome';
const ERROR_HEADER = 'x-syft-error';

/** Default cap on one frame: a 256 MB tensor. ws refuses (and closes on) anything larger. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 2 ** 20;
const DEFAULT_HEARTBEAT_MS = 5_000;

const STATUS: Record<RefusalCode, string> = { UNAUTHENTICATED: '401 Unauthorized', WORKER_BUSY: '409 Conflict', INVALID_ARGUMENT: '400 Bad Request' };

export interface LinkOptions {
  /** Frames larger than this are refused: by the sender before sending, by the receiver by closing. */
  readonly maxFrameBytes?: number;
  readonly heartbeatMs?: number;
}

export interface DialOptions extends LinkOptions {
  /** CA certificate(s) trusted for a wss:// worker with a self-signed certificate (PEM). */
  readonly ca?: string | Buffer;
  readonly timeoutMs?: number;
}

/** Frames that could not be decoded are answered with this, never passed on. */
interface FrameError {
  readonly syftFrameError: { readonly code: string; readonly message: string };
}

function toBase64Url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function fromBase64Url(text: string | string[] | undefined): unknown {
  if (typeof text !== 'string' || text.length > 16_384) return undefined;
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A comlink endpoint and a MessageLink over an open socket. */
function socketLink(ws: WebSocket, options: LinkOptions, rawSocket: Duplex | undefined): MessageLink {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const { endpoint, receive } = frameEndpoint(
    () => maxFrameBytes,
    (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true });
    },
  );
  let closing: string | undefined;
  const closed = new Promise<string>((resolve) => {
    ws.once('close', (code, reason) => {
      clearInterval(heartbeat);
      resolve(closing ?? describeClose(code, reason.toString('utf8')));
    });
  });
  ws.on('error', () => undefined); // a 'close' always follows, and carries the reason

  let missed = 0;
  ws.on('pong', () => (missed = 0));
  const heartbeat = setInterval(() => {
    if (++missed > 2) {
      closing = `the peer answered no ping for ${2 * heartbeatMs} ms`;
      ws.terminate();
      return;
    }
    ws.ping();
  }, heartbeatMs);

  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    let message: unknown;
    try {
      if (!isBinary || !(data instanceof Buffer)) throw new InvalidArgumentError('syft links carry binary frames only');
      message = decode(data);
    } catch (error) {
      // Answered, never thrown: a bad frame harms neither the link nor anything behind it.
      const reply: FrameError = { syftFrameError: { code: (error as { code?: string }).code ?? 'INVALID_ARGUMENT', message: (error as Error).message } };
      if (ws.readyState === WebSocket.OPEN) ws.send(new Uint8Array(encode(reply)));
      return;
    }
    if (typeof message === 'object' && message !== null && 'syftFrameError' in message) return;
    const unreadable = receive(message);
    if (unreadable !== undefined) {
      // A well-formed frame holding a message comlink cannot read: answered, and kept from ws's emitter
      // (an uncaught exception there would end the process).
      const reply: FrameError = { syftFrameError: { code: 'MALFORMED_COMMAND', message: `a message comlink cannot read: ${unreadable.message}` } };
      if (ws.readyState === WebSocket.OPEN) ws.send(new Uint8Array(encode(reply)));
    }
  });

  return {
    endpoint,
    closed,
    close(reason: string): void {
      closing ??= reason;
      ws.close(1000, reason.slice(0, 120));
      // A peer that never answers the close handshake must not keep us waiting.
      setTimeout(() => ws.terminate(), 1_000).unref();
    },
    ref(): void {
      heartbeat.ref();
      (rawSocket as { ref?: () => void } | undefined)?.ref?.();
    },
    unref(): void {
      heartbeat.unref();
      (rawSocket as { unref?: () => void } | undefined)?.unref?.();
    },
  };
}

function describeClose(code: number, reason: string): string {
  if (code === 1009) return 'a frame exceeded the receiving side\'s frame limit (close code 1009); start the worker with a larger --max-frame-mb';
  if (code === 1006) return 'the connection dropped (close code 1006)';
  return `the connection closed (code ${code}${reason === '' ? '' : `: ${reason}`})`;
}

/**
 * Serves links on `server` (HTTP or HTTPS, already listening or about to):
 * each upgrade's hello goes to `gate`, and an accepted one to `onLink`.
 */
export function listenWs(
  server: HttpServer | HttpsServer,
  gate: Gate,
  onLink: (link: MessageLink, hello: Hello) => void,
  options: LinkOptions = {},
): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
  const welcomes = new WeakMap<IncomingMessage, Welcome>();
  wss.on('headers', (headers, request) => {
    const welcome = welcomes.get(request);
    if (welcome !== undefined) headers.push(`${WELCOME_HEADER}: ${toBase64Url(welcome)}`);
  });
  const refuse = (socket: Duplex, code: RefusalCode, message: string): void => {
    const text = `${code}: ${message}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
    socket.end(`HTTP/1.1 ${STATUS[code]}\r\n${ERROR_HEADER}: ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    const hello = parseHello(fromBase64Url(request.headers[HELLO_HEADER]));
    if (typeof hello === 'string') return refuse(socket, 'INVALID_ARGUMENT', `a bad hello: ${hello}`);
    const answer = gate(hello);
    if (!answer.ok) return refuse(socket, answer.refusal.code, answer.refusal.message);
    welcomes.set(request, answer.welcome);
    wss.handleUpgrade(request, socket, head, (ws) => onLink(socketLink(ws, options, socket), hello));
  };
  server.on('upgrade', onUpgrade);
  return {
    close(): void {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

/** Opens a link to the worker at `url` (ws:// or wss://), saying `hello`. */
export function dialWs(url: string, hello: Hello, options: DialOptions = {}): Promise<{ link: MessageLink; welcome: Welcome }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: { [HELLO_HEADER]: toBase64Url(hello) },
        maxPayload: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
    } catch (error) {
      reject(new ConnectionFailedError('INVALID_ARGUMENT', `cannot connect to '${url}': ${(error as Error).message}; use ws://host:port or wss://host:port.`));
      return;
    }
    let welcome: Welcome | undefined;
    let socket: Duplex | undefined;
    ws.once('upgrade', (response) => {
      socket = response.socket;
      welcome = fromBase64Url(response.headers[WELCOME_HEADER]) as Welcome | undefined;
    });
    ws.once('unexpected-response', (_request, response) => {
      const header = String(response.headers[ERROR_HEADER] ?? '');
      const [code, ...rest] = header.split(': ');
      const known = code === 'UNAUTHENTICATED' || code === 'WORKER_BUSY' || code === 'INVALID_ARGUMENT';
      reject(
        known
          ? new ConnectionFailedError(code, `${url} refused the connection: ${rest.join(': ')}`)
          : new ConnectionFailedError('CONNECTION_FAILED', `${url} answered HTTP ${response.statusCode}: is a syft-ts worker listening there?`),
      );
      ws.terminate();
    });
    ws.once('error', (error) => {
      const tls = /certificate|self.signed|TLS|SSL/i.test(error.message);
      reject(
        new ConnectionFailedError(
          'CONNECTION_FAILED',
          tls
            ? `the worker at ${url} presented a certificate this client does not trust (${error.message}); pass its CA certificate as { ca }.`
            : `cannot reach a worker at ${url} (${error.message}); start one with: npx syft-ts worker --id ${hello.worker} --port <port>.`,
        ),
      );
    });
    ws.once('open', () => {
      if (welcome === undefined || typeof welcome.worker !== 'string' || typeof welcome.session !== 'string') {
        ws.terminate();
        reject(new ConnectionFailedError('CONNECTION_FAILED', `${url} did not answer as a syft-ts worker (no welcome).`));
        return;
      }
      // Frames above the worker's limit are refused here, before they leave: the worker would close the link on them.
      const maxFrameBytes = Math.min(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, welcome.maxFrameBytes ?? Infinity);
      resolve({ link: socketLink(ws, { ...options, maxFrameBytes }, socket), welcome });
    });
  });
}
