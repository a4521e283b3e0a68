/**
 * The PySyft 0.2 (and torch) spellings users type from habit, and the syft-ts
 * form of each. Data only: src/client/pysyft-spellings.ts installs a throwing
 * member for each row, on the classes a row names, where that class does not
 * define the name itself; `sy.TorchHook` and `sy.combine_pointers` are the two
 * module-level ones. Only names that differ are listed: `x.send(bob)`,
 * `x.get()`, `x.backward()`, `model.parameters()` mean the same in both.
 *
 * A form is written with the variable names of RECEIVER_VARIABLES, so the
 * error reads like the user's own line: `x.fix_precision()` →
 * `x.fixPrecision()`; a test checks that every member a form names exists.
 */

/** The classes that get spellings (src/client/pysyft-spellings.ts maps each to its prototype). */
export type Receiver =
  | 'tfTensor'
  | 'syftTensor'
  | 'pointer'
  | 'multiPointer'
  | 'fixedPrecision'
  | 'fixedPrecisionPointer'
  | 'shared'
  | 'worker'
  | 'module'
  | 'optimizer'
  | 'hook';

/** How PySyft's tutorials name each receiver, so a message reads like the line the user wrote. */
export const RECEIVER_VARIABLES: Readonly<Record<Receiver, string>> = {
  tfTensor: 'x',
  syftTensor: 'x',
  pointer: 'x',
  multiPointer: 'x',
  fixedPrecision: 'x',
  fixedPrecisionPointer: 'x',
  shared: 'x',
  worker: 'bob',
  module: 'model',
  optimizer: 'opt',
  hook: 'hook',
};

export interface PySyftName {
  /** The name as PySyft (or torch) spells it. */
  readonly pysyft: string;
  /** A method (`x.fix_precision()`) or an attribute (`x.id_at_location`). */
  readonly kind: 'method' | 'property';
  /** Per receiver where the habit applies: the syft-ts expression to write instead. */
  readonly forms: Readonly<Partial<Record<Receiver, string>>>;
  /** What else differs, when the name is not the only thing. */
  readonly note?: string;
}

const LOCAL_TENSORS = ['tfTensor', 'syftTensor'] as const;
const TENSORS = ['tfTensor', 'syftTensor', 'pointer', 'multiPointer', 'fixedPrecision', 'shared'] as const;
const IN_PLACE = ['syftTensor', 'pointer', 'fixedPrecision', 'shared'] as const;

/** The same form on each of `receivers`. */
function on(receivers: readonly Receiver[], form: string): Partial<Record<Receiver, string>> {
  return Object.fromEntries(receivers.map((r) => [r, form]));
}

/** One row per spelling; aliases (`fix_prec`) are rows of their own, so each is found by its name. */
function rows(pysyft: readonly string[], row: Omit<PySyftName, 'pysyft'>): PySyftName[] {
  return pysyft.map((name) => ({ pysyft: name, ...row }));
}

export const PYSYFT_NAMES: readonly PySyftName[] = [
  ...rows(['fix_precision', 'fix_prec'], {
    kind: 'method',
    forms: on(['tfTensor', 'syftTensor', 'pointer'], 'x.fixPrecision()'),
    note: 'precisionFractional counts bits (base 2): x.fixPrecision({ precisionFractional: 16 })',
  }),
  ...rows(['float_precision', 'float_prec'], {
    kind: 'method',
    forms: { ...on(['fixedPrecision', 'fixedPrecisionPointer'], 'x.floatPrecision()'), shared: '(await x.get()).floatPrecision()' },
  }),
  ...rows(['matmul', 'mm'], { kind: 'method', forms: on(TENSORS, 'x.matMul(y)') }),
  { pysyft: 'remote_get', kind: 'method', forms: { pointer: 'x.remoteGet()' } },
  { pysyft: 'id_at_location', kind: 'property', forms: { pointer: 'x.idAtLocation' } },
  {
    pysyft: 'requires_grad',
    kind: 'property',
    forms: { syftTensor: 'x.requiresGrad', tfTensor: 'sy.tensor(x, { requiresGrad: true })' },
    note: 'a tf.Tensor has no tape; make a syft tensor to record one',
  },
  {
    pysyft: 'send_',
    kind: 'method',
    forms: on(['tfTensor', 'syftTensor', 'pointer'], 'x.send(bob)'),
    note: 'there is no in-place send: keep the pointer send() returns',
  },
  {
    pysyft: 'get_',
    kind: 'method',
    forms: on(['pointer', 'multiPointer', 'shared'], 'await x.get()'),
    note: 'there is no in-place get: use what get() resolves to',
  },
  {
    pysyft: 'share_',
    kind: 'method',
    forms: on(['tfTensor', 'syftTensor', 'pointer', 'fixedPrecision'], 'x.share(bob, alice, { cryptoProvider: james })'),
    note: 'there is no in-place share: keep the AdditiveSharingTensor share() returns',
  },
  { pysyft: 'add_', kind: 'method', forms: on(IN_PLACE, 'x.addInPlace(y)') },
  { pysyft: 'sub_', kind: 'method', forms: on(IN_PLACE, 'x.subInPlace(y)') },
  { pysyft: 'mul_', kind: 'method', forms: on(IN_PLACE, 'x.mulInPlace(y)') },
  { pysyft: 'div_', kind: 'method', forms: on(IN_PLACE, 'x.divInPlace(y)') },
  { pysyft: 'zero_', kind: 'method', forms: on(IN_PLACE, 'x.zeroInPlace()') },
  { pysyft: 'view', kind: 'method', forms: on(TENSORS, 'x.reshape(shape)') },
  { pysyft: 'unsqueeze', kind: 'method', forms: on(TENSORS, 'x.expandDims(axis)') },
  { pysyft: 'argmax', kind: 'method', forms: on(TENSORS, 'x.argMax(axis)') },
  { pysyft: 't', kind: 'method', forms: on(TENSORS, 'x.transpose()') },
  { pysyft: 'dim', kind: 'method', forms: on(TENSORS, 'x.rank'), note: 'rank is a number, not a method' },
  { pysyft: 'numel', kind: 'method', forms: on(TENSORS, 'x.size'), note: 'size is a number, not a method' },
  {
    pysyft: 'item',
    kind: 'method',
    forms: { ...on(LOCAL_TENSORS, 'x.dataSync()[0]'), pointer: '(await x.get()).dataSync()[0]' },
  },
  {
    pysyft: 'tolist',
    kind: 'method',
    forms: { ...on(LOCAL_TENSORS, 'x.arraySync()'), pointer: '(await x.get()).arraySync()' },
  },
  {
    pysyft: 'numpy',
    kind: 'method',
    forms: { ...on(LOCAL_TENSORS, 'x.dataSync()'), pointer: '(await x.get()).dataSync()' },
  },
  { pysyft: 'clear_objects', kind: 'method', forms: { worker: 'await bob.clearObjects()' } },
  { pysyft: '_objects', kind: 'property', forms: { worker: 'await bob.objects()' } },
  { pysyft: 'local_worker', kind: 'property', forms: { hook: 'hook.localWorker' } },
  { pysyft: 'crypto_provider', kind: 'property', forms: { shared: 'x.cryptoProvider' } },
  { pysyft: 'zero_grad', kind: 'method', forms: { optimizer: 'opt.zeroGrad()' } },
  {
    pysyft: 'zero_grad',
    kind: 'method',
    forms: { module: 'opt.zeroGrad()' },
    note: "a module has no zeroGrad(): its optimizer's zeroGrad() clears the gradients of the parameters it was given",
  },
  { pysyft: 'state_dict', kind: 'method', forms: { module: 'model.stateDict()' } },
  { pysyft: 'load_state_dict', kind: 'method', forms: { module: 'model.loadStateDict(state)' } },
  { pysyft: 'named_parameters', kind: 'method', forms: { module: 'model.namedParameters()' } },
];

/** Module-level PySyft names: `sy.TorchHook(torch)`. */
export const PYSYFT_FUNCTIONS = {
  TorchHook: { pysyft: 'sy.TorchHook(torch)', syftTs: 'const hook = await sy.hook(tf)' },
  combine_pointers: { pysyft: 'sy.combine_pointers(x, y)', syftTs: 'sy.combinePointers(x, y)' },
  VirtualWorker: { pysyft: 'sy.VirtualWorker(hook, id="bob")', syftTs: "const bob = await hook.virtualWorker('bob')" },
} as const;

/** How the user's line looked: `x.fix_precision()`, `x.id_at_location`. */
export function pysyftUsage(row: PySyftName, receiver: Receiver): string {
  return `${RECEIVER_VARIABLES[receiver]}.${row.pysyft}${row.kind === 'method' ? '()' : ''}`;
}
