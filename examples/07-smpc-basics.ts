/**
 * PySyft's "Encrypted Deep Learning" basics: fixed precision, additive secret
 * sharing between bob and alice with james as crypto provider, then addition
 * and multiplication on the shares. Each worker holds one share: a 64-bit
 * word that looks random. Only together do they open to the result.
 *
 *   npx tsx examples/07-smpc-basics.ts [--parties 2]
 */
import * as tf from '@tensorflow/tfjs';
import * as sy from '../src/index.js';
import { exampleArgs, QUIET } from './_cli.js';

const args = exampleArgs({
  url: import.meta.url,
  about: `PySyft's "Encrypted Deep Learning" basics: fixed precision, additive secret sharing among the
parties with james as crypto provider, the shares each party holds, and addition, multiplication and a
private matrix product on shares, each compared with the plaintext result.`,
  takes: 'a few seconds',
  options: {
    quiet: QUIET,
    parties: { type: 'integer', placeholder: 'n', default: 2, min: 2, max: 5, description: 'how many parties hold shares (bob, alice, carol, dave, erin)' },
  },
});
const log: (...line: unknown[]) => void = args.quiet || sy.reporting.isQuiet() ? () => undefined : console.log;
const hook = await sy.hook(tf);
const names = ['bob', 'alice', 'carol', 'dave', 'erin'].slice(0, args.parties);
const parties = await hook.virtualWorkers(names);
const james = await hook.virtualWorker('james');

// x = th.tensor([0.1, 0.2, 0.3]).fix_precision().share(bob, alice, crypto_provider=james)
const x = tf.tensor([0.1, 0.2, 0.3]).fixPrecision().share(...parties, { cryptoProvider: james });
const y = tf.tensor([2.5, -4, 0.5]).fixPrecision().share(...parties, { cryptoProvider: james });
log('x =', String(x));

const shares = await x.peekShares();
shares.forEach((s, i) => log(`  ${names[i]}'s share of x: [${Array.from(s.values, String).join(', ')}]`));
// refresh(): new random shares of the same value (shares of zero from james, added by each party).
const fresh = x.refresh();
log(`  after refresh, ${names[0]} holds [${Array.from((await fresh.peekShares())[0]!.values, String).join(', ')}]`);
log(`  all shares summed mod 2^64 and decoded (16 fractional bits): ${String(await fresh.get())}`);

const show = async (label: string, t: sy.AdditiveSharingTensor, expected: tf.Tensor) => {
  const got = (await t.get()).floatPrecision();
  const err = tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!;
  log(`${label.padEnd(10)} ${Array.from(got.dataSync(), (v) => v.toFixed(4)).join(', ')}   (plaintext: ${Array.from(expected.dataSync(), (v) => v.toFixed(4)).join(', ')}; max error ${err.toExponential(1)})`);
};
const [xp, yp] = [tf.tensor([0.1, 0.2, 0.3]), tf.tensor([2.5, -4, 0.5])];
await show('x + y', x.add(y), tf.add(xp, yp));
await show('x - y', x.sub(y), tf.sub(xp, yp));
await show('x * y', x.mul(y), tf.mul(xp, yp)); // Beaver triple from james, one opening round, truncation
await show('x * 3', x.mul(3), tf.mul(xp, 3)); // public integer: local, exact
await show('x.sum()', x.sum(), tf.sum(xp));

// A private matrix product: neither bob nor alice sees a or b.
const a = tf.tensor([[1, 2], [3, 4]]);
const b = tf.tensor([[0.5, -1], [0.25, 2]]);
const [aShared, bShared] = [a.fixPrecision().share(...parties, { cryptoProvider: james }), b.fixPrecision().share(...parties, { cryptoProvider: james })];
await show('a @ b', aShared.matMul(bShared), tf.matMul(a, b));

for (const t of [x, y, aShared, bShared]) t.dispose();
// Triples, masks and opened values were released along the way: nothing is left anywhere.
for (const w of [...parties, james]) console.log(`${w.id} holds ${(await w.objects()).size} objects`);
await hook.shutdown();
