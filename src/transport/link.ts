/**
 * A link: one connection between two processes (a client and a worker, or two
 * workers) over which comlink runs, whatever carries it (a WebSocket:
 * src/transport/ws-link.ts; NATS subjects: src/transport/nats-link.ts). Every
 * message is one codec frame (src/transport/codec.ts): plain data, tensors as
 * raw bytes, nothing else can cross.
 *
 * A link opens with a hello from the side that dials, answered with a welcome
 * or a coded refusal before any frame of the protocol is read: a peer that
 * has not shown the worker's token never reaches the decoder.
 */
import type { Endpoint } from 'comlink';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { encode } from './codec.js';
import { MAX_NAME_LENGTH } from '../core/wire-schema.js';

/** What a link is to the session code on either side. */
export interface MessageLink {
  /** Carries codec frames; comlink wraps or exposes on it. */
  readonly endpoint: Endpoint;
  /** Resolves with the reason once the link is gone: closed by either side, the peer silent too long, the carrier lost. */
  readonly closed: Promise<string>;
  close(reason: string): void;
  /** Whether the link keeps this process alive (a client holds it only while a call is in flight). */
  ref(): void;
  unref(): void;
}

/**
 * The dialer's opening words. `session` names the client's session at the
 * worker: a new one starts fresh, a known one resumes (its objects were kept).
 * A `peer` is another worker of the same session, reaching this one directly
 * (moves, chains and share openings between workers never pass through the client).
 */
export interface Hello {
  readonly v: 1;
  readonly token: string;
  readonly role: 'client' | 'peer';
  /** The worker id the dialer expects to reach. */
  readonly worker: string;
  readonly session: string;
  /** A peer's host name, as this worker's actors address it. */
  readonly from?: string;
  /**
   * Set where others may read the hello (a NATS subject): then `token` is not
   * the secret but HMAC-SHA256(secret, nonce), and the nonce is never accepted twice.
   */
  readonly nonce?: string;
}

export interface Welcome {
  readonly worker: string;
  readonly session: string;
  /** The session existed and kept its objects (a reconnect within the grace period). */
  readonly resumed: boolean;
  /** To a client: the secret other workers of this session show when they dial in as peers. */
  readonly ticket?: string;
  /** To a client: the largest frame this worker accepts. */
  readonly maxFrameBytes?: number;
}

export type RefusalCode = 'UNAUTHENTICATED' | 'WORKER_BUSY' | 'INVALID_ARGUMENT';

interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
}

export type Answer = { readonly ok: true; readonly welcome: Welcome } | { readonly ok: false; readonly refusal: Refusal };

/** How a worker decides on a hello (the same rule over every carrier). */
export type Gate = (hello: Hello) => Answer;

const SESSION = /^[A-Za-z0-9_-]{8,64}$/;

/** The hello in `value`, or why it is not one. Untrusted input: nothing in it is followed or run. */
export function parseHello(value: unknown): Hello | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a hello is an object';
  const h = value as Record<string, unknown>;
  if (h['v'] !== 1) return 'unknown hello version (this worker speaks v1)';
  if (typeof h['token'] !== 'string' || h['token'].length > 4096) return 'the token must be a string';
  if (h['role'] !== 'client' && h['role'] !== 'peer') return "role must be 'client' or 'peer'";
  if (typeof h['worker'] !== 'string' || h['worker'].length === 0 || h['worker'].length > MAX_NAME_LENGTH) return 'worker must name the worker to reach';
  if (typeof h['session'] !== 'string' || !SESSION.test(h['session'])) return 'session must be 8-64 characters of [A-Za-z0-9_-]';
  if (h['nonce'] !== undefined && (typeof h['nonce'] !== 'string' || !SESSION.test(h['nonce']))) return 'a nonce is 8-64 characters of [A-Za-z0-9_-]';
  if (h['role'] === 'peer' && (typeof h['from'] !== 'string' || h['from'].length === 0 || h['from'].length > MAX_NAME_LENGTH)) {
    return "a peer's hello names its host (from)";
  }
  return {
    v: 1,
    token: h['token'],
    role: h['role'],
    worker: h['worker'],
    session: h['session'],
    ...(h['role'] === 'peer' ? { from: h['from'] as string } : {}),
    ...(typeof h['nonce'] === 'string' ? { nonce: h['nonce'] } : {}),
  };
}

/** What a hello carrying `nonce` shows instead of the secret itself. */
export function proveToken(secret: string, nonce: string): string {
  return createHmac('sha256', secret).update(nonce, 'utf8').digest('base64url');
}

/** Whether `hello` shows `secret`: the secret itself, or its proof over the hello's nonce. */
export function showsSecret(hello: Hello, secret: string): boolean {
  return tokensMatch(hello.token, hello.nonce === undefined ? secret : proveToken(secret, hello.nonce));
}

/** Compares tokens in constant time (hashes first, so their lengths leak nothing either). */
function tokensMatch(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A fresh session id from the CSPRNG. */
export function newSessionId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

type Listener = Parameters<Endpoint['addEventListener']>[1];

/**
 * The comlink side of a carrier: messages leave as codec frames through
 * `send`, refused above `limit()` bytes before anything is sent (thrown inside
 * comlink's request, so the call rejects and the link stays up); `receive`
 * hands a decoded message to comlink's listeners and returns what they threw
 * (a request or reply comlink could not read), never throwing into the carrier.
 */
export function frameEndpoint(limit: () => number, send: (frame: Uint8Array) => void): { endpoint: Endpoint; receive(message: unknown): Error | undefined } {
  const listeners = new Set<Listener>();
  return {
    endpoint: {
      postMessage(message: unknown): void {
        const frame = new Uint8Array(encode(message));
        if (frame.byteLength > limit()) {
          throw new InvalidArgumentError(
            `a message of ${frame.byteLength} bytes exceeds the link's frame limit of ${limit()} bytes; ` +
              'send the tensor in parts, or start the worker with a larger --max-frame-mb.',
          );
        }
        send(frame);
      },
      addEventListener: (_type, listener) => listeners.add(listener),
      removeEventListener: (_type, listener) => listeners.delete(listener),
    },
    receive(message: unknown): Error | undefined {
      const event = { data: message } as MessageEvent;
      try {
        for (const listener of listeners) {
          if (typeof listener === 'function') listener(event);
          else listener.handleEvent(event);
        }
        return undefined;
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    },
  };
}
