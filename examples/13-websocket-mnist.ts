/**
 * PySyft's websockets-example-MNIST, in syft-ts: bob and alice are worker
 * processes of their own (PySyft's run_websocket_server.py), the script
 * connects to them over WebSocket, federates the MNIST training digits between
 * them, and trains example 06's CNN by FedAvg: the same model, optimizer,
 * batch and rounds, so it reaches the same held-out accuracy. Then it stops
 * the workers it started.
 *
 *   npx tsx --expose-gc examples/13-websocket-mnist.ts [--rounds 6] [--quick] [--quiet]
 *
 * With workers you start yourself (two terminals, then this script):
 *   npx syft-ts worker --id bob --port 8777 --token-file bob.token
 *   npx syft-ts worker --id alice --port 8778 --token-file alice.token
 *   npx tsx --expose-gc examples/13-websocket-mnist.ts --bob ws://127.0.0.1:8777 --alice ws://127.0.0.1:8778 \
 *       --bob-token-file bob.token --alice-token-file alice.token
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `PySyft's websockets-example-MNIST: bob and alice as worker processes reached over WebSocket,
example 06's CNN trained on their digits by FedAvg; held-out accuracy on 2,000 digits they never saw.
Starts the two workers itself unless given their addresses.`,
  takes: 'about 60-90 s (--quick: about 10 s)',
  options: {
    rounds: { type: 'integer', placeholder: 'n', default: 6, min: 1, description: 'FedAvg rounds (example 06 trains its CNN for 6)' },
    bob: { type: 'string', placeholder: 'url', description: "bob's address, for a worker you started (npx syft-ts worker --id bob --port 8777)" },
    alice: { type: 'string', placeholder: 'url', description: "alice's address" },
    'bob-token-file': { type: 'string', placeholder: 'file', description: "bob's token (his --token-file)" },
    'alice-token-file': { type: 'string', placeholder: 'file', description: "alice's token" },
    quick: { type: 'boolean', description: 'a small variant for tests: 2 rounds on 2,000 digits' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);

// The workers: yours, or two started here as child processes (each with a fresh token, on a free port).
const started: sy.WorkerProcess[] = [];
async function worker(id: 'bob' | 'alice'): Promise<{ url: string; token: string }> {
  const url = args[id];
  if (url !== undefined) {
    const file = args[`${id}-token-file`];
    if (file === undefined) throw new Error(`--${id} needs --${id}-token-file (the token ${id}'s worker was started with)`);
    return { url, token: readFileSync(file, 'utf8').trim() };
  }
  const child = await sy.spawnWorker(id);
  started.push(child);
  log(`started ${id}: npx syft-ts worker --id ${id} (pid ${child.pid}) listening on ${child.url}`);
  return { url: child.url!, token: child.token };
}
const [bobAt, aliceAt] = await Promise.all([worker('bob'), worker('alice')]);

const hook = await sy.hook(tf);
const bob = await hook.connect(bobAt.url, { id: 'bob', token: bobAt.token });
const alice = await hook.connect(aliceAt.url, { id: 'alice', token: aliceAt.token });

const digits = await sy.datasets.mnist();
const trainCount = args.quick ? 2000 : digits.train.length;
const rounds = args.quick ? 2 : args.rounds;
log(`MNIST from ${digits.source}: ${trainCount} training digits for bob and alice, ${digits.test.length} held out (backend ${hook.backend})`);

// Example 06's CNN, optimizer and batch.
const model = sy.nn.sequential(
  sy.nn.conv2d(1, 8, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
  sy.nn.conv2d(8, 16, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
  sy.nn.flatten(256), sy.nn.linear(256, 64), sy.nn.relu(), sy.nn.linear(64, 10),
);
const images = tf.slice(digits.train.images, 0, trainCount).reshape([-1, 28, 28, 1]);
const labels = tf.slice(digits.train.labels, 0, trainCount);
const testImages = digits.test.images.reshape([-1, 28, 28, 1]);

/** Held-out accuracy, in batches of 500 (the owner's copy of the test digits). */
function testAccuracy(m: sy.nn.Module): number {
  let correct = 0;
  for (let start = 0; start < digits.test.length; start += 500) {
    const size = Math.min(500, digits.test.length - start);
    correct += sy.noGrad(() =>
      tf.tidy(() => {
        const batch = sy.tensor(tf.slice(testImages, start, size));
        const predicted = tf.argMax((m.forward(batch) as sy.SyftTensor).tensor, 1);
        return tf.sum(tf.equal(predicted, tf.tensor1d(digits.test.labelIndices.subarray(start, start + size), 'int32'))).dataSync()[0]!;
      }),
    );
  }
  return correct / digits.test.length;
}

// federated_train_loader = sy.FederatedDataLoader(datasets.MNIST(...).federate((bob, alice)), ...)
const sent = hook.transportStats();
const federated = sy.federate(new sy.BaseDataset(images, labels), [bob, alice], { partition: 'iid', seed: 1 });
await hook.settle();
const afterSend = hook.transportStats();
log(`digits sent to bob and alice over WebSocket: ${((afterSend.tensorBytesOut - sent.tensorBytesOut) / 2 ** 20).toFixed(1)} MB in binary frames`);

const t0 = performance.now();
const { rounds: results } = await sy.federated.fedAvg(model, federated, {
  rounds,
  localEpochs: 1,
  batchSize: 64,
  shuffle: true,
  seed: 1,
  loss: 'crossEntropy',
  optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 },
  progress: !quiet,
  evaluate: (m) => ({ testAccuracy: testAccuracy(m) }),
});
const trained = hook.transportStats();
log(sy.reporting.formatSummaryTable(results));
const final = results[results.length - 1]!.testAccuracy!;
console.log(
  `CNN trained by FedAvg over WebSocket: held-out accuracy ${(100 * final).toFixed(2)}% after ${results.length} round(s), ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s; model traffic ${((trained.tensorBytesOut - afterSend.tensorBytesOut + trained.tensorBytesIn - afterSend.tensorBytesIn) / 2 ** 20 / results.length).toFixed(2)} MB per round`,
);

federated.dispose();
await hook.shutdown();
await Promise.all(started.map((w) => w.stop()));
log(`stopped ${started.map((w) => w.id).join(' and ') || 'nothing (the workers are yours)'}`);
