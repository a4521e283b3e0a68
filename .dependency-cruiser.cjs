/**
 * The architecture as rules (`npm run lint:deps`). Layers, bottom-up; a
 * folder may import its own layer and the ones below, never one above:
 *
 *   core            errors, wire protocol, command table, op registry, ring math, handle interfaces
 *   transport       codec, wire encodings, sealed comlink exposure, tensor payloads
 *   autograd        gradients by replay under tf.grads
 *   tensor          syft tensors, op dispatch, tidy
 *   pointers        remote handles: pointers, multi-pointers, their lifecycle
 *   nn, optim, dp   layers, losses, optimizers; privacy accountants, exact noise samplers, mechanisms
 *   datasets, reporting
 *   smpc            fixed-precision and shared tensors, protocols, crypto providers
 *   federated       datasets at workers, loaders, FedAvg, secure aggregation
 *   client, testing the runtime a program talks to: hook, workers, connections
 *
 * The host (src/host, started by workers/) is a program of its own: it may use
 * core to optim and dp (noise is added where the data is), and nothing of the client's side.
 */
const LAYERS = [
  ['core'],
  ['transport'],
  ['autograd'],
  ['tensor'],
  ['pointers'],
  ['nn', 'optim', 'dp'],
  ['datasets', 'reporting'],
  ['smpc'],
  ['federated'],
  ['client', 'testing'],
];
const folders = (names) => `^src/(${names.join('|')})/`;
const HOST_MAY_USE = ['core', 'transport', 'autograd', 'tensor', 'nn', 'optim', 'dp', 'host'];
const CLIENT_SIDE = ['pointers', 'datasets', 'reporting', 'smpc', 'federated', 'client', 'testing'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: { path: '^(src|workers)/' },
      to: { circular: true },
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer.join('-')}`,
      comment: `${layer.join(', ')} must not import the layers above it.`,
      severity: 'error',
      from: { path: folders(layer) },
      to: { path: [folders(LAYERS.slice(i + 1).flat()), '^src/index[.]ts$'] },
    })),
    {
      name: 'host-is-its-own-program',
      comment: 'The host imports nothing of the client side (src/host/thread-main.ts is its entry).',
      severity: 'error',
      from: { path: '^(src/host|workers)/' },
      to: { path: [folders(CLIENT_SIDE), '^src/index[.]ts$'] },
    },
    {
      name: 'only-the-host-imports-the-host',
      comment: 'The client starts hosts as separate programs (a thread entry URL), never by importing them.',
      severity: 'error',
      from: { pathNot: '^(src/host|workers)/' },
      to: { path: '^src/host/' },
    },
    {
      name: 'workers-are-entry-points',
      comment: 'workers/ holds thread entry points only; they start src/host.',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^src/', pathNot: '^src/host/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]generated[.]' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs'] },
  },
};
