/**
 * Real nats-server processes on free loopback ports, for example 14, bench/network.ts and the NATS tests: one
 * server (`startNats`) or a cluster whose nodes route to each other
 * (`startCluster`), each ready to use when the promise resolves (a cluster:
 * every node has its routes to all the others). The binary is $NATS_SERVER,
 * or nats-server on the PATH or in the usual places; without it this throws,
 * saying how to get it: NATS tests fail loudly, they never skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  /** The monitoring endpoint, http://127.0.0.1:<port> (/varz, /routez, /connz ...). */
  readonly monitorUrl: string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts the server again on the same ports (killed or stopped or not); a cluster node waits for its routes again. */
  restart(): Promise<void>;
  /** SIGTERM, and waits until the process has exited. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** The server's max_payload in bytes (nats-server's default is 1 MiB). */
  readonly maxPayload?: number;
  /** Clients must present this token (NATS's own authorization, not a syft-ts worker token). */
  readonly token?: string;
}

const CANDIDATES = ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

const found = new Map<string, string>();
/** The nats-server binary: $NATS_SERVER when set, else the first of CANDIDATES that runs. */
function binary(): string {
  const override = process.env['NATS_SERVER'];
  const candidates = override === undefined || override === '' ? CANDIDATES : [override];
  const key = candidates.join('\n');
  const known = found.get(key);
  if (known !== undefined) return known;
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) {
      found.set(key, candidate);
      return candidate;
    }
  }
  throw new Error(
    `nats-server is not installed (looked for ${candidates.join(', ')}), and the NATS tests start their own servers. ` +
      'Install it: `apt-get install nats-server` on Debian/Ubuntu, or put a release binary from https://github.com/nats-io/nats-server/releases ' +
      'on your PATH (or name it in the NATS_SERVER environment variable).',
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Every process started here: killed when this process exits, so a failed test leaves no server behind. */
const running = new Set<ChildProcess>();
let reaping = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!reaping) {
    reaping = true;
    process.once('exit', () => running.forEach((c) => c.kill('SIGKILL')));
  }
}

function launch(config: string): Promise<ChildProcess> {
  const child = spawn(binary(), ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server (${config}) was not ready within 10 s; its log:\n${log}`));
    }, 10_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(new Error(`nats-server (${config}) exited (${signal ?? `code ${code}`}) before it was ready; its log:\n${log}`));
    };
    child.once('exit', onExit);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-8_000);
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stderr!.resume(); // keep draining, so a chatty server never blocks on a full pipe
        resolve(child);
      }
    });
  });
}

async function routeCount(monitorUrl: string): Promise<number> {
  try {
    const response = await fetch(`${monitorUrl}/routez`);
    return ((await response.json()) as { num_routes: number }).num_routes;
  } catch {
    return -1;
  }
}

async function untilRouted(monitorUrl: string, others: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let routes = await routeCount(monitorUrl);
  while (routes < others) {
    if (Date.now() > deadline) throw new Error(`the nats-server at ${monitorUrl} has ${routes} routes after 10 s, not the ${others} to the other nodes`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    routes = await routeCount(monitorUrl);
  }
}

interface Plan {
  readonly port: number;
  readonly monitor: number;
  readonly routePort: number | undefined;
}

/**
 * A free port is free only when we look: another process (a parallel test run)
 * may bind it before nats-server does, which then exits or never routes. So a
 * failed start is tried once more, on fresh ports.
 */
async function startServers(size: number, options: NatsServerOptions): Promise<NatsServer[]> {
  binary(); // before anything else: a missing binary is the error to show
  try {
    return await startOnFreshPorts(size, options);
  } catch {
    return startOnFreshPorts(size, options);
  }
}

async function startOnFreshPorts(size: number, options: NatsServerOptions): Promise<NatsServer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'syft-nats-'));
  const plans: Plan[] = [];
  for (let i = 0; i < size; i++) plans.push({ port: await freePort(), monitor: await freePort(), routePort: size > 1 ? await freePort() : undefined });
  const configs = plans.map((plan, i) => {
    const lines = [`server_name: syft-test-${i}`, `listen: 127.0.0.1:${plan.port}`, `http: 127.0.0.1:${plan.monitor}`];
    if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);
    if (options.token !== undefined) lines.push(`authorization { token: ${JSON.stringify(options.token)} }`);
    if (plan.routePort !== undefined) {
      const routes = plans.filter((p) => p !== plan).map((p) => `nats-route://127.0.0.1:${p.routePort}`);
      lines.push(`cluster { name: syft-test, listen: 127.0.0.1:${plan.routePort}, routes: [${routes.join(', ')}] }`);
    }
    const file = join(dir, `node-${i}.conf`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  });
  const children: (ChildProcess | undefined)[] = [];
  const started = await Promise.allSettled(configs.map((config) => launch(config)));
  started.forEach((s, i) => (children[i] = s.status === 'fulfilled' ? s.value : undefined));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    children.forEach((c) => c?.kill('SIGKILL'));
    throw failed.reason;
  }
  const monitorUrl = (i: number): string => `http://127.0.0.1:${plans[i]!.monitor}`;
  try {
    await Promise.all(plans.map((_, i) => untilRouted(monitorUrl(i), size - 1)));
  } catch (error) {
    children.forEach((c) => c?.kill('SIGKILL'));
    throw error;
  }

  const exit = (i: number, signal: NodeJS.Signals): Promise<void> => {
    const child = children[i];
    children[i] = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };
  return plans.map((plan, i) => ({
    url: `nats://127.0.0.1:${plan.port}`,
    monitorUrl: monitorUrl(i),
    kill: () => exit(i, 'SIGKILL'),
    stop: () => exit(i, 'SIGTERM'),
    async restart(): Promise<void> {
      await exit(i, 'SIGKILL');
      children[i] = await launch(configs[i]!);
      await untilRouted(monitorUrl(i), size - 1);
    },
  }));
}

/** One nats-server on loopback. */
export async function startNats(options: NatsServerOptions = {}): Promise<NatsServer> {
  return (await startServers(1, options))[0]!;
}

/** `size` nats-server processes routed as one cluster (all routes up when this resolves). */
export async function startCluster(size: number, options: NatsServerOptions = {}): Promise<NatsServer[]> {
  if (!Number.isInteger(size) || size < 2) throw new Error(`a cluster has at least 2 nodes, not ${size}; use startNats() for one server`);
  return startServers(size, options);
}
