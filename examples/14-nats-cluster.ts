/**
 * Workers on many machines, through a NATS cluster: three nats-server nodes on
 * loopback (as three machines would run them), bob attached to node 2, alice to
 * node 3, the model owner to node 1. Nobody needs anyone's address: workers are
 * reached by id. Shows a move from bob to alice that goes through the cluster
 * without touching the owner, a FedAvg run on MNIST between them, then node 3
 * restarting under alice, and two rounds after it.
 *
 *   npx tsx --expose-gc examples/14-nats-cluster.ts [--rounds 5] [--digits 4000] [--quick]
 *
 * With your own cluster and workers (one line per machine):
 *   nats-server -c node.conf                                           # routes to the others
 *   npx syft-ts worker --id bob --nats nats://<node>:4222 --token-file bob.token
 *   npx syft-ts worker --id alice --nats nats://<node>:4222 --token-file alice.token
 *   const cluster = await hook.connectNats('nats://<any node>:4222');
 *   const bob = await cluster.worker('bob', { token });
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { startCluster } from './_nats.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `Workers on a 3-node NATS cluster (started here on loopback; needs nats-server): bob on node 2,
alice on node 3, the owner on node 1. A move bob -> alice through the cluster, FedAvg on MNIST between
them, node 3 restarted under alice, two more rounds.`,
  takes: 'about 20-40 s (--quick: about 10 s)',
  options: {
    rounds: { type: 'integer', placeholder: 'n', default: 5, min: 1, description: 'FedAvg rounds before the restart' },
    digits: { type: 'integer', placeholder: 'n', default: 4000, min: 100, max: 8000, description: 'training digits shared between bob and alice' },
    quick: { type: 'boolean', description: 'a small variant for tests: 2 rounds on 1,000 digits' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);
const rounds = args.quick ? 2 : args.rounds;
const digitCount = args.quick ? 1000 : args.digits;

const nodes = await startCluster(3);
log(`NATS cluster: ${nodes.map((n) => n.url).join(', ')}`);
const [bobProcess, aliceProcess] = await Promise.all([
  sy.spawnWorker('bob', { nats: nodes[1]!.url }),
  sy.spawnWorker('alice', { nats: nodes[2]!.url }),
]);
log(`bob's process on node 2 (pid ${bobProcess.pid}), alice's on node 3 (pid ${aliceProcess.pid})`);

const hook = await sy.hook(tf);
const cluster = await hook.connectNats(nodes[0]!.url);
const bob = await cluster.worker('bob', { token: bobProcess.token });
const alice = await cluster.worker('alice', { token: aliceProcess.token });

// A move between two machines: bob's process sends it to alice's, through the cluster (chunked: 4 MB > 1 MB max payload).
const x = tf.randomNormal([1_000_000], 0, 1, 'float32', 1);
const expected = x.sum().dataSync()[0]!;
const atBob = x.send(bob);
await hook.settle();
const before = hook.transportStats();
const t0 = performance.now();
const atAlice = atBob.move(alice);
await hook.settle();
const moveMs = performance.now() - t0;
const after = hook.transportStats();
const sumAtAlice = (await atAlice.sum().get()).dataSync()[0]!;
console.log(
  `move of 4 MB bob -> alice: ${moveMs.toFixed(0)} ms; sum at alice ${sumAtAlice.toFixed(3)} (sent ${expected.toFixed(3)}); ` +
    `tensor bytes through the owner: ${after.tensorBytesOut - before.tensorBytesOut + after.tensorBytesIn - before.tensorBytesIn}`,
);
atAlice.dispose();

// FedAvg on MNIST between bob and alice.
const digits = await sy.datasets.mnist();
const images = tf.slice(digits.train.images, 0, digitCount);
const labels = tf.slice(digits.train.labels, 0, digitCount);
const federated = sy.federate(new sy.BaseDataset(images, labels), [bob, alice], { partition: 'iid', seed: 1 });
const model = sy.nn.sequential(sy.nn.linear(784, 128), sy.nn.relu(), sy.nn.linear(128, 10));
function testAccuracy(m: sy.nn.Module): number {
  return sy.noGrad(() =>
    tf.tidy(() => {
      const predicted = tf.argMax((m.forward(sy.tensor(digits.test.images)) as sy.SyftTensor).tensor, 1);
      return tf.mean(tf.cast(tf.equal(predicted, tf.tensor1d(digits.test.labelIndices, 'int32')), 'float32')).dataSync()[0]!;
    }),
  );
}
const options = {
  localEpochs: 1,
  batchSize: 64,
  shuffle: true,
  loss: 'crossEntropy' as const,
  optimizer: { kind: 'sgd' as const, lr: 0.1 },
  evaluate: (m: sy.nn.Module) => ({ testAccuracy: testAccuracy(m) }),
};
const first = await sy.federated.fedAvg(model, federated, { ...options, rounds });
log(sy.reporting.formatSummaryTable(first.rounds));
const accuracy = first.rounds[first.rounds.length - 1]!.testAccuracy!;
console.log(`FedAvg over the cluster: ${rounds} round(s), held-out accuracy ${(100 * accuracy).toFixed(2)}% on ${digits.test.length} digits`);

// Node 3 restarts under alice: her NATS connection comes back. If a frame to or from her was lost meanwhile, her
// link closes, the round leaves her out and says why, and the owner redials; her session kept every object, so
// the round after finds her data where it was.
await nodes[2]!.restart();
log('node 3 restarted');
const last = await sy.federated.fedAvg(first.model, federated, { ...options, rounds: 2 });
for (const round of last.rounds) {
  console.log(
    `round ${round.round} after the restart: ${round.participants.join(' and ')}` +
      (round.excluded.length > 0 ? `, left out ${round.excluded.map((e) => `${e.worker} (${e.reason.split(';')[0]})`).join(', ')}` : '') +
      `; held-out accuracy ${(100 * round.testAccuracy!).toFixed(2)}%`,
  );
}

federated.dispose();
await hook.shutdown();
await Promise.all([bobProcess.stop(), aliceProcess.stop()]);
await Promise.all(nodes.map((n) => n.stop()));
