/** Options of hook.connect and hook.connectNats, checked before anything is dialled. */
import type { NatsConnection } from '@nats-io/transport-node';
import { ConnectionFailedError, InvalidArgumentError } from '../core/errors.js';
import { MAX_NAME_LENGTH } from '../core/wire-schema.js';
import type { VirtualWorker } from './virtual-worker.js';
import type { ReconnectOptions } from './remote-transport.js';

export interface ConnectOptions {
  /** The worker's id (its --id). */
  readonly id: string;
  /** The worker's token (its --token-file, or the token it printed). */
  readonly token: string;
  /** CA certificate(s) to trust for a wss:// worker with a self-signed certificate (PEM). */
  readonly ca?: string | Buffer;
  /** How often the link shows it is alive; a peer silent for two intervals is cut off (default 5 s). */
  readonly heartbeatMs?: number;
  /** How a dropped link is redialled (default: for 30 s, backoff from 100 ms to 2 s). */
  readonly reconnect?: Partial<ReconnectOptions>;
}

export interface NatsOptions {
  /** The NATS server's token, when it requires one. */
  readonly token?: string;
  readonly user?: string;
  readonly pass?: string;
}

/** A NATS server or cluster: workers on it are reached by id, on whichever node they are attached to. */
export interface NatsNetwork {
  readonly url: string;
  worker(id: string, options: Omit<ConnectOptions, 'id' | 'ca'>): Promise<VirtualWorker>;
}

export function checkConnectOptions(where: string, options: ConnectOptions): { id: string; token: string } {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`hook.${where} needs { id, token }: the worker's id and the token it was started with.`);
  }
  const { id, token, reconnect } = options;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(`hook.${where}: id must be the worker's id (its --id), a non-empty string.`);
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw new InvalidArgumentError(`hook.${where}: token must be the worker's token (its --token-file, or the token it printed at start).`);
  }
  for (const key of ['windowMs', 'firstDelayMs', 'maxDelayMs'] as const) {
    const v = reconnect?.[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < 2 ** 31)) {
      throw new InvalidArgumentError(`hook.${where}: reconnect.${key} must be a non-negative integer of milliseconds, got ${String(v)}.`);
    }
  }
  const hb = options.heartbeatMs;
  if (hb !== undefined && !(Number.isInteger(hb) && hb >= 10 && hb < 2 ** 31)) {
    throw new InvalidArgumentError(`hook.${where}: heartbeatMs must be an integer of at least 10 ms, got ${String(hb)}.`);
  }
  return { id, token };
}

export async function connectToNats(url: string, options: NatsOptions): Promise<NatsConnection> {
  if (typeof url !== 'string' || !/^(nats|tls):\/\/[^/]+/.test(url)) {
    throw new InvalidArgumentError(`hook.connectNats: '${String(url)}' is not a NATS address; use nats://host:4222.`);
  }
  const { connect } = await import('@nats-io/transport-node');
  try {
    return await connect({
      servers: url,
      name: 'syft-ts client',
      maxReconnectAttempts: -1,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.user === undefined ? {} : { user: options.user, pass: options.pass ?? '' }),
    });
  } catch (error) {
    throw new ConnectionFailedError('CONNECTION_FAILED', `cannot reach the NATS server at ${url} (${(error as Error).message}); is nats-server running there?`);
  }
}
