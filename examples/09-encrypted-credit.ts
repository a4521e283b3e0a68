/**
 * The credit notebook's "End-to-End Encryption": UCI Credit Approval, the
 * applications, their labels and a 42-16-2 network all secret-shared among
 * three data owners, with a crypto provider dealing Beaver triples. Forward,
 * loss, backward and the SGD step all run on shares, so no owner ever sees
 * the data, the labels, the weights or a gradient; only the trained model is
 * reconstructed at the end. The same network (same initial weights, batches
 * and steps) trains in plaintext beside it, and both are scored on the
 * held-out 20%.
 *
 * Two losses: MSE against one-hot labels as the notebook's seed writes it,
 * ((pred - target)²).sum().refresh() / batch (PySyft's tutorial), and
 * cross-entropy through logSoftmax.
 *
 *   npx tsx examples/09-encrypted-credit.ts [--epochs 5] [--loss both] [--quick]
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `Encrypted training on UCI Credit Approval (the credit notebook's "End-to-End Encryption"): the
applications, their labels and a 42-16-2 network are secret-shared among three data owners with a
crypto provider; forward, loss, backward and SGD run on shares. The same network trains in plaintext
with the same initial weights, batches and steps; both are scored on the held-out 20%. Prints each
step's loss, opening rounds and bytes, and the accuracies side by side.`,
  takes: 'about 20 s on 2 cores (--quick: under 10 s)',
  options: {
    data: { type: 'string', placeholder: 'path', description: 'crx.data to read; otherwise ../shared/data/credit-approval/crx.data, else downloaded from UCI' },
    epochs: { type: 'integer', placeholder: 'n', default: 5, description: 'passes over the training set' },
    batch: { type: 'integer', placeholder: 'n', default: 64, description: 'applications per step' },
    hidden: { type: 'integer', placeholder: 'n', default: 16, description: 'hidden units' },
    activation: { type: 'string', placeholder: 'name', default: 'relu', choices: ['relu', 'sigmoid'], description: 'hidden activation' },
    loss: { type: 'string', placeholder: 'name', default: 'both', choices: ['mse', 'cross-entropy', 'both'], description: 'which loss to train with' },
    lr: { type: 'string', placeholder: 'rate', default: '0.1', description: 'SGD learning rate' },
    quick: { type: 'boolean', description: 'one epoch over the first 128 training applications (for tests)' },
    quiet: QUIET,
  },
});
const quiet = args.quiet || sy.reporting.isQuiet();
const log = (line: string) => quiet || console.log(line);
const lr = Number(args.lr);
if (!(lr > 0 && lr < 10)) {
  console.error(`error: --lr must be a positive number below 10; got '${args.lr}'`);
  process.exit(2);
}

const hook = await sy.hook(tf);
const credit = await sy.datasets.creditApproval(args.data === undefined ? {} : { path: args.data });
const features = credit.featureNames.length;
const owners = await hook.virtualWorkers(['alice', 'bob', 'carol']);
const james = await hook.virtualWorker('james');
log(`UCI Credit Approval: ${credit.length} applications, ${features} features; shared among ${owners.map((o) => o.id).join(', ')}, crypto provider ${james.id}`);

// The same seeded 80/20 split as examples/05; the training rows in one seeded order, used every epoch.
const order = new sy.federated.SeededRandom(7).permutation(credit.length);
const cut = Math.round(0.8 * credit.length);
const trainRows = order.slice(0, args.quick ? 128 : cut);
const testRows = order.slice(cut);
const gather = (t: tf.Tensor, rows: readonly number[]) => tf.tidy(() => tf.gather(t, tf.tensor1d([...rows], 'int32')));
const oneHot = (targets: tf.Tensor) => tf.tidy(() => tf.oneHot(tf.cast(tf.reshape(targets, [-1]), 'int32'), 2).cast('float32'));
const xTrain = gather(credit.features, trainRows);
const yTrain = oneHot(gather(credit.targets, trainRows));
const xTest = gather(credit.features, testRows);
const yTest = gather(credit.targets, testRows);

const shareAmongOwners = (t: tf.Tensor) => t.fixPrecision().share(...owners, { cryptoProvider: james });
const batches = Array.from({ length: Math.ceil(trainRows.length / args.batch) }, (_, i) => {
  const start = i * args.batch;
  return { start, size: Math.min(args.batch, trainRows.length - start) };
});

/** Held-out accuracy of a plain model: the larger of the two outputs against the label. */
const accuracy = (m: sy.nn.Module) =>
  sy.noGrad(() =>
    tf.tidy(() => {
      const out = (m.forward(sy.tensor(xTest)) as sy.SyftTensor).tensor;
      return tf.mean(tf.equal(tf.argMax(out, 1), tf.cast(tf.reshape(yTest, [-1]), 'int32'))).dataSync()[0]!;
    }),
  );

type LossName = 'mse' | 'cross-entropy';

async function train(loss: LossName): Promise<{ encrypted: number; plain: number; seconds: number; rounds: number; bytes: number }> {
  const model = sy.nn.sequential(sy.nn.linear(features, args.hidden), args.activation === 'relu' ? sy.nn.relu() : sy.nn.sigmoid(), sy.nn.linear(args.hidden, 2));
  const plain = model.copy();
  // model.fix_precision().share(alice, bob, carol, crypto_provider=james, requires_grad=True)
  const shared = model.fixPrecision().share(...owners, { cryptoProvider: james, requiresGrad: true });
  const opt = sy.optim.sgd(shared.parameters(), { lr });
  const plainOpt = sy.optim.sgd(plain.parameters(), { lr });
  // The data owners' applications and labels, shared once; each batch is a slice of the shares (local at every owner).
  const x = shareAmongOwners(xTrain);
  const y = shareAmongOwners(yTrain);

  const t0 = performance.now();
  let [rounds, bytes, step] = [0, 0, 0];
  for (let epoch = 0; epoch < (args.quick ? 1 : args.epochs); epoch++) {
    for (const { start, size } of batches) {
      step++;
      const measured = await sy.smpc.costs(() =>
        sy.tidy(() => {
          opt.zeroGrad();
          const xb = x.slice([start, 0], [size, features]);
          const yb = y.slice([start, 0], [size, 2]);
          const out = shared.forward(xb);
          // As PySyft's tutorial: refresh() the summed loss before the division by the batch size.
          const l = loss === 'mse' ? out.sub(yb).pow(2).sum().refresh().div(size) : sy.smpc.crossEntropy(out, yb);
          l.backward();
          opt.step();
          // Fresh shares of every parameter after its update, so no owner can relate old and new shares.
          for (const p of shared.parameters()) p.refreshInPlace();
          return l;
        }),
      );
      const value = (await measured.result.get()).toFloat64()[0]!;
      rounds += measured.rounds;
      bytes += measured.bytes;
      const plainLoss = sy.tidy(() => {
        plainOpt.zeroGrad();
        const xb = sy.tensor(tf.slice(xTrain, [start, 0], [size, features]));
        const yb = sy.tensor(tf.slice(yTrain, [start, 0], [size, 2]));
        const out = plain.forward(xb);
        const l = loss === 'mse' ? out.sub(yb).square().sum().div(size) : sy.nn.crossEntropy(out, yb);
        l.backward();
        plainOpt.step();
        return l.tensor.dataSync()[0]!;
      });
      log(
        `  ${loss} step ${String(step).padStart(3)}: loss ${value.toFixed(4)} (plaintext ${plainLoss.toFixed(4)}); ` +
          `${measured.rounds} opening rounds, ${(measured.bytes / 1024).toFixed(0)} KiB among the owners, ${(measured.dealerBytes / 1024).toFixed(0)} KiB from ${james.id}`,
      );
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  y.dispose();
  // model.get().float_precision(): the only values ever reconstructed are the trained weights.
  const trained = (await shared.get()).floatPrecision();
  return { encrypted: accuracy(trained), plain: accuracy(plain), seconds, rounds, bytes };
}

const losses: LossName[] = args.loss === 'both' ? ['mse', 'cross-entropy'] : [args.loss as LossName];
const results: Array<[LossName, Awaited<ReturnType<typeof train>>]> = [];
for (const loss of losses) {
  log(`\nTraining a ${features}-${args.hidden}-2 ${args.activation} network with ${loss} on ${trainRows.length} shared applications, batch ${args.batch}, lr ${lr}`);
  results.push([loss, await train(loss)]);
}
for (const [loss, r] of results) {
  console.log(
    `${loss.padEnd(13)} held-out accuracy: encrypted ${(100 * r.encrypted).toFixed(2)}%, plaintext ${(100 * r.plain).toFixed(2)}% ` +
      `(${testRows.length} applications; difference ${(100 * Math.abs(r.encrypted - r.plain)).toFixed(2)} points); ` +
      `${r.rounds} opening rounds, ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.seconds.toFixed(1)} s`,
  );
}
// Nothing of the training is left at any owner or at the provider.
const held = await Promise.all([...owners, james].map(async (w) => (await w.objects()).size));
log(`objects left at ${[...owners, james].map((w, i) => `${w.id}: ${held[i]}`).join(', ')}`);
await hook.shutdown();
