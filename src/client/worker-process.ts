/**
 * Starts `syft-ts worker` as a child process of this one, for a script that
 * plays every party on one machine (PySyft's run_websocket_server.py, started
 * from the notebook), for tests, and for `sy.hook(tf, { hosts: 'processes' })`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ConnectionFailedError, InvalidArgumentError } from '../core/errors.js';
import { processEntry } from '../transport/thread-entry.js';

export interface SpawnWorkerOptions {
  /** Serve WebSocket on this port (default: any free port, when not on NATS). */
  readonly port?: number;
  /** Join this NATS server or cluster. */
  readonly nats?: string;
  /** The token clients must show (default: a fresh random one). */
  readonly token?: string;
  readonly graceMs?: number;
  readonly heartbeatMs?: number;
  readonly maxFrameMb?: number;
  /** How long to wait for the worker to listen (ms, default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface WorkerProcess {
  readonly id: string;
  readonly token: string;
  /** ws://127.0.0.1:<port> when serving WebSocket. */
  readonly url: string | undefined;
  readonly pid: number;
  /** What the worker logged (stderr). */
  readonly log: readonly string[];
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<string>;
  /** SIGKILL: what a crash looks like (the kernel closes its sockets). */
  kill(): void;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

function flag(name: string, value: number | undefined): string[] {
  if (value === undefined) return [];
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new InvalidArgumentError(`spawnWorker: ${name} must be a non-negative integer, got ${String(value)}.`);
  return [`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value)];
}

/** Kills of the workers this process started and has not stopped: one exit listener for them all. */
const running = new Set<() => void>();
process.once('exit', () => running.forEach((kill) => kill()));

export async function spawnWorker(id: string, options: SpawnWorkerOptions = {}): Promise<WorkerProcess> {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError('spawnWorker: the worker needs an id, e.g. "bob".');
  const token = options.token ?? randomBytes(24).toString('base64url');
  const args = [
    ...processEntry().args,
    'worker',
    '--id',
    id,
    ...(options.nats === undefined ? [] : ['--nats', options.nats]),
    ...(options.port !== undefined || options.nats === undefined ? flag('port', options.port ?? 0) : []),
    ...flag('graceMs', options.graceMs),
    ...flag('heartbeatMs', options.heartbeatMs),
    ...flag('maxFrameMb', options.maxFrameMb),
    '--exit-with-parent',
  ];
  // The token goes by environment, never on the command line (ps shows that to every user).
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SYFT_TOKEN: token } });
  const log: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)));
  void exited.then(() => running.delete(kill));
  const url = await new Promise<string | undefined>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ConnectionFailedError('CONNECTION_FAILED', `worker '${id}' did not start within ${options.startTimeoutMs ?? 60_000} ms: ${log.join('').slice(-500)}`));
    }, options.startTimeoutMs ?? 60_000);
    const onData = (chunk: string): void => {
      out += chunk;
      const line = /listening on (.*)\n/.exec(out);
      if (line === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve(/(wss?:\/\/\S+)/.exec(line[1]!)?.[1]);
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new ConnectionFailedError('CONNECTION_FAILED', `worker '${id}' stopped before listening (${how}): ${log.join('').slice(-1000)}`));
    });
  });
  // A script that forgets to stop its workers must still exit: the children die with it (see below).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  running.add(kill);
  return {
    id,
    token,
    url,
    pid: child.pid!,
    log,
    exited,
    kill,
    async stop(): Promise<void> {
      // Unreferenced so a forgotten worker never holds the script; a stop in progress must.
      child.ref();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      running.delete(kill);
    },
  };
}
