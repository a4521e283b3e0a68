/**
 * `npm run bench`: every benchmark in one run, one after another (they share
 * two cores; running them together would measure each other).
 */
const benches = ['./ops.js', './moves.js', './network.js', './training.js', './dp.js', './federated.js', './smpc.js', './scale.js', './backpressure.js'];

for (const path of benches) {
  const bench = (await import(path)) as { run: () => Promise<void> };
  await bench.run();
}
