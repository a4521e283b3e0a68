/**
 * The op registry: every op a pointer, a syft tensor or a worker can run is one
 * entry here, named by its tfjs name. The main thread derives pointer methods,
 * syft-tensor methods, functional forms and argument checks from it; a worker
 * looks the op up here before it runs anything, so a message can never make a
 * worker call a function that is not listed.
 *
 * An entry is data: how many leading arguments are tensors, the names of the
 * positional attributes after them (as tfjs names them), the shape of the
 * result, whether a gradient flows through it, and what its arguments must
 * satisfy before any kernel runs (checks from src/core/op-checks.ts): a worker
 * refuses a call that breaks them with INVALID_ARGUMENT.
 */
import {
  ANY,
  argReduceShape,
  axes,
  axis,
  BOOL,
  blockSize,
  broadcastable,
  broadcastShape,
  broadcastTarget,
  broadcastToShape,
  castDtype,
  castTo,
  countingDtype,
  type Check,
  channelParams,
  clipRange,
  concatShape,
  concatShapes,
  convGeometry,
  convShapeOf,
  depth,
  depthToSpaceShape,
  dotShapeOf,
  dotShapes,
  type DType,
  dtypeOfInput,
  dtypesPerOutput,
  type DtypeRule,
  expandDimsShape,
  fixedDtype,
  flag,
  FLOAT,
  gatherNDShape,
  gatherShape,
  indicesInRange,
  type InputRule,
  INT,
  intDivisor,
  kernel,
  lastAxis,
  type ListRule,
  matMulShapeOf,
  matMulShapes,
  MAX_OP_OUTPUTS,
  mirrorPaddings,
  ndIndicesInRange,
  ndIndicesShape,
  noiseShape,
  normArgs,
  normShape,
  notAllBool,
  num,
  NUMERIC,
  oneHotShape,
  oneOf,
  type OpChecks,
  outerShape,
  type OutputRule,
  paddings,
  padShape,
  permutation,
  rank,
  reduceShape,
  reshapeShape,
  reshapeTarget,
  sameDtype,
  sameShape,
  sameShapes,
  scanAxis,
  seed,
  segmentIdsInRange,
  segmentIdsShape,
  segmentSumShape,
  sliceShape,
  sliceWindow,
  split,
  splitShape,
  squeezeAxes,
  squeezeShape,
  stackShape,
  stridedSliceShape,
  stridedWindow,
  tileReps,
  tileShape,
  topK,
  topKShape,
  transposeShape,
  unstackShape,
  upcastDtype,
  zeroBatchDims,
} from './op-checks.js';

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
  /** What the inputs and attributes must satisfy before a kernel runs, and the outputs' shapes (src/core/op-checks.ts). */
  readonly checks: OpChecks;
}

const TENSOR = { kind: 'tensor' } as const;

interface SpecOptions<O extends OutputSpec> {
  readonly checks?: readonly Check[];
  /** The outputs' shapes; default: shaped like the first input. */
  readonly shape?: OutputRule;
  /** The outputs' dtypes; default: the first input's. */
  readonly dtype?: DtypeRule;
  readonly outputs?: O;
  readonly differentiable?: boolean;
}

function spec<const O extends OutputSpec = typeof TENSOR>(
  inputs: readonly InputRule[] | ListRule,
  attrs: readonly string[] = [],
  options: SpecOptions<O> = {},
): OpSpec & { readonly outputs: O } {
  return {
    inputs: Array.isArray(inputs) ? inputs.length : 'list',
    attrs,
    outputs: (options.outputs ?? TENSOR) as O,
    differentiable: options.differentiable ?? true,
    checks: { inputs, checks: options.checks ?? [], output: options.shape ?? sameShape(), dtype: options.dtype ?? dtypeOfInput(0) },
  };
}

// Inputs, named as in tfjs.
const tensor = (name: string, dtypes: readonly DType[]): InputRule => ({ kind: 'tensor', name, dtypes });
const operand = (name: string, dtypes: readonly DType[]): InputRule => ({ kind: 'tensor-or-scalar', name, dtypes });
const optional = (name: string, dtypes: readonly DType[]): InputRule => ({ kind: 'optional-tensor', name, dtypes });
const list = (dtypes: readonly DType[]): ListRule => ({ kind: 'tensor-list', name: 'tensors', dtypes });

/** Element-wise, one input, no attributes; `dtype`: the output's when it is not the input's. */
const unary = (dtypes: readonly DType[], differentiable = true, dtype?: DtypeRule) =>
  spec([tensor('x', dtypes)], [], { differentiable, ...(dtype === undefined ? {} : { dtype }) });
/** A predicate on floats (isNaN, isFinite): bool out. */
const predicate = () => unary(FLOAT, false, fixedDtype('bool'));
/** Element-wise, two broadcasting operands (a number is a scalar, as in tfjs), cast to the wider dtype. */
const binary = (dtypes: readonly DType[], options: { differentiable?: boolean; checks?: readonly Check[]; dtype?: DtypeRule } = {}) =>
  spec([operand('a', dtypes), operand('b', dtypes)], [], {
    checks: [broadcastable(), ...(options.checks ?? [])],
    shape: broadcastShape(),
    dtype: options.dtype ?? upcastDtype(),
    differentiable: options.differentiable ?? true,
  });
/** Boolean-valued, without a gradient in tfjs. */
const compare = (dtypes: readonly DType[]) => binary(dtypes, { differentiable: false, dtype: fixedDtype('bool') });
const reduce = (dtypes: readonly DType[], options: { differentiable?: boolean; dtype?: DtypeRule } = {}) =>
  spec([tensor('x', dtypes)], ['axis', 'keepDims'], {
    checks: [axes('axis'), flag('keepDims')],
    shape: reduceShape('axis', 'keepDims'),
    dtype: options.dtype ?? dtypeOfInput(0),
    differentiable: options.differentiable ?? true,
  });
const argReduce = () =>
  spec([tensor('x', ANY)], ['axis'], {
    checks: [rank(0, 'x', 1), axis('axis', { optional: true })],
    shape: argReduceShape('axis'),
    dtype: fixedDtype('int32'),
    differentiable: false,
  });
const scan = (differentiable: boolean) =>
  spec([tensor('x', NUMERIC)], ['axis', 'exclusive', 'reverse'], {
    checks: [rank(0, 'x', 1), scanAxis('axis'), flag('exclusive'), flag('reverse')],
    differentiable,
  });
const lastAxisOp = (name: string) =>
  spec([tensor('logits', FLOAT)], [name], { checks: [rank(0, 'logits', 1), lastAxis(name)] });

const CONV = ['strides', 'pad', 'dataFormat', 'dilations', 'dimRoundingMode'];
const CONV_NAMES = { strides: 'strides', pad: 'pad', dataFormat: 'dataFormat', dilations: 'dilations', dimRoundingMode: 'dimRoundingMode' } as const;
const conv = (kind: 'conv2d' | 'depthwise') => {
  const names = { kind, ...CONV_NAMES };
  return spec([tensor('x', FLOAT), tensor('filter', FLOAT)], CONV, {
    checks: [rank(0, 'x', 3, 4), convGeometry(names)],
    shape: convShapeOf(names),
  });
};
const POOL = ['filterSize', 'strides', 'pad', 'dimRoundingMode'];
const pool = () => {
  const names = { kind: 'pool', filterSize: 'filterSize', strides: 'strides', pad: 'pad', dimRoundingMode: 'dimRoundingMode' } as const;
  return spec([tensor('x', FLOAT)], POOL, { checks: [rank(0, 'x', 3, 4), convGeometry(names)], shape: convShapeOf(names) });
};
const CONV1D = { kind: 'conv1d', strides: 'stride', pad: 'pad', dataFormat: 'dataFormat', dilations: 'dilation', dimRoundingMode: 'dimRoundingMode' } as const;
const FINITE = { optional: true, finite: true } as const;
const ONE_HOT_VALUE = { optional: true, integer: true, min: -(2 ** 24), max: 2 ** 24 } as const;

export const OPS = {
  // element-wise, one input
  abs: unary(NUMERIC),
  acos: unary(FLOAT),
  acosh: unary(FLOAT),
  asin: unary(FLOAT),
  asinh: unary(FLOAT),
  atan: unary(FLOAT),
  atanh: unary(FLOAT),
  ceil: unary(FLOAT),
  clone: unary(ANY),
  cos: unary(FLOAT),
  cosh: unary(FLOAT),
  elu: unary(FLOAT),
  erf: unary(FLOAT),
  exp: unary(FLOAT),
  expm1: unary(FLOAT),
  floor: unary(FLOAT),
  log: unary(FLOAT),
  log1p: unary(FLOAT),
  logSigmoid: unary(FLOAT),
  neg: unary(NUMERIC),
  reciprocal: unary(FLOAT),
  relu: unary(NUMERIC),
  relu6: unary(NUMERIC),
  round: unary(NUMERIC),
  rsqrt: unary(FLOAT),
  selu: unary(FLOAT),
  sigmoid: unary(FLOAT),
  sign: unary(NUMERIC),
  sin: unary(FLOAT),
  sinh: unary(FLOAT),
  softplus: unary(FLOAT),
  sqrt: unary(FLOAT),
  square: unary(NUMERIC),
  tan: unary(FLOAT),
  tanh: unary(FLOAT),
  step: spec([tensor('x', NUMERIC)], ['alpha'], { checks: [num('alpha', FINITE)] }),
  leakyRelu: spec([tensor('x', FLOAT)], ['alpha'], { checks: [num('alpha', FINITE)] }),
  clipByValue: spec([tensor('x', FLOAT)], ['clipValueMin', 'clipValueMax'], { checks: [clipRange('clipValueMin', 'clipValueMax')] }),
  cast: spec([tensor('x', ANY)], ['dtype'], { checks: [castDtype('dtype')], dtype: castTo('dtype') }),
  softmax: lastAxisOp('dim'),
  logSoftmax: lastAxisOp('axis'),
  onesLike: unary(ANY, false),
  zerosLike: unary(ANY, false),
  isFinite: predicate(),
  isInf: predicate(),
  isNaN: predicate(),
  logicalNot: unary(BOOL, false, fixedDtype('bool')),

  // element-wise, two inputs (broadcasting)
  // A bool operand next to a numeric one is cast by tfjs (masks: x.mul(mask)); the division-like ops take numbers only.
  add: binary(ANY, { checks: [notAllBool()] }),
  sub: binary(ANY, { checks: [notAllBool()] }),
  mul: binary(ANY, { checks: [notAllBool()] }),
  div: binary(NUMERIC),
  divNoNan: binary(NUMERIC, { differentiable: false }), // tfjs has no gradient for it
  floorDiv: binary(INT), // on floats the cpu kernel returns int32 and the wasm one float32
  mod: binary(NUMERIC, { checks: [intDivisor(1)] }),
  pow: binary(NUMERIC),
  maximum: binary(ANY, { checks: [notAllBool()] }),
  minimum: binary(ANY, { checks: [notAllBool()] }),
  squaredDifference: binary(ANY, { checks: [notAllBool()] }),
  atan2: binary(NUMERIC),
  prelu: spec([tensor('x', NUMERIC), operand('alpha', FLOAT)], [], { checks: [channelParams(1)], dtype: upcastDtype() }),
  equal: compare(ANY),
  notEqual: compare(ANY),
  less: compare(ANY),
  lessEqual: compare(ANY),
  greater: compare(ANY),
  greaterEqual: compare(ANY),
  logicalAnd: compare(BOOL),
  logicalOr: compare(BOOL),
  logicalXor: compare(BOOL),
  where: spec([operand('condition', BOOL), operand('a', NUMERIC), operand('b', NUMERIC)], [], {
    checks: [sameDtype(1, 2), broadcastable()],
    shape: broadcastShape(),
    dtype: dtypeOfInput(1),
  }),

  // linear algebra
  matMul: spec([tensor('a', FLOAT), tensor('b', FLOAT)], ['transposeA', 'transposeB'], {
    checks: [flag('transposeA'), flag('transposeB'), matMulShapes('transposeA', 'transposeB')],
    shape: matMulShapeOf('transposeA', 'transposeB'),
  }),
  dot: spec([tensor('t1', FLOAT), tensor('t2', FLOAT)], [], { checks: [dotShapes()], shape: dotShapeOf() }),
  outerProduct: spec([tensor('v1', FLOAT), tensor('v2', FLOAT)], [], {
    checks: [rank(0, 'v1', 1, 1), rank(1, 'v2', 1, 1)],
    shape: outerShape(),
  }),

  // reductions and scans
  // tfjs casts bool to int32 for these (accuracy: equal(...).sum()); a mean is float32 whatever it averages.
  sum: reduce(ANY, { dtype: countingDtype() }),
  mean: reduce(ANY, { dtype: fixedDtype('float32') }),
  max: reduce(ANY),
  min: reduce(ANY),
  prod: reduce(ANY, { dtype: countingDtype() }),
  logSumExp: reduce(FLOAT),
  all: reduce(BOOL, { differentiable: false }),
  any: reduce(BOOL, { differentiable: false }),
  argMax: argReduce(),
  argMin: argReduce(),
  norm: spec([tensor('x', FLOAT)], ['ord', 'axis', 'keepDims'], {
    checks: [normArgs('ord', 'axis'), flag('keepDims')],
    shape: normShape('ord', 'axis', 'keepDims'),
  }),
  cumsum: scan(true),
  cumprod: scan(false), // tfjs has no gradient for it
  moments: spec([tensor('x', FLOAT)], ['axes', 'keepDims'], {
    checks: [axes('axes'), flag('keepDims')],
    shape: reduceShape('axes', 'keepDims', 2),
    outputs: { kind: 'record', keys: ['mean', 'variance'] },
  }),
  topk: spec([tensor('x', NUMERIC)], ['k', 'sorted'], {
    checks: [rank(0, 'x', 1), topK('k'), flag('sorted')],
    shape: topKShape('k'),
    dtype: dtypesPerOutput(dtypeOfInput(0), fixedDtype('int32')),
    outputs: { kind: 'record', keys: ['values', 'indices'] },
    differentiable: false,
  }),

  // shape and indexing
  reshape: spec([tensor('x', ANY)], ['shape'], { checks: [reshapeTarget('shape')], shape: reshapeShape('shape') }),
  transpose: spec([tensor('x', ANY)], ['perm'], { checks: [permutation('perm')], shape: transposeShape('perm') }),
  expandDims: spec([tensor('x', ANY)], ['axis'], {
    checks: [axis('axis', { optional: true, extend: 1 })],
    shape: expandDimsShape('axis'),
  }),
  squeeze: spec([tensor('x', ANY)], ['axis'], { checks: [squeezeAxes('axis')], shape: squeezeShape('axis') }),
  slice: spec([tensor('x', ANY)], ['begin', 'size'], { checks: [sliceWindow('begin', 'size')], shape: sliceShape('begin', 'size') }),
  stridedSlice: spec(
    [tensor('x', FLOAT)],
    ['begin', 'end', 'strides', 'beginMask', 'endMask', 'ellipsisMask', 'newAxisMask', 'shrinkAxisMask'],
    { checks: [stridedWindow()], shape: stridedSliceShape() },
  ),
  tile: spec([tensor('x', ANY)], ['reps'], { checks: [tileReps('reps')], shape: tileShape('reps') }),
  pad: spec([tensor('x', ANY)], ['paddings', 'constantValue'], {
    checks: [paddings('paddings'), num('constantValue', { optional: true })],
    shape: padShape('paddings'),
  }),
  mirrorPad: spec([tensor('x', ANY)], ['paddings', 'mode'], {
    checks: [mirrorPaddings('paddings', 'mode')],
    shape: padShape('paddings'),
  }),
  reverse: spec([tensor('x', NUMERIC)], ['axis'], { checks: [axes('axis')] }),
  broadcastTo: spec([tensor('x', ANY)], ['shape'], { checks: [broadcastTarget('shape')], shape: broadcastToShape('shape') }),
  gather: spec([tensor('x', ANY), tensor('indices', INT)], ['axis', 'batchDims'], {
    checks: [rank(0, 'x', 1), axis('axis', { optional: true }), zeroBatchDims('batchDims'), indicesInRange(1, 'axis')],
    shape: gatherShape('axis'),
  }),
  gatherND: spec([tensor('x', ANY), tensor('indices', INT)], [], {
    checks: [ndIndicesShape(1), ndIndicesInRange(1)],
    shape: gatherNDShape(),
  }),
  // Float only: on int32 the cpu kernel returns float32 and the tensorflow one int32 (wasm has none).
  unsortedSegmentSum: spec([tensor('x', FLOAT), tensor('segmentIds', INT)], ['numSegments'], {
    checks: [kernel('UnsortedSegmentSum'), segmentIdsShape(1, 'numSegments'), segmentIdsInRange(1, 'numSegments')],
    shape: segmentSumShape('numSegments'),
  }),
  oneHot: spec([tensor('indices', INT)], ['depth', 'onValue', 'offValue', 'dtype'], {
    checks: [
      depth('depth'),
      // The result is int32; beyond 2^24 the backends round through float32 differently.
      num('onValue', ONE_HOT_VALUE),
      num('offValue', ONE_HOT_VALUE),
      // The wasm kernel writes int32 whatever the dtype: float32 gets integer bit patterns, bool 4 bytes per 1-byte slot.
      oneOf('dtype', ['int32'], { optional: true, why: "leave it out (int32) and cast the result, e.g. oneHot(...).cast('float32')" }),
    ],
    shape: oneHotShape('depth'),
    dtype: fixedDtype('int32'),
    differentiable: false,
  }),
  depthToSpace: spec([tensor('x', FLOAT)], ['blockSize', 'dataFormat'], {
    checks: [rank(0, 'x', 4, 4), blockSize('blockSize', 'dataFormat')],
    shape: depthToSpaceShape('blockSize'),
  }),
  concat: spec(list(ANY), ['axis'], { checks: [concatShapes('axis')], shape: concatShape('axis') }),
  stack: spec(list(ANY), ['axis'], { checks: [sameShapes(), axis('axis', { optional: true, extend: 1 })], shape: stackShape('axis') }),
  addN: spec(list(NUMERIC), [], { checks: [sameShapes()] }),
  unstack: spec([tensor('x', ANY)], ['axis'], {
    checks: [rank(0, 'x', 1), axis('axis', { optional: true })],
    shape: unstackShape('axis'),
    // How many follows from the input's shape, not from the attributes: a caller that knows the shape counts
    // them with the shape rule (pointers do); NaN tells one that does not.
    outputs: { kind: 'list', count: () => NaN },
  }),
  split: spec([tensor('x', ANY)], ['numOrSizeSplits', 'axis'], {
    checks: [split('numOrSizeSplits', 'axis')],
    shape: splitShape('numOrSizeSplits', 'axis'),
    outputs: {
      kind: 'list',
      // NaN (which callers refuse) for a count no worker would accept, before anyone allocates ids for it.
      count: ([numOrSizeSplits]) => {
        const n = Array.isArray(numOrSizeSplits) ? numOrSizeSplits.length : Number(numOrSizeSplits);
        return Number.isSafeInteger(n) && n >= 1 && n <= MAX_OP_OUTPUTS ? n : NaN;
      },
    },
  }),

  // neural-network layers
  conv1d: spec([tensor('x', FLOAT), tensor('filter', FLOAT)], ['stride', 'pad', 'dataFormat', 'dilation', 'dimRoundingMode'], {
    checks: [rank(0, 'x', 2, 3), convGeometry(CONV1D)],
    shape: convShapeOf(CONV1D),
  }),
  conv2d: conv('conv2d'),
  depthwiseConv2d: conv('depthwise'),
  maxPool: pool(),
  avgPool: pool(),
  batchNorm: spec(
    [tensor('x', FLOAT), operand('mean', FLOAT), operand('variance', FLOAT), optional('offset', FLOAT), optional('scale', FLOAT)],
    ['varianceEpsilon'],
    { checks: [channelParams(1, 2, 3, 4), num('varianceEpsilon', { optional: true, finite: true, min: 0 })] },
  ),
  localResponseNormalization: spec([tensor('x', FLOAT)], ['depthRadius', 'bias', 'alpha', 'beta'], {
    checks: [
      rank(0, 'x', 3, 4),
      // The wasm kernel adds the radius to a channel index in int32; beyond the channel count a radius changes nothing.
      num('depthRadius', { optional: true, integer: true, min: 0, max: 2 ** 16 }),
      // A positive base keeps bias + alpha * sum(x^2) raised to -beta defined (the backends disagree on NaN otherwise).
      num('bias', { optional: true, finite: true, min: 0, minExclusive: true }),
      num('alpha', { optional: true, finite: true, min: 0 }),
      num('beta', { optional: true, finite: true, min: 0 }),
    ],
  }),
  dropout: spec([tensor('x', FLOAT)], ['rate', 'noiseShape', 'seed'], {
    checks: [num('rate', { min: 0, max: 1, maxExclusive: true }), noiseShape('noiseShape'), seed('seed')],
  }),
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
  const s: OpSpec = OPS[name];
  const rules = s.checks.inputs;
  const inputs = Array.isArray(rules) ? (rules as readonly InputRule[]).map((r) => (r.kind === 'optional-tensor' ? `${r.name}?` : r.name)) : ['tensors[]'];
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
