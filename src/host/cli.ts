/**
 * `npx syft-ts worker --id bob --port 8777`: a worker a data owner runs as a
 * process of their own (src/host/process-main.ts).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError as CliArgumentError } from 'commander';
import { startProcessHost } from './process-main.js';

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new CliArgumentError(`expected a non-negative integer, got '${text}'`);
  return n;
}

function readSecret(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new CliArgumentError(`cannot read the ${what} file '${file}': ${(error as Error).message}`);
  }
  if (text === '') throw new CliArgumentError(`the ${what} file '${file}' is empty`);
  return text;
}

interface WorkerFlags {
  id: string;
  port?: number;
  host: string;
  tokenFile?: string;
  nats?: string;
  natsTokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  graceMs: number;
  maxFrameMb: number;
  heartbeatMs?: number;
  exitWithParent?: boolean;
}

export function runCli(argv: readonly string[] = process.argv): void {
  const program = new Command('syft-ts').description('syft-ts: privacy-preserving deep learning on data you do not own');
  program
    .command('worker')
    .description('serve a worker (its actors and their stores) to one client session at a time')
    .requiredOption('--id <id>', 'the worker id clients and peers ask for')
    .option('--port <port>', 'serve WebSocket on this port (0: any free port)', positiveInt)
    .option('--host <host>', 'the interface to listen on', '127.0.0.1')
    .option('--token-file <file>', 'the token clients must show (else SYFT_TOKEN, else a fresh one is printed)')
    .option('--nats <url>', 'also serve over this NATS server or cluster (nats://host:4222)')
    .option('--nats-token-file <file>', "the NATS server's token, when it requires one")
    .option('--tls-cert <file>', 'serve wss:// with this certificate (PEM)')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--grace-ms <ms>', "how long a dropped client's session keeps its objects", positiveInt, 60_000)
    .option('--max-frame-mb <mb>', 'the largest message accepted, in MB', positiveInt, 256)
    .option('--heartbeat-ms <ms>', 'how often each side of a link shows it is alive', positiveInt)
    .option('--exit-with-parent', 'stop when stdin closes: a worker a script started dies with the script')
    .action(async (flags: WorkerFlags) => {
      if (flags.port === undefined && flags.nats === undefined) throw new CliArgumentError('give --port (WebSocket), --nats <url>, or both');
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new CliArgumentError('--tls-cert and --tls-key go together');
      let token = flags.tokenFile === undefined ? process.env['SYFT_TOKEN'] : readSecret(flags.tokenFile, 'token');
      const generated = token === undefined || token === '';
      if (generated) token = randomBytes(24).toString('base64url');
      const nats =
        flags.nats === undefined
          ? undefined
          : await (await import('@nats-io/transport-node')).connect({
              servers: flags.nats,
              name: `syft-ts worker ${flags.id}`,
              maxReconnectAttempts: -1,
              ...(flags.natsTokenFile === undefined ? {} : { token: readSecret(flags.natsTokenFile, 'NATS token') }),
            });
      const host = await startProcessHost({
        id: flags.id,
        token: token!,
        ...(flags.port === undefined
          ? {}
          : {
              ws: {
                port: flags.port,
                host: flags.host,
                ...(flags.tlsCert === undefined ? {} : { tls: { cert: readFileSync(flags.tlsCert), key: readFileSync(flags.tlsKey!) } }),
              },
            }),
        ...(nats === undefined ? {} : { nats }),
        graceMs: flags.graceMs,
        maxFrameBytes: flags.maxFrameMb * 2 ** 20,
        ...(flags.heartbeatMs === undefined ? {} : { heartbeatMs: flags.heartbeatMs }),
        log: (line) => console.error(`[${flags.id}] ${line}`),
      });
      const where = [host.url, flags.nats === undefined ? undefined : `nats ${flags.nats}`].filter((w) => w !== undefined).join(' and ');
      // The first line of stdout says where: scripts that start workers wait for it.
      console.log(`syft-ts worker ${flags.id} listening on ${where}`);
      if (generated) console.log(`token: ${token!}`);
      const stop = (): void => {
        void host
          .close()
          .then(() => nats?.close())
          .finally(() => process.exit(0));
      };
      if (flags.exitWithParent === true) {
        process.stdin.on('error', stop).on('end', stop).on('close', stop).resume();
      }
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  program.parseAsync(argv).catch((error: Error) => {
    console.error(`syft-ts: ${error.message}`);
    process.exit(2);
  });
}
