/**
 * The op registry: every op a pointer, a syft tensor or a worker can run is one
 * entry here, named by its tfjs name. The main thread derives pointer methods,
 * syft-tensor methods, functional forms and argument checks from it; a worker
 * looks the op up here before it runs anything, so a message can never make a
 * worker call a function that is not listed.
 *
 * An entry is data: how many leading arguments are tensors, the names of the
 * positional attributes after them (as tfjs names them), the shape of the
 * result, and whether a gradient flows through it.
 */

export type OutputSpec =
  | { readonly kind: 'tensor' }
  /** Several tensors; how many follows from the attributes (e.g. split's numOrSizeSplits). */
  | { readonly kind: 'list'; readonly count: (attrs: readonly unknown[]) => number }
  /** A record of named tensors (e.g. topk's values and indices). */
  | { readonly kind: 'record'; readonly keys: readonly string[] };

export interface OpSpec {
  /** Leading tensor arguments, or 'list' when the first argument is an array of tensors. */
  readonly inputs: number | 'list';
  /** Positional attributes after the inputs, named as in tfjs. */
  readonly attrs: readonly string[];
  readonly outputs: OutputSpec;
  /** False for ops whose output is boolean, integral or piecewise constant. */
  readonly differentiable: boolean;
}

const TENSOR = { kind: 'tensor' } as const;

function spec<const O extends OutputSpec = typeof TENSOR>(
  inputs: number | 'list',
  attrs: readonly string[] = [],
  options: { outputs?: O; differentiable?: boolean } = {},
): OpSpec & { readonly outputs: O } {
  return {
    inputs,
    attrs,
    outputs: (options.outputs ?? TENSOR) as O,
    differentiable: options.differentiable ?? true,
  };
}

const unary = (...attrs: string[]) => spec(1, attrs);
const binary = (...attrs: string[]) => spec(2, attrs);
const reduce = (...attrs: string[]) => spec(1, attrs.length > 0 ? attrs : ['axis', 'keepDims']);
/** Boolean- or index-valued, or without a gradient in tfjs. */
const test = (inputs: number, ...attrs: string[]) => spec(inputs, attrs, { differentiable: false });
const CONV = ['strides', 'pad', 'dataFormat', 'dilations', 'dimRoundingMode'];
const POOL = ['filterSize', 'strides', 'pad', 'dimRoundingMode'];

export const OPS = {
  // element-wise, one input
  abs: unary(),
  acos: unary(),
  acosh: unary(),
  asin: unary(),
  asinh: unary(),
  atan: unary(),
  atanh: unary(),
  ceil: unary(),
  clone: unary(),
  cos: unary(),
  cosh: unary(),
  elu: unary(),
  erf: unary(),
  exp: unary(),
  expm1: unary(),
  floor: unary(),
  log: unary(),
  log1p: unary(),
  logSigmoid: unary(),
  neg: unary(),
  reciprocal: unary(),
  relu: unary(),
  relu6: unary(),
  round: unary(),
  rsqrt: unary(),
  selu: unary(),
  sigmoid: unary(),
  sign: unary(),
  sin: unary(),
  sinh: unary(),
  softplus: unary(),
  sqrt: unary(),
  square: unary(),
  tan: unary(),
  tanh: unary(),
  step: unary('alpha'),
  leakyRelu: unary('alpha'),
  clipByValue: unary('clipValueMin', 'clipValueMax'),
  cast: unary('dtype'),
  softmax: unary('dim'),
  logSoftmax: unary('axis'),
  onesLike: test(1),
  zerosLike: test(1),
  isFinite: test(1),
  isInf: test(1),
  isNaN: test(1),
  logicalNot: test(1),

  // element-wise, two inputs (broadcasting)
  add: binary(),
  sub: binary(),
  mul: binary(),
  div: binary(),
  divNoNan: test(2), // tfjs has no gradient for it
  floorDiv: binary(),
  mod: binary(),
  pow: binary(),
  maximum: binary(),
  minimum: binary(),
  squaredDifference: binary(),
  atan2: binary(),
  prelu: binary(),
  equal: test(2),
  notEqual: test(2),
  less: test(2),
  lessEqual: test(2),
  greater: test(2),
  greaterEqual: test(2),
  logicalAnd: test(2),
  logicalOr: test(2),
  logicalXor: test(2),
  where: spec(3),

  // linear algebra
  matMul: binary('transposeA', 'transposeB'),
  dot: binary(),
  outerProduct: binary(),

  // reductions and scans
  sum: reduce(),
  mean: reduce(),
  max: reduce(),
  min: reduce(),
  prod: reduce(),
  logSumExp: reduce(),
  all: test(1, 'axis', 'keepDims'),
  any: test(1, 'axis', 'keepDims'),
  argMax: test(1, 'axis'),
  argMin: test(1, 'axis'),
  norm: reduce('ord', 'axis', 'keepDims'),
  cumsum: unary('axis', 'exclusive', 'reverse'),
  cumprod: test(1, 'axis', 'exclusive', 'reverse'), // tfjs has no gradient for it
  moments: spec(1, ['axes', 'keepDims'], { outputs: { kind: 'record', keys: ['mean', 'variance'] } }),
  topk: spec(1, ['k', 'sorted'], {
    outputs: { kind: 'record', keys: ['values', 'indices'] },
    differentiable: false,
  }),

  // shape and indexing
  reshape: unary('shape'),
  transpose: unary('perm'),
  expandDims: unary('axis'),
  squeeze: unary('axis'),
  slice: unary('begin', 'size'),
  stridedSlice: unary('begin', 'end', 'strides', 'beginMask', 'endMask', 'ellipsisMask', 'newAxisMask', 'shrinkAxisMask'),
  tile: unary('reps'),
  pad: unary('paddings', 'constantValue'),
  mirrorPad: unary('paddings', 'mode'),
  reverse: unary('axis'),
  broadcastTo: unary('shape'),
  gather: binary('axis', 'batchDims'),
  gatherND: binary(),
  unsortedSegmentSum: binary('numSegments'),
  oneHot: test(1, 'depth', 'onValue', 'offValue', 'dtype'),
  depthToSpace: unary('blockSize', 'dataFormat'),
  concat: spec('list', ['axis']),
  stack: spec('list', ['axis']),
  addN: spec('list'),
  split: spec(1, ['numOrSizeSplits', 'axis'], {
    outputs: {
      kind: 'list',
      count: ([numOrSizeSplits]) => (Array.isArray(numOrSizeSplits) ? numOrSizeSplits.length : Number(numOrSizeSplits)),
    },
  }),

  // neural-network layers
  conv1d: binary('stride', 'pad', 'dataFormat', 'dilation', 'dimRoundingMode'),
  conv2d: binary(...CONV),
  depthwiseConv2d: binary(...CONV),
  maxPool: unary(...POOL),
  avgPool: unary(...POOL),
  batchNorm: spec(5, ['varianceEpsilon']),
  localResponseNormalization: unary('depthRadius', 'bias', 'alpha', 'beta'),
  dropout: unary('rate', 'noiseShape', 'seed'),
} as const satisfies Record<string, OpSpec>;

type OpRegistry = typeof OPS;
export type OpName = keyof OpRegistry;

/** What an op returns, with `R` standing for one tensor (a pointer, a syft tensor, ...). */
export type OpResult<N extends OpName, R> = OpRegistry[N]['outputs'] extends { kind: 'list' }
  ? R[]
  : OpRegistry[N]['outputs'] extends { kind: 'record'; keys: infer K extends readonly string[] }
    ? { [P in K[number]]: R }
    : R;

const NAMES: readonly OpName[] = Object.keys(OPS) as OpName[];

export function opNames(): readonly OpName[] {
  return NAMES;
}

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}

/** How many outputs a call produces, so the caller can choose their ids up front. */
export function outputCount(spec: OpSpec, attrs: readonly unknown[]): number {
  switch (spec.outputs.kind) {
    case 'tensor':
      return 1;
    case 'list':
      return spec.outputs.count(attrs);
    case 'record':
      return spec.outputs.keys.length;
  }
}

/** An op's result as a list in output order (what the caller chose ids for). */
export function flattenOutputs<T>(spec: OpSpec, result: unknown): T[] {
  switch (spec.outputs.kind) {
    case 'tensor':
      return [result as T];
    case 'list':
      return result as T[];
    case 'record': {
      const record = result as Record<string, T>;
      return spec.outputs.keys.map((k) => record[k]!);
    }
  }
}

/** The inverse of flattenOutputs: one value, a list, or a record, as the op's spec says. */
export function shapeOutputs<T>(spec: OpSpec, outputs: T[]): T | T[] | Record<string, T> {
  switch (spec.outputs.kind) {
    case 'tensor':
      return outputs[0]!;
    case 'list':
      return outputs;
    case 'record':
      return Object.fromEntries(spec.outputs.keys.map((k, i) => [k, outputs[i]!]));
  }
}

/** The op's signature as a user would write it, for error messages. */
export function signatureOf(name: OpName): string {
  const s = OPS[name];
  const inputs = s.inputs === 'list' ? ['tensors[]'] : ['x', 'y', 'z', 'u', 'v'].slice(0, s.inputs);
  return `${name}(${[...inputs, ...s.attrs.map((a) => `${a}?`)].join(', ')})`;
}

/** Registered names closest to a misspelt one (edit distance), for UnknownOpError. */
export function nearOpNames(name: string, limit = 3): string[] {
  const lower = name.toLowerCase();
  return NAMES.map((n) => [n, editDistance(lower, n.toLowerCase())] as const)
    .filter(([n, d]) => d <= Math.max(2, Math.floor(n.length / 3)))
    .sort((a, b) => a[1] - b[1])
    .slice(0, limit)
    .map(([n]) => n);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
