/**
 * The baselines of bench/network.ts, in a process of their own as a worker
 * would be: a bare `ws` server that echoes every frame (`ws`), and a bare NATS
 * responder that echoes every request (`nats <url>`). Prints `ready <port>`.
 */
import { WebSocketServer } from 'ws';

const [mode, natsUrl] = process.argv.slice(2);
if (mode === 'ws') {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 64 * 2 ** 20, perMessageDeflate: false });
  // A frame that starts with 1 is a bulk transfer: answered with one byte, as a receiver's acknowledgement.
  server.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data[0] === 1 ? data.subarray(0, 1) : data)));
  server.on('listening', () => console.log(`ready ${(server.address() as { port: number }).port}`));
} else if (mode === 'nats') {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: natsUrl });
  nc.subscribe('bench.echo', {
    callback: (_error, msg) => {
      msg.respond(msg.data);
    },
  });
  await nc.flush();
  console.log('ready 0');
} else {
  throw new Error(`unknown mode ${mode}`);
}
