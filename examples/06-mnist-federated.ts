/**
 * The seed's MNIST tutorial, federated: the training digits are split between
 * bob and alice, who train at the same time (each on its own thread), and the
 * model owner averages their models after every local epoch (FedAvg). Two
 * models: the seed's MLP 784-500-10 with SGD lr 0.01, batch 64, and a small
 * CNN (SGD lr 0.05, momentum 0.9, batch 64). Held-out accuracy on 2,000 digits
 * the workers never saw.
 *
 *   npx tsx examples/06-mnist-federated.ts [--model mlp|cnn|both] [--mlp-rounds 10] [--cnn-rounds 6]
 *                                          [--data ../shared/data/mnist] [--quiet] [--out results/06-mnist]
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import * as sy from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'both' },
    'mlp-rounds': { type: 'string', default: '10' },
    'cnn-rounds': { type: 'string', default: '6' },
    data: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    out: { type: 'string', default: 'results/06-mnist' },
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);

const hook = await sy.hook(tf);
const digits = await sy.datasets.mnist(args.data === undefined ? {} : { dir: args.data });
log(`MNIST from ${digits.source}: ${digits.train.length} training digits, ${digits.test.length} held out (backend ${hook.backend})`);

// bob and alice on two threads: their local epochs run at the same time.
const [bob, alice] = await hook.virtualWorkers(['bob', 'alice'], { threads: 2 });

interface Setup {
  readonly name: string;
  readonly model: sy.nn.Module;
  readonly images: tf.Tensor;
  readonly testImages: tf.Tensor;
  readonly optimizer: sy.federated.FedAvgOptions<sy.nn.Module>['optimizer'];
  readonly rounds: number;
}

const setups: Setup[] = [];
if (args.model !== 'cnn') {
  setups.push({
    name: 'MLP 784-500-10 (the seed: SGD lr 0.01, batch 64)',
    model: sy.nn.sequential(sy.nn.linear(784, 500), sy.nn.relu(), sy.nn.linear(500, 10)),
    images: digits.train.images,
    testImages: digits.test.images,
    optimizer: { kind: 'sgd', lr: 0.01 },
    rounds: Number(args['mlp-rounds']),
  });
}
if (args.model !== 'mlp') {
  setups.push({
    name: 'CNN conv5x5(8)-pool-conv5x5(16)-pool-64-10 (SGD lr 0.05, momentum 0.9, batch 64)',
    model: sy.nn.sequential(
      sy.nn.conv2d(1, 8, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
      sy.nn.conv2d(8, 16, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
      sy.nn.flatten(256), sy.nn.linear(256, 64), sy.nn.relu(), sy.nn.linear(64, 10),
    ),
    images: digits.train.images.reshape([-1, 28, 28, 1]),
    testImages: digits.test.images.reshape([-1, 28, 28, 1]),
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 },
    rounds: Number(args['cnn-rounds']),
  });
}

/** Held-out accuracy, in batches of 500 (the owner's copy of the test digits). */
function testAccuracy(model: sy.nn.Module, images: tf.Tensor): number {
  let correct = 0;
  for (let start = 0; start < digits.test.length; start += 500) {
    const size = Math.min(500, digits.test.length - start);
    correct += sy.noGrad(() =>
      tf.tidy(() => {
        const batch = sy.tensor(tf.slice(images, start, size));
        const predicted = tf.argMax((model.forward(batch) as sy.SyftTensor).tensor, 1);
        return tf.sum(tf.equal(predicted, tf.tensor1d(digits.test.labelIndices.subarray(start, start + size), 'int32'))).dataSync()[0]!;
      }),
    );
  }
  return correct / digits.test.length;
}

const best: Array<{ name: string; accuracy: number }> = [];
for (const [k, setup] of setups.entries()) {
  log(`\n${setup.name}: ${setup.rounds} rounds of one local epoch at bob and alice at once`);
  const federated = sy.federate(new sy.BaseDataset(setup.images, digits.train.labels), [bob!, alice!], { partition: 'iid', seed: 1 });
  const t0 = performance.now();
  const { rounds } = await sy.federated.fedAvg(setup.model, federated, {
    rounds: setup.rounds,
    localEpochs: 1,
    batchSize: 64,
    shuffle: true,
    seed: k,
    loss: 'crossEntropy',
    optimizer: setup.optimizer,
    progress: !quiet,
    evaluate: (m) => ({ testAccuracy: testAccuracy(m, setup.testImages) }),
  });
  log(sy.reporting.formatSummaryTable(rounds));
  const final = rounds[rounds.length - 1]!.testAccuracy!;
  console.log(`${setup.name}: held-out accuracy ${(100 * final).toFixed(2)}% after ${rounds.length} rounds, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const file = setup.name.startsWith('MLP') ? 'mlp' : 'cnn';
  sy.reporting.writeResultsJson(`${args.out}/${file}.json`, rounds, { example: '06-mnist-federated', model: setup.name, source: digits.source });
  sy.reporting.writeChartSvg(`${args.out}/${file}.svg`, rounds, { title: `FedAvg on MNIST, bob and alice: ${setup.name}` });
  best.push({ name: setup.name, accuracy: final });
  federated.dispose();
}

const top = best.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
console.log(
  `\nbest held-out accuracy: ${(100 * top.accuracy).toFixed(2)}% (${top.name.split(' (')[0]}); target 95%: ${top.accuracy >= 0.95 ? 'met' : 'NOT met'}` +
    ` — charts and per-round JSON in ${args.out}/`,
);
await hook.shutdown();
