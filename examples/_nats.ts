/**
 * nats-server processes on loopback, for example 14 and the NATS tests: one
 * server, or a cluster whose nodes route to each other. nats-server is a
 * Debian package (`apt-get install nats-server`); without it this fails
 * saying how to get it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsNode {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same ports (after kill or stop). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function binary(): string {
  for (const candidate of ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error(
    'nats-server is not installed, and the NATS tests and example 14 start their own. ' +
      'Install it: `apt-get install nats-server` (Debian/Ubuntu; .ci/run does this), or a release from https://github.com/nats-io/nats-server/releases.',
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

async function routes(monitor: number): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${monitor}/routez`);
    return ((await response.json()) as { num_routes: number }).num_routes;
  } catch {
    return -1;
  }
}

interface NodePlan {
  readonly port: number;
  readonly monitor: number;
  readonly cluster: number | undefined;
}

function startProcess(bin: string, config: string): Promise<ChildProcess> {
  const child = spawn(bin, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s: ${log}`)), 10_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with code ${code}: ${log}`));
    });
  });
}

/** Starts `size` nats-server processes (routed as one cluster when size > 1) and waits until every route is up. */
export async function startNatsCluster(size = 1, options: { maxPayload?: number } = {}): Promise<NatsNode[]> {
  const bin = binary();
  const dir = mkdtempSync(join(tmpdir(), 'syft-nats-'));
  const plans: NodePlan[] = [];
  for (let i = 0; i < size; i++) plans.push({ port: await freePort(), monitor: await freePort(), cluster: size > 1 ? await freePort() : undefined });
  const configs = plans.map((plan, i) => {
    const file = join(dir, `node-${i}.conf`);
    const lines = [`listen: 127.0.0.1:${plan.port}`, `http: 127.0.0.1:${plan.monitor}`, `server_name: syft-nats-${i}`];
    if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);
    if (plan.cluster !== undefined) {
      const others = plans.filter((p) => p !== plan).map((p) => `nats-route://127.0.0.1:${p.cluster}`);
      lines.push(`cluster { name: syft, listen: 127.0.0.1:${plan.cluster}, routes: [${others.join(', ')}] }`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  });
  const children: (ChildProcess | undefined)[] = await Promise.all(configs.map((c) => startProcess(bin, c)));
  const untilRouted = async (i: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while ((await routes(plans[i]!.monitor)) < size - 1) {
      if (Date.now() > deadline) throw new Error(`nats-server node ${i} has no route to all ${size - 1} others after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await Promise.all(plans.map((_, i) => untilRouted(i)));
  const exit = (i: number, signal: NodeJS.Signals): Promise<void> => {
    const child = children[i];
    children[i] = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };
  // Servers a script started die with it.
  process.once('exit', () => children.forEach((c) => c?.kill('SIGKILL')));
  return plans.map((plan, i) => ({
    url: `nats://127.0.0.1:${plan.port}`,
    kill: () => exit(i, 'SIGKILL'),
    stop: () => exit(i, 'SIGTERM'),
    async restart(): Promise<void> {
      await exit(i, 'SIGKILL');
      children[i] = await startProcess(bin, configs[i]!);
      await untilRouted(i);
    },
  }));
}
