/**
 * What an op's arguments must satisfy before a tfjs kernel sees them: the
 * vocabulary of checks that every entry of the op registry declares, and the
 * function that runs an entry's checks on the arguments of one call.
 *
 * Why a worker checks at all: tfjs validates little, and the wasm backend's
 * kernels trust what they are given. Measured on tfjs-backend-wasm 4.22 (see
 * the isolation and op-boundary tests): `slice` with a negative begin, a
 * `stridedSlice` with shrink masks and strides, `gatherND` indices out of
 * range, `gather` with batchDims, a `prelu` alpha that does not broadcast, a
 * filter or pool window larger than its (padded) input, a rounding mode that
 * makes a convolution's output larger than XNNPACK computes, a reduction or
 * matMul over an empty axis, and any XNNPACK kernel (pad, broadcasting binary
 * ops) on more than 6 dimensions all return memory the kernel never wrote —
 * another actor's freed tensors. `tile`/`pad` with negative sizes, `transpose`
 * with a repeated axis, `cumsum` with a negative axis, bool tensors in
 * element-wise math, `oneHot` into a bool tensor, `cast` to bool and numeric
 * pads below zero corrupt the thread's heap for every actor on it. Sizes from
 * the wire (10^12 elements) run for tens of seconds at 1.4 GB.
 *
 * So no argument reaches a kernel unchecked: every input's kind, dtype, rank and
 * size, every attribute's type and range, the data of index tensors, and the
 * shapes of the outputs, before anything is allocated. Checks are data in the
 * registry entry (one op, one entry, as tfjs registers kernels); this file
 * holds the kinds of check, each written once.
 *
 * Everything here is shape arithmetic on safe integers: a product that leaves
 * the safe range becomes Infinity, which no budget admits.
 */
import { InvalidArgumentError } from './errors.js';

/**
 * The most elements an op may produce (all its outputs together): 2^27, 512 MB
 * of float32. A worker shares its thread's wasm heap (at most 4 GB, and tfjs
 * copies a result once more when it is read) with every actor on the thread;
 * one op must not be able to take a quarter of it. The largest tensors the
 * examples and tests make (the MNIST training set, 60000 x 784 = 2^25.5) fit
 * with room; the probe's 10^12-element tile/pad/broadcastTo (22-28 s, 1.4 GB)
 * does not.
 */
export const MAX_OP_OUTPUT_ELEMENTS = 2 ** 27;

/**
 * The most dimensions an op's inputs and outputs may have. The wasm backend
 * runs pad and broadcasting element-wise ops on XNNPACK, which supports 6
 * (XNN_MAX_TENSOR_DIMS); with 7 its setup fails, the kernel returns without
 * writing, and the output holds whatever the heap held before.
 */
export const MAX_OP_RANK = 6;

/**
 * The most tensors one op may make (split): each is an object with an id in
 * the store and in the caller's message, and the protocol refuses an op
 * command with more output ids than this (src/core/commands.ts).
 */
export const MAX_OP_OUTPUTS = 1024;

/** Geometry that XNNPACK and the wasm kernels take as 32-bit integers. */
const MAX_INT32 = 2 ** 31 - 1;

export type DType = 'float32' | 'int32' | 'bool';

export const ANY: readonly DType[] = ['float32', 'int32', 'bool'];
/** Element-wise math: most wasm kernels read a bool tensor (1 byte each) as if it held 4-byte numbers. */
export const NUMERIC: readonly DType[] = ['float32', 'int32'];
/** Transcendental math, matMul, convolutions: the wasm kernels compute these in float32 only. */
export const FLOAT: readonly DType[] = ['float32'];
export const INT: readonly DType[] = ['int32'];
export const BOOL: readonly DType[] = ['bool'];

/** What a check reads of a tensor argument: its shape and dtype, and, for index checks only, its values. */
export interface TensorView {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly size: number;
  dataSync(): ArrayLike<number>;
}

/** How an op's leading arguments are given. */
export type InputRule =
  /** A tensor of one of `dtypes`. */
  | { readonly kind: 'tensor'; readonly name: string; readonly dtypes: readonly DType[] }
  /** A tensor, or a plain number or boolean that tfjs turns into a scalar (the operands of element-wise ops). */
  | { readonly kind: 'tensor-or-scalar'; readonly name: string; readonly dtypes: readonly DType[] }
  /** A tensor, or undefined/null (batchNorm's offset and scale). */
  | { readonly kind: 'optional-tensor'; readonly name: string; readonly dtypes: readonly DType[] };

/** The first argument is a non-empty array of tensors of one dtype (concat, stack, addN). */
export interface ListRule {
  readonly kind: 'tensor-list';
  readonly name: string;
  readonly dtypes: readonly DType[];
}

/** One call of an op as its checks see it. */
interface OpCall {
  readonly op: string;
  /** The tensor inputs in order (for list ops, the list's tensors); an absent optional input is undefined. */
  readonly inputs: readonly (TensorView | undefined)[];
  /** Input `i`'s name as tfjs names it, for messages. */
  inputName(i: number): string;
  /** An attribute by its registry name; undefined when the call did not pass it. */
  attr(name: string): unknown;
  /** Whether the backend running the op has this kernel. */
  hasKernel(kernel: string): boolean;
  /** The backend's name, for messages. */
  readonly backend: string;
}

type CheckKind =
  | 'flag'
  | 'number'
  | 'one-of'
  | 'cast-dtype'
  | 'seed'
  | 'rank'
  | 'same-dtype'
  | 'operand-dtypes'
  | 'kernel'
  | 'axis'
  | 'axes'
  | 'last-axis'
  | 'scan-axis'
  | 'permutation'
  | 'squeeze-axes'
  | 'slice-window'
  | 'strided-slice'
  | 'reshape'
  | 'reps'
  | 'paddings'
  | 'mirror-paddings'
  | 'broadcast-target'
  | 'batch-dims'
  | 'indices'
  | 'nd-indices-shape'
  | 'nd-indices'
  | 'segment-ids-shape'
  | 'segment-ids'
  | 'depth'
  | 'block-size'
  | 'same-shapes'
  | 'concat-shapes'
  | 'split'
  | 'conv-geometry'
  | 'pool-geometry'
  | 'channel-params'
  | 'noise-shape'
  | 'matmul'
  | 'dot'
  | 'broadcast'
  | 'int-divisor'
  | 'norm'
  | 'top-k'
  | 'clip-range';

export interface Check {
  readonly kind: CheckKind;
  /** The attributes and inputs it constrains, by registry name. */
  readonly targets: readonly string[];
  /** 'values' checks read a tensor's data (dataSync); they run last, once shapes and the output budget passed. */
  readonly reads: 'shape' | 'values';
  /** Throws InvalidArgumentError when the call breaks the rule. */
  readonly run: (call: OpCall) => void;
}

/** The shapes of an op's outputs, computed from a call that passed every shape check. */
export interface OutputRule {
  readonly kind: string;
  readonly shapes: (call: OpCall) => readonly (readonly number[])[];
}

/**
 * The dtypes of an op's outputs (one per output shape), computed from a call
 * that passed every shape check: what tfjs gives on every backend, so that a
 * caller knows a result's dtype without asking the worker.
 */
export interface DtypeRule {
  readonly kind: string;
  readonly dtypes: (call: OpCall, outputs: number) => readonly DType[];
}

/** Everything a registry entry declares about its arguments. */
export interface OpChecks {
  readonly inputs: readonly InputRule[] | ListRule;
  readonly checks: readonly Check[];
  readonly output: OutputRule;
  readonly dtype: DtypeRule;
}

/** The outputs of one call, in output order: what a pointer knows of its result before the worker runs it. */
export interface OpOutputs {
  readonly shapes: readonly (readonly number[])[];
  readonly dtypes: readonly DType[];
}

/** What checkOpArguments needs of the registry entry (the registry imports this file, not the reverse). */
interface CheckedOp {
  readonly attrs: readonly string[];
  readonly checks: OpChecks;
}

/** How the caller's world looks: which values are tensors, which kernels exist. */
export interface CheckEnv {
  isTensor(value: unknown): value is TensorView;
  hasKernel(kernel: string): boolean;
  backend(): string;
}

/**
 * A tensor known by its shape and dtype only: what a caller knows of a
 * pointer. inferOpOutputs runs no check that reads values, so none reads these.
 */
export class ShapeOnly implements TensorView {
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: string,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  dataSync(): never {
    throw new InvalidArgumentError('the values of a tensor known by its shape only were read; only the worker holding it can check them');
  }
}

/**
 * The caller's world for inferOpOutputs: tensors are ShapeOnly views, and
 * kernels are the worker's business (its backend may differ from the caller's,
 * over a network), so the caller assumes they exist and lets the worker refuse.
 */
export const SHAPE_ONLY_ENV: CheckEnv = {
  isTensor: (value): value is TensorView => value instanceof ShapeOnly,
  hasKernel: () => true,
  backend: () => 'caller',
};

// ---------------------------------------------------------------------------
// Running an entry's checks

/**
 * Checks one call's arguments (inputs already resolved to tensors) against the
 * op's registry entry; throws InvalidArgumentError naming the op, the argument,
 * what is wrong and how to fix it.
 */
export function checkOpArguments(op: string, entry: CheckedOp, args: readonly unknown[], env: CheckEnv): void {
  const call = shapeChecked(op, entry, args, env);
  for (const check of entry.checks.checks) if (check.reads === 'values') check.run(call);
}

/**
 * The shapes and dtypes of a call's outputs, after every check that reads
 * only shapes, dtypes and attributes (the ones a caller can run on what it
 * knows of its pointers): a call these refuse, the worker would refuse with
 * the same message. Checks that read tensor values are left to the worker.
 */
export function inferOpOutputs(op: string, entry: CheckedOp, args: readonly unknown[], env: CheckEnv): OpOutputs {
  const call = shapeChecked(op, entry, args, env);
  const shapes = entry.checks.output.shapes(call);
  return { shapes, dtypes: entry.checks.dtype.dtypes(call, shapes.length) };
}

function shapeChecked(op: string, entry: CheckedOp, args: readonly unknown[], env: CheckEnv): Call {
  const { inputs: rules, checks, output } = entry.checks;
  const leading = Array.isArray(rules) ? rules.length : 1;
  const most = leading + entry.attrs.length;
  if (args.length > most) {
    throw new InvalidArgumentError(
      `${op}: got ${args.length} arguments, but it takes at most ${most} (${[...inputNames(rules), ...entry.attrs].join(', ')}); drop the extra ones.`,
    );
  }
  const call = new Call(op, viewInputs(op, rules, args, env), rules, entry.attrs, args, leading, env);
  for (const check of checks) if (check.reads === 'shape') check.run(call);
  checkOutputs(op, output.shapes(call));
  return call;
}

/** One call, as its checks see it. A class, not closures: this runs on every remote op. */
class Call implements OpCall {
  constructor(
    readonly op: string,
    readonly inputs: readonly (TensorView | undefined)[],
    private readonly rules: readonly InputRule[] | ListRule,
    private readonly names: readonly string[],
    private readonly args: readonly unknown[],
    private readonly offset: number,
    private readonly env: CheckEnv,
  ) {}

  attr(name: string): unknown {
    const i = this.names.indexOf(name);
    return i === -1 ? undefined : this.args[this.offset + i];
  }

  inputName(i: number): string {
    return Array.isArray(this.rules) ? ((this.rules as readonly InputRule[])[i]?.name ?? `input ${i}`) : `${(this.rules as ListRule).name}[${i}]`;
  }

  hasKernel(kernel: string): boolean {
    return this.env.hasKernel(kernel);
  }

  get backend(): string {
    return this.env.backend();
  }
}

function inputNames(rules: readonly InputRule[] | ListRule): string[] {
  return Array.isArray(rules) ? (rules as readonly InputRule[]).map((r) => r.name) : [(rules as ListRule).name];
}

function viewInputs(op: string, rules: readonly InputRule[] | ListRule, args: readonly unknown[], env: CheckEnv): (TensorView | undefined)[] {
  if (!Array.isArray(rules)) return viewList(op, rules as ListRule, args[0], env);
  const views: (TensorView | undefined)[] = new Array(rules.length);
  for (let i = 0; i < rules.length; i++) views[i] = viewInput(op, (rules as readonly InputRule[])[i]!, args[i], env);
  return views;
}

function viewInput(op: string, rule: InputRule, value: unknown, env: CheckEnv): TensorView | undefined {
  if (env.isTensor(value)) return checkTensor(op, rule.name, value, rule.dtypes);
  if (rule.kind === 'optional-tensor' && (value === undefined || value === null)) return undefined;
  if (rule.kind === 'tensor-or-scalar' && (typeof value === 'number' || typeof value === 'boolean')) {
    return checkTensor(op, rule.name, scalarView(value), rule.dtypes);
  }
  const expected = rule.kind === 'tensor-or-scalar' ? 'a tensor or a number' : rule.kind === 'optional-tensor' ? 'a tensor or nothing' : 'a tensor';
  throw new InvalidArgumentError(
    `${op}: input ${rule.name} is ${describe(value)}, where ${expected} is expected; ` +
      `pass a tensor (a pointer at the same worker)${value === undefined ? '' : ', not plain data'}.`,
  );
}

function viewList(op: string, rule: ListRule, value: unknown, env: CheckEnv): TensorView[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError(`${op}: ${rule.name} is ${describe(value)}; pass a non-empty array of tensors.`);
  }
  const views = value.map((t, i) => {
    if (!env.isTensor(t)) {
      throw new InvalidArgumentError(`${op}: ${rule.name}[${i}] is ${describe(t)}; every element must be a tensor.`);
    }
    return checkTensor(op, `${rule.name}[${i}]`, t, rule.dtypes);
  });
  const dtype = views[0]!.dtype;
  views.forEach((v, i) => {
    if (v.dtype !== dtype) {
      throw new InvalidArgumentError(`${op}: ${rule.name}[${i}] is ${v.dtype} but ${rule.name}[0] is ${dtype}; cast them to one dtype first.`);
    }
  });
  return views;
}

/** tfjs turns a number into a float32 scalar and a boolean into a bool one. */
function scalarView(value: number | boolean): TensorView {
  return { shape: [], dtype: typeof value === 'boolean' ? 'bool' : 'float32', size: 1, dataSync: () => [Number(value)] };
}

function checkTensor(op: string, name: string, t: TensorView, dtypes: readonly DType[]): TensorView {
  if (!(dtypes as readonly string[]).includes(t.dtype)) {
    const fix = t.dtype === 'bool' ? `cast it first, e.g. x.cast('${dtypes[0]}')` : `cast it to ${dtypes.join(' or ')} first`;
    throw new InvalidArgumentError(`${op}: input ${name} has dtype ${t.dtype}, but ${op} takes ${dtypes.join(' or ')}; ${fix}.`);
  }
  if (t.shape.length > MAX_OP_RANK) {
    throw new InvalidArgumentError(
      `${op}: input ${name} has rank ${t.shape.length} (shape ${showShape(t.shape)}); ops run on tensors of rank at most ${MAX_OP_RANK} ` +
        `(the wasm backend's XNNPACK kernels handle no more); reshape it first.`,
    );
  }
  if (t.size === 0) {
    throw new InvalidArgumentError(
      `${op}: input ${name} has no elements (shape ${showShape(t.shape)}); ops do not run on empty tensors ` +
        `(the wasm kernels return unwritten memory for empty reductions and products); skip the op for empty data.`,
    );
  }
  return t;
}

function checkOutputs(op: string, shapes: readonly (readonly number[])[]): void {
  let total = 0;
  for (const shape of shapes) {
    if (shape.length > MAX_OP_RANK) {
      throw new InvalidArgumentError(
        `${op}: the result would have rank ${shape.length} (shape ${showShape(shape)}); ops make tensors of rank at most ${MAX_OP_RANK}; ` +
          `reshape to fewer dimensions first.`,
      );
    }
    const n = sizeOf(shape);
    if (n === 0) {
      throw new InvalidArgumentError(
        `${op}: the result would have no elements (shape ${showShape(shape)}); ops do not make empty tensors; choose sizes of at least 1.`,
      );
    }
    total += n;
  }
  if (!(total <= MAX_OP_OUTPUT_ELEMENTS)) {
    const shown = shapes.length === 1 ? `shape ${showShape(shapes[0]!)}, ` : '';
    throw new InvalidArgumentError(
      `${op}: the result would have ${Number.isFinite(total) ? total : 'more than 2^53'} elements (${shown}over the limit of ` +
        `${MAX_OP_OUTPUT_ELEMENTS} = 2^27 per op); work on smaller pieces.`,
    );
  }
}

// ---------------------------------------------------------------------------
// Shared helpers

/** A short description of a value for messages (never the whole of a huge array). */
export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => (Array.isArray(v) ? `[${v.slice(0, 4).map(String).join(', ')}${v.length > 4 ? ', ...' : ''}]` : short(v)));
    return `[${items.join(', ')}${value.length > 8 ? `, ... (${value.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if ('dtype' in (value as object) && 'shape' in (value as object)) return 'a tensor';
  return `an object (${Object.keys(value as object).slice(0, 4).join(', ') || 'no keys'})`;
}

function short(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 12 ? `${v.slice(0, 12)}...` : v);
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  return typeof v;
}

function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Product of dims; Infinity once it leaves the safe integers (no budget admits it). */
function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

function fail(call: OpCall, subject: string, problem: string, fix: string): never {
  throw new InvalidArgumentError(`${call.op}: ${subject} ${problem}; ${fix}.`);
}

/** A check of the attributes and inputs it names (`targets`); 'values' for one that reads a tensor's data. */
function check(kind: CheckKind, targets: readonly string[], run: (call: OpCall) => void, reads: Check['reads'] = 'shape'): Check {
  return { kind, targets, reads, run };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function input(call: OpCall, i: number): TensorView {
  return call.inputs[i]!;
}

function rankOf(call: OpCall, i = 0): number {
  return input(call, i).shape.length;
}

/** An integer attribute, or a failure that says which range it must be in. */
function intIn(call: OpCall, subject: string, v: unknown, min: number, max: number, fix: string): number {
  if (!isInt(v)) fail(call, `${subject} = ${describe(v)}`, 'is not an integer', fix);
  if (v < min || v > max) fail(call, `${subject} = ${v}`, `is outside [${min}, ${max}]`, fix);
  return v;
}

/** An array attribute of exactly `length` items (or any length when undefined). */
function arrayOf(call: OpCall, name: string, v: unknown, length: number | undefined, fix: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(call, `${name} = ${describe(v)}`, 'is not an array', fix);
  if (length !== undefined && v.length !== length) fail(call, `${name} has ${v.length} entries`, `but the input has rank ${length}`, fix);
  return v;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** One axis in [-rank, rank), normalized; `extend` admits one more position (expandDims, stack). */
function axisValue(call: OpCall, name: string, v: unknown, rank: number, extend = 0): number {
  const r = rank + extend;
  if (r === 0) fail(call, `${name} = ${describe(v)}`, 'cannot name an axis of a scalar', 'reshape the input to rank 1 first');
  return normAxis(intIn(call, name, v, -r, r - 1, `pass an axis in [-${r}, ${r}) for the input of rank ${rank}`), r);
}

/** undefined/null (all axes), one axis, or a list of distinct axes; normalized. */
function axesValue(call: OpCall, name: string, v: unknown, rank: number): number[] {
  if (v === undefined || v === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list)) fail(call, `${name} = ${describe(v)}`, 'is not an axis or a list of axes', `pass integers in [-${rank}, ${rank})`);
  if (list.length > rank) fail(call, `${name} = ${describe(v)}`, `names ${list.length} axes of a rank-${rank} input`, 'name each axis once');
  const seen = new Set<number>();
  list.forEach((a, i) => {
    const axis = axisValue(call, Array.isArray(v) ? `${name}[${i}]` : name, a, rank);
    if (seen.has(axis)) fail(call, `${name} = ${describe(v)}`, `names axis ${axis} twice`, 'name each axis once');
    seen.add(axis);
  });
  return [...seen];
}

function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = new Array(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Plain attributes

/** A boolean, or nothing (keepDims, transposeA, exclusive, sorted). */
export function flag(name: string): Check {
  return check('flag', [name], (call) => {
    const v = call.attr(name);
    if (v !== undefined && typeof v !== 'boolean') fail(call, `${name} = ${describe(v)}`, 'is not a boolean', 'pass true or false');
  });
}

interface NumberRule {
  /** May be left out (tfjs's default applies). */
  readonly optional?: boolean;
  /** Must be finite (else only NaN is refused). */
  readonly finite?: boolean;
  readonly integer?: boolean;
  /** Inclusive unless `minExclusive`. */
  readonly min?: number;
  readonly minExclusive?: boolean;
  /** Inclusive unless `maxExclusive`. */
  readonly max?: number;
  readonly maxExclusive?: boolean;
}

/** A number attribute (alpha, epsilon, rate, depthRadius, pad values). */
export function num(name: string, rule: NumberRule = {}): Check {
  const range = `${rule.minExclusive ? '(' : '['}${rule.min ?? '-∞'}, ${rule.max ?? '∞'}${rule.maxExclusive ? ')' : ']'}`;
  const fix = `pass ${rule.integer ? 'an integer' : rule.finite ? 'a finite number' : 'a number'}${rule.min !== undefined || rule.max !== undefined ? ` in ${range}` : ''}`;
  return check('number', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined && rule.optional) return;
    if (typeof v !== 'number' || Number.isNaN(v)) fail(call, `${name} = ${describe(v)}`, 'is not a number', fix);
    if (rule.finite && !Number.isFinite(v)) fail(call, `${name} = ${v}`, 'is not finite', fix);
    if (rule.integer && !Number.isSafeInteger(v)) fail(call, `${name} = ${v}`, 'is not an integer', fix);
    const low = rule.min !== undefined && (rule.minExclusive ? v <= rule.min : v < rule.min);
    const high = rule.max !== undefined && (rule.maxExclusive ? v >= rule.max : v > rule.max);
    if (low || high) fail(call, `${name} = ${v}`, `is outside ${range}`, fix);
  });
}

/** One of a few literal values; `why` explains a restriction narrower than tfjs's. */
export function oneOf(name: string, values: readonly (string | number)[], options: { optional?: boolean; why?: string } = {}): Check {
  return check('one-of', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined && options.optional) return;
    if (!values.includes(v as string | number)) {
      fail(call, `${name} = ${describe(v)}`, `is not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, options.why ?? `pass one of them`);
    }
  });
}

/** cast's target: a dtype tensors can have; casts to bool only from bool. */
export function castDtype(name: string): Check {
  return check('cast-dtype', [name], (call) => {
    const v = call.attr(name);
    if (!(ANY as readonly unknown[]).includes(v)) {
      fail(call, `${name} = ${describe(v)}`, `is not a dtype tensors can have`, `pass 'float32', 'int32' or 'bool'`);
    }
    if (v === 'bool' && input(call, 0).dtype !== 'bool') {
      // The wasm Cast kernel truncates to one byte instead of testing != 0 (256 becomes false, -2 becomes 254).
      fail(call, `${name} = 'bool'`, `from ${input(call, 0).dtype} is not supported (the wasm backend truncates instead of testing x != 0)`, 'use x.notEqual(0)');
    }
  });
}

/** dropout's seed: a number or a string, or nothing. */
export function seed(name: string): Check {
  return check('seed', [name], (call) => {
    const v = call.attr(name);
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v)) && typeof v !== 'string') {
      fail(call, `${name} = ${describe(v)}`, 'is not a seed', 'pass a finite number or a string, or leave it out');
    }
  });
}

/** clipByValue's bounds: numbers with min <= max. */
export function clipRange(minName: string, maxName: string): Check {
  return check('clip-range', [minName, maxName], (call) => {
    const [lo, hi] = [call.attr(minName), call.attr(maxName)];
    for (const [n, v] of [[minName, lo], [maxName, hi]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) fail(call, `${n} = ${describe(v)}`, 'is not a number', `pass numbers with ${minName} <= ${maxName}`);
    }
    if ((lo as number) > (hi as number)) fail(call, `${minName} = ${String(lo)}`, `is greater than ${maxName} = ${String(hi)}`, `pass ${minName} <= ${maxName}`);
  });
}

// ---------------------------------------------------------------------------
// Inputs

/** An input's rank lies in [min, max]. */
export function rank(inputIndex: number, name: string, min: number, max = MAX_OP_RANK): Check {
  return check('rank', [name], (call) => {
    const t = call.inputs[inputIndex];
    if (t === undefined) return;
    const r = t.shape.length;
    if (r < min || r > max) {
      fail(call, `input ${name} has rank ${r} (shape ${showShape(t.shape)})`, min === max ? `but must have rank ${min}` : `but must have rank ${min} to ${max}`, 'reshape it first');
    }
  });
}

/** Two or more inputs share a dtype (where's branches). */
export function sameDtype(...indices: number[]): Check {
  return check('same-dtype', indices.map(String), (call) => {
    const ts = indices.map((i) => input(call, i));
    if (ts.some((t) => t.dtype !== ts[0]!.dtype)) {
      fail(call, `${indices.map((i) => call.inputName(i)).join(' and ')} have dtypes ${ts.map((t) => t.dtype).join(' and ')}`, 'which differ', 'cast them to one dtype (a number is float32)');
    }
  });
}

/**
 * Not every operand is bool: tfjs casts a bool operand to the other's dtype, but
 * with two bool operands it runs the kernel on bools, which the wasm kernels
 * get wrong (add gives 1 + 1 = 1, cpu 2).
 */
export function notAllBool(): Check {
  return check('operand-dtypes', [], (call) => {
    if (call.inputs.every((t) => t!.dtype === 'bool')) fail(call, 'every operand', 'is bool', "cast one to 'float32' or 'int32' first");
  });
}

/** The backend has the op's kernel (the wasm backend has no UnsortedSegmentSum). */
export function kernel(name: string): Check {
  return check('kernel', [], (call) => {
    if (!call.hasKernel(name)) {
      fail(call, `the '${call.backend}' backend`, `has no ${name} kernel`, "run it on a worker with the 'cpu' or 'tensorflow' backend (SYFT_BACKEND)");
    }
  });
}

/** The operands broadcast together (numpy rules). */
export function broadcastable(): Check {
  return check('broadcast', [], (call) => {
    let shape: number[] | undefined = [];
    for (const t of call.inputs) {
      const next: number[] | undefined = broadcast(shape!, t!.shape);
      if (next === undefined) {
        fail(call, `the input shapes ${call.inputs.map((u) => showShape(u!.shape)).join(' and ')}`, 'do not broadcast together', 'make each dimension equal or 1 (align from the right)');
      }
      shape = next;
    }
  });
}

/**
 * A per-channel parameter (prelu's alpha, batchNorm's mean/variance/offset/scale)
 * matches the input's trailing dimensions: both wasm kernels index it modulo its
 * size, which equals broadcasting only then, and read past its end otherwise.
 */
export function channelParams(...indices: number[]): Check {
  return check('channel-params', indices.map(String), (call) => {
    const x = input(call, 0);
    for (const i of indices) {
      const p = call.inputs[i];
      if (p === undefined || p.size === 1) continue;
      const dims = [...p.shape];
      while (dims.length > 0 && dims[0] === 1) dims.shift();
      const trailing = x.shape.slice(x.shape.length - dims.length);
      const fits = p.shape.length <= x.shape.length && dims.length <= x.shape.length && dims.every((d, k) => d === trailing[k]);
      if (!fits) {
        fail(
          call,
          `${call.inputName(i)} has shape ${showShape(p.shape)}`,
          `which is neither one value nor the trailing dimensions of the input's shape ${showShape(x.shape)}`,
          `pass one value per channel, shape [${x.shape[x.shape.length - 1]}]`,
        );
      }
    }
    if (call.op === 'batchNorm') {
      const ranks = indices.map((i) => call.inputs[i]).filter((t) => t !== undefined).map((t) => t.shape.length);
      if (ranks.some((r) => r !== ranks[0])) fail(call, `mean, variance, offset and scale have ranks ${ranks.join(', ')}`, 'which differ', 'give them one rank');
    }
  });
}

// ---------------------------------------------------------------------------
// Axes

/** One axis of input `inputIndex`; optional when tfjs has a default. `extend`: one past the last is allowed. */
export function axis(name: string, options: { optional?: boolean; extend?: number; inputIndex?: number } = {}): Check {
  return check('axis', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined && options.optional) return;
    axisValue(call, name, v, rankOf(call, options.inputIndex ?? 0), options.extend ?? 0);
  });
}

/** Reduction axes: nothing or null (all), one axis, or distinct axes. */
export function axes(name: string): Check {
  return check('axes', [name], (call) => void axesValue(call, name, call.attr(name), rankOf(call)));
}

/** softmax and logSoftmax run along the last axis only (tfjs refuses any other). */
export function lastAxis(name: string): Check {
  return check('last-axis', [name], (call) => {
    const v = call.attr(name);
    const r = rankOf(call);
    if (v !== undefined && v !== -1 && v !== r - 1) fail(call, `${name} = ${describe(v)}`, 'is not the last axis', `leave it out, or pass -1 or ${r - 1}`);
  });
}

/** cumsum/cumprod: an axis in [0, rank). A negative axis corrupts the wasm heap, and tfjs's cpu kernel mishandles it. */
export function scanAxis(name: string): Check {
  return check('scan-axis', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined) return;
    const r = rankOf(call);
    intIn(call, name, v, 0, r - 1, `pass a non-negative axis in [0, ${r}) (for the last axis, ${r - 1})`);
  });
}

/** transpose's perm: each axis exactly once. */
export function permutation(name: string): Check {
  return check('permutation', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined) return;
    const r = rankOf(call);
    const fix = `pass each axis 0..${r - 1} exactly once, e.g. [${Array.from({ length: r }, (_, i) => r - 1 - i).join(', ')}]`;
    const perm = arrayOf(call, name, v, r, fix);
    const seen = new Set<number>();
    perm.forEach((p, i) => {
      const a = intIn(call, `${name}[${i}]`, p, 0, r - 1, fix);
      if (seen.has(a)) fail(call, `${name} = ${describe(v)}`, `repeats axis ${a}`, fix);
      seen.add(a);
    });
  });
}

/** squeeze's axes: each must have size 1. */
export function squeezeAxes(name: string): Check {
  return check('squeeze-axes', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return;
    const x = input(call, 0);
    for (const a of axesValue(call, name, v, x.shape.length)) {
      if (x.shape[a] !== 1) fail(call, `${name} names axis ${a}`, `whose size is ${x.shape[a]}, not 1`, 'name only axes of size 1');
    }
  });
}

// ---------------------------------------------------------------------------
// Windows, shapes and sizes

/** The [begin, size] of a slice, as tfjs reads them (a number is the first axis; missing axes take everything). */
function sliceParams(call: OpCall, beginName: string, sizeName: string): { begin: number[]; size: number[] } {
  const x = input(call, 0);
  const r = x.shape.length;
  const where = `begin and size must lie inside the input's shape ${showShape(x.shape)}`;
  const listOf = (name: string, v: unknown, fill: number): number[] => {
    const list = typeof v === 'number' ? [v] : v === undefined && name === sizeName ? [] : v;
    if (!Array.isArray(list)) fail(call, `${name} = ${describe(v)}`, 'is not a list of integers', where);
    if (list.length > r) fail(call, `${name} has ${list.length} entries`, `but the input has rank ${r}`, where);
    const out = list.map((d, i) => {
      if (!isInt(d)) fail(call, `${name}[${i}] = ${describe(d)}`, 'is not an integer', where);
      return d;
    });
    while (out.length < r) out.push(fill);
    return out;
  };
  const begin = listOf(beginName, call.attr(beginName), 0);
  const size = listOf(sizeName, call.attr(sizeName), -1);
  for (let i = 0; i < r; i++) {
    const [b, s, d] = [begin[i]!, size[i]!, x.shape[i]!];
    if (b < 0) fail(call, `${beginName}[${i}] = ${b}`, 'is negative', where);
    if (b >= d) fail(call, `${beginName}[${i}] = ${b}`, `is past the end of axis ${i} (size ${d})`, where);
    if (s === -1) size[i] = d - b;
    else if (s < 1) fail(call, `${sizeName}[${i}] = ${s}`, 'is neither -1 (to the end) nor positive', where);
    else if (b + s > d) fail(call, `${sizeName}[${i}] = ${s}`, `runs past the end of axis ${i} (begin ${b} + size ${s} > ${d})`, where);
  }
  return { begin, size };
}

/** slice's begin and size lie inside the input. */
export function sliceWindow(beginName: string, sizeName: string): Check {
  return check('slice-window', [beginName, sizeName], (call) => void sliceParams(call, beginName, sizeName));
}

const STRIDED = ['begin', 'end', 'strides', 'beginMask', 'endMask', 'ellipsisMask', 'newAxisMask', 'shrinkAxisMask'] as const;

/**
 * stridedSlice, in the part where tfjs 4.22 is right on every backend: no
 * ellipsis or new axes (tfjs's sliceInfo then makes the wasm kernel read out
 * of bounds or abort), shrinking only with unit strides and without begin/end
 * masks on the shrunk axis. Returns the output shape, TensorFlow's semantics.
 */
function stridedParams(call: OpCall): number[] {
  const x = input(call, 0);
  const r = x.shape.length;
  const [begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask] = STRIDED.map((n) => call.attr(n));
  const fix = `pass begin, end (and strides) with one integer per axis, at most ${r}`;
  const b = arrayOf(call, 'begin', begin, undefined, fix);
  const n = b.length;
  if (n === 0 || n > r) fail(call, `begin has ${n} entries`, `but the input has rank ${r}`, fix);
  const e = arrayOf(call, 'end', end, n, `pass as many end entries as begin entries (${n})`);
  const s = strides === undefined ? new Array<number>(n).fill(1) : arrayOf(call, 'strides', strides, n, `pass as many strides as begin entries (${n})`);
  const ints = (name: string, list: readonly unknown[]) =>
    list.map((v, i) => (isInt(v) ? v : fail(call, `${name}[${i}] = ${describe(v)}`, 'is not an integer', fix)));
  const [bi, ei, si] = [ints('begin', b), ints('end', e), ints('strides', s)];
  const mask = (name: string, v: unknown): number => {
    if (v === undefined) return 0;
    return intIn(call, name, v, 0, 2 ** n - 1, `pass a bit mask over the ${n} sliced axes (0 to ${2 ** n - 1})`);
  };
  const [bm, em, sm] = [mask('beginMask', beginMask), mask('endMask', endMask), mask('shrinkAxisMask', shrinkAxisMask)];
  if (ellipsisMask !== undefined && ellipsisMask !== 0) fail(call, `ellipsisMask = ${describe(ellipsisMask)}`, 'is not supported', 'list every axis in begin/end instead (tfjs 4.22 reads out of bounds with it)');
  if (newAxisMask !== undefined && newAxisMask !== 0) fail(call, `newAxisMask = ${describe(newAxisMask)}`, 'is not supported', 'add axes with expandDims instead (tfjs 4.22 reads out of bounds with it)');
  si.forEach((v, i) => {
    if (v === 0) fail(call, `strides[${i}] = 0`, 'is zero', 'pass a non-zero stride');
  });
  if (sm !== 0 && si.some((v) => v !== 1)) fail(call, `shrinkAxisMask = ${sm}`, 'with strides other than 1 is not supported', 'slice with strides first, then squeeze (tfjs 4.22 computes it wrongly)');
  if ((sm & (bm | em)) !== 0) fail(call, `shrinkAxisMask = ${sm}`, 'shares axes with beginMask/endMask', 'clear those bits on shrunk axes');
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const d = x.shape[i]!;
    if (i >= n) {
      out.push(d);
      continue;
    }
    const bit = 1 << i;
    if (sm & bit) {
      const at = normAxis(bi[i]!, d);
      if (at < 0 || at >= d) fail(call, `begin[${i}] = ${bi[i]}`, `is outside axis ${i} (size ${d}), which shrinkAxisMask picks one index of`, `pass an index in [-${d}, ${d})`);
      continue;
    }
    const st = si[i]!;
    const clamp = (v: number) => (st > 0 ? Math.min(Math.max(v, 0), d) : Math.min(Math.max(v, -1), d - 1));
    const from = bm & bit ? (st > 0 ? 0 : d - 1) : clamp(normAxis(bi[i]!, d));
    const to = em & bit ? (st > 0 ? d : -1) : clamp(normAxis(ei[i]!, d));
    const count = Math.ceil((to - from) / st);
    if (!(count >= 1)) {
      fail(call, `begin[${i}] = ${bi[i]}, end[${i}] = ${ei[i]}, strides[${i}] = ${st}`, `select nothing of axis ${i} (size ${d})`, 'select at least one element per axis (tfjs cannot return an empty strided slice)');
    }
    out.push(count);
  }
  return out;
}

export function stridedWindow(): Check {
  return check('strided-slice', [...STRIDED], (call) => void stridedParams(call));
}

/** reshape's target: positive safe integers, at most one -1, with the input's element count. */
function reshapeTargetShape(call: OpCall, name: string): number[] {
  const x = input(call, 0);
  const v = call.attr(name);
  const fix = `pass positive integers (one of them may be -1) whose product is the input's size ${x.size}`;
  const list = arrayOf(call, name, v, undefined, fix);
  if (list.length > MAX_OP_RANK) fail(call, `${name} has ${list.length} entries`, `but tensors have rank at most ${MAX_OP_RANK}`, fix);
  let inferred = -1;
  let known = 1;
  list.forEach((d, i) => {
    if (d === -1) {
      if (inferred !== -1) fail(call, `${name} = ${describe(v)}`, 'has more than one -1', fix);
      inferred = i;
    } else if (!isInt(d) || d < 1) fail(call, `${name}[${i}] = ${describe(d)}`, 'is not a positive integer', fix);
    else known *= d;
  });
  const shape = list.slice() as number[];
  if (inferred !== -1) {
    if (x.size % known !== 0) fail(call, `${name} = ${describe(v)}`, `cannot hold ${x.size} elements (${x.size} is not a multiple of ${known})`, fix);
    shape[inferred] = x.size / known;
  } else if (known !== x.size) fail(call, `${name} = ${describe(v)}`, `holds ${known} elements, not the input's ${x.size}`, fix);
  return shape;
}

export function reshapeTarget(name: string): Check {
  return check('reshape', [name], (call) => void reshapeTargetShape(call, name));
}

/** tile's reps: one positive integer per axis. */
export function tileReps(name: string): Check {
  return check('reps', [name], (call) => {
    const r = rankOf(call);
    const fix = `pass one positive integer per axis (${r} in all)`;
    arrayOf(call, name, call.attr(name), r, fix).forEach((d, i) => {
      if (!isInt(d) || d < 1) fail(call, `${name}[${i}] = ${describe(d)}`, 'is not a positive integer', fix);
    });
  });
}

function padPairs(call: OpCall, name: string, limit?: (d: number) => number): [number, number][] {
  const x = input(call, 0);
  const r = x.shape.length;
  const fix = `pass one pair [before, after] of non-negative integers per axis (${r} in all)`;
  if (r === 0) fail(call, 'the input', 'is a scalar', 'reshape it to rank 1 before padding');
  return arrayOf(call, name, call.attr(name), r, fix).map((pair, i) => {
    const [before, after] = arrayOf(call, `${name}[${i}]`, pair, undefined, fix).length === 2 ? (pair as unknown[]) : fail(call, `${name}[${i}] = ${describe(pair)}`, 'is not a pair', fix);
    return [before, after].map((p, k) => {
      const at = `${name}[${i}][${k}] = ${describe(p)}`;
      if (!isInt(p)) fail(call, at, 'is not an integer', fix);
      if (p < 0) fail(call, at, 'is negative', fix);
      const most = limit?.(x.shape[i]!);
      if (most !== undefined && p > most) fail(call, at, `is more than ${most} for axis ${i} of size ${x.shape[i]}`, `pad each axis by at most ${most}`);
      return p;
    }) as [number, number];
  });
}

/** pad's paddings: one pair of non-negative integers per axis. */
export function paddings(name: string): Check {
  return check('paddings', [name], (call) => void padPairs(call, name));
}

/** mirrorPad's paddings: as pad's, and at most size-1 (reflect) or size (symmetric). */
export function mirrorPaddings(name: string, modeName: string): Check {
  return check('mirror-paddings', [name, modeName], (call) => {
    const mode = call.attr(modeName);
    if (mode !== 'reflect' && mode !== 'symmetric') fail(call, `${modeName} = ${describe(mode)}`, "is not 'reflect' or 'symmetric'", 'pass one of them');
    padPairs(call, name, (d) => (mode === 'reflect' ? d - 1 : d));
  });
}

/** broadcastTo's shape: positive integers, at least the input's rank, each input dim 1 or equal. */
export function broadcastTarget(name: string): Check {
  return check('broadcast-target', [name], (call) => {
    const x = input(call, 0);
    const fix = `pass positive integers, at least ${x.shape.length} of them, where each of the input's dims ${showShape(x.shape)} is 1 or equal (aligned right)`;
    const list = arrayOf(call, name, call.attr(name), undefined, fix);
    if (list.length < x.shape.length) fail(call, `${name} has ${list.length} entries`, `fewer than the input's rank ${x.shape.length}`, fix);
    if (list.length > MAX_OP_RANK) fail(call, `${name} has ${list.length} entries`, `but tensors have rank at most ${MAX_OP_RANK}`, fix);
    list.forEach((d, i) => {
      if (!isInt(d) || d < 1) fail(call, `${name}[${i}] = ${describe(d)}`, 'is not a positive integer', fix);
      const own = x.shape[x.shape.length - list.length + i];
      if (own !== undefined && own !== 1 && own !== d) fail(call, `${name}[${i}] = ${d}`, `does not match the input's dim ${own}`, fix);
    });
  });
}

// ---------------------------------------------------------------------------
// Indices (these read the index tensor)

/** gather's batchDims must be 0: the wasm kernel computes other values wrongly and reads out of bounds. */
export function zeroBatchDims(name: string): Check {
  return check('batch-dims', [name], (call) => {
    const v = call.attr(name);
    if (v !== undefined && v !== 0) fail(call, `${name} = ${describe(v)}`, 'is not supported (the wasm kernel gathers wrong rows with it)', 'leave it out or pass 0, and gather per batch');
  });
}

function firstOutside(values: ArrayLike<number>, size: number): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < size)) return i;
  }
  return -1;
}

/** gather's indices lie in [0, size of the gathered axis). */
export function indicesInRange(indicesInput: number, axisName: string): Check {
  return check('indices', [String(indicesInput), axisName], (call) => {
    const x = input(call, 0);
    const a = normAxis((call.attr(axisName) as number | undefined) ?? 0, x.shape.length);
    const d = x.shape[a]!;
    const values = input(call, indicesInput).dataSync();
    const at = firstOutside(values, d);
    if (at !== -1) fail(call, `indices[${at}] = ${values[at]}`, `is outside [0, ${d}) (axis ${a} of the input's shape ${showShape(x.shape)})`, `pass indices in [0, ${d})`);
  }, 'values');
}

/** gatherND's indices: rank >= 1, innermost dim at most the input's rank. */
export function ndIndicesShape(indicesInput: number): Check {
  return check('nd-indices-shape', [String(indicesInput)], (call) => {
    const [x, idx] = [input(call, 0), input(call, indicesInput)];
    const k = idx.shape[idx.shape.length - 1];
    if (idx.shape.length < 1 || k === undefined || k > x.shape.length) {
      fail(call, `indices have shape ${showShape(idx.shape)}`, `whose last dim is not in [1, ${x.shape.length}] (the input's rank)`, 'pass index tuples of at most rank entries, one tuple per row');
    }
  });
}

/** gatherND's index tuples lie inside the input (the wasm kernel does not check and reads any memory). */
export function ndIndicesInRange(indicesInput: number): Check {
  return check('nd-indices', [String(indicesInput)], (call) => {
    const [x, idx] = [input(call, 0), input(call, indicesInput)];
    const k = idx.shape[idx.shape.length - 1]!;
    const values = idx.dataSync();
    for (let i = 0; i < values.length; i++) {
      const d = x.shape[i % k]!;
      const v = values[i]!;
      if (!(v >= 0 && v < d)) {
        const row = Math.floor(i / k);
        fail(call, `indices row ${row}, entry ${i % k} = ${v}`, `is outside [0, ${d}) (axis ${i % k} of the input's shape ${showShape(x.shape)})`, 'pass index tuples inside the input');
      }
    }
  }, 'values');
}

/** unsortedSegmentSum: one id per row of x, numSegments a positive integer. */
export function segmentIdsShape(idsInput: number, numName: string): Check {
  return check('segment-ids-shape', [String(idsInput), numName], (call) => {
    const [x, ids] = [input(call, 0), input(call, idsInput)];
    if (x.shape.length < 1) fail(call, 'the input', 'is a scalar', 'pass a tensor with one row per segment id');
    if (ids.shape.length !== 1 || ids.shape[0] !== x.shape[0]) {
      fail(call, `segmentIds have shape ${showShape(ids.shape)}`, `not [${x.shape[0]}] (one id per row of the input)`, `pass a rank-1 int32 tensor of ${x.shape[0]} ids`);
    }
    const n = call.attr(numName);
    if (!isInt(n) || n < 1) fail(call, `${numName} = ${describe(n)}`, 'is not a positive integer', 'pass the number of segments');
  });
}

/** unsortedSegmentSum's ids lie in [0, numSegments). */
export function segmentIdsInRange(idsInput: number, numName: string): Check {
  return check('segment-ids', [String(idsInput), numName], (call) => {
    const n = call.attr(numName) as number;
    const values = input(call, idsInput).dataSync();
    const at = firstOutside(values, n);
    if (at !== -1) fail(call, `segmentIds[${at}] = ${values[at]}`, `is outside [0, ${n})`, `pass ids in [0, numSegments) or raise numSegments`);
  }, 'values');
}

/** Integer mod by zero traps in the wasm kernel ("remainder by zero"). */
export function intDivisor(divisorInput: number): Check {
  return check('int-divisor', [String(divisorInput)], (call) => {
    const [a, b] = [input(call, 0), input(call, divisorInput)];
    if (a.dtype !== 'int32' || b.dtype !== 'int32') return;
    const values = b.dataSync();
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) fail(call, `the int32 divisor has a zero at ${i}`, 'and integer division by zero is undefined', 'cast to float32 first, or replace the zeros');
    }
  }, 'values');
}

/** oneHot's depth: an integer of at least 2 (tfjs's minimum). */
export function depth(name: string): Check {
  return check('depth', [name], (call) => void intIn(call, name, call.attr(name), 2, MAX_INT32, 'pass the number of classes, an integer >= 2'));
}

/** depthToSpace: blockSize >= 2 dividing the channels, NHWC only (tfjs's cpu kernel has no NCHW). */
export function blockSize(name: string, formatName: string): Check {
  return check('block-size', [name, formatName], (call) => {
    const format = call.attr(formatName);
    if (format !== undefined && format !== 'NHWC') fail(call, `${formatName} = ${describe(format)}`, "is not 'NHWC'", "pass 'NHWC' (channels last) or leave it out");
    const x = input(call, 0);
    const bs = intIn(call, name, call.attr(name), 2, MAX_INT32, 'pass an integer >= 2');
    if (x.shape[3]! % (bs * bs) !== 0) fail(call, `${name} = ${bs}`, `squared does not divide the ${x.shape[3]} channels`, 'pick a block size whose square divides the channel count');
  });
}

// ---------------------------------------------------------------------------
// Lists of tensors

/** stack/addN: every tensor has the first one's shape. */
export function sameShapes(): Check {
  return check('same-shapes', ['tensors'], (call) => {
    const first = input(call, 0).shape;
    call.inputs.forEach((t, i) => {
      if (t!.shape.length !== first.length || t!.shape.some((d, k) => d !== first[k])) {
        fail(call, `tensors[${i}] has shape ${showShape(t!.shape)}`, `not tensors[0]'s ${showShape(first)}`, 'pass tensors of one shape');
      }
    });
  });
}

/** concat: equal ranks (at least 1) and equal dims except along the axis. */
export function concatShapes(axisName: string): Check {
  return check('concat-shapes', ['tensors', axisName], (call) => {
    const first = input(call, 0).shape;
    if (first.length === 0) fail(call, 'tensors[0]', 'is a scalar', 'stack scalars instead, or reshape them to [1]');
    const a = axisValue(call, axisName, call.attr(axisName) ?? 0, first.length);
    call.inputs.forEach((t, i) => {
      const s = t!.shape;
      if (s.length !== first.length || s.some((d, k) => k !== a && d !== first[k])) {
        fail(call, `tensors[${i}] has shape ${showShape(s)}`, `which differs from tensors[0]'s ${showShape(first)} outside axis ${a}`, `make every dim but axis ${a} equal`);
      }
    });
  });
}

/** split: a count dividing the axis, or positive sizes (one may be -1) summing to it. */
function splitSizes(call: OpCall, name: string, axisName: string): number[] {
  const x = input(call, 0);
  if (x.shape.length === 0) fail(call, 'the input', 'is a scalar', 'reshape it to rank 1 first');
  const a = axisValue(call, axisName, call.attr(axisName) ?? 0, x.shape.length);
  const d = x.shape[a]!;
  const v = call.attr(name);
  if (typeof v === 'number') {
    const n = intIn(call, name, v, 1, Math.min(d, MAX_OP_OUTPUTS), `pass a count that divides ${d} (axis ${a})`);
    if (d % n !== 0) fail(call, `${name} = ${n}`, `does not divide axis ${a} of size ${d}`, `pass a divisor of ${d}, or a list of sizes`);
    return new Array<number>(n).fill(d / n);
  }
  const fix = `pass positive sizes (one may be -1) that add up to ${d}, the size of axis ${a}`;
  const list = arrayOf(call, name, v, undefined, fix);
  const most = Math.min(d, MAX_OP_OUTPUTS);
  if (list.length < 1 || list.length > most) fail(call, `${name} has ${list.length} entries`, `not between 1 and ${most}`, fix);
  let rest = -1;
  let sum = 0;
  if (list[0] === -1) {
    fail(call, `${name}[0] = -1`, 'is not supported first (tfjs 4.22 miscounts it)', `give the first size, and -1 only for a later one`);
  }
  const sizes = list.map((s, i) => {
    if (s === -1 && rest === -1) {
      rest = i;
      return 0;
    }
    if (!isInt(s) || s < 1) fail(call, `${name}[${i}] = ${describe(s)}`, 'is not a positive integer', fix);
    sum += s;
    return s;
  });
  if (rest !== -1) {
    if (sum >= d) fail(call, `${name} = ${describe(v)}`, `leaves nothing for the -1 (the others add up to ${sum} of ${d})`, fix);
    sizes[rest] = d - sum;
  } else if (sum !== d) fail(call, `${name} = ${describe(v)}`, `adds up to ${sum}, not ${d}`, fix);
  return sizes;
}

export function split(name: string, axisName: string): Check {
  return check('split', [name, axisName], (call) => void splitSizes(call, name, axisName));
}

// ---------------------------------------------------------------------------
// Products

/** matMul: rank >= 2 operands with matching inner dims and broadcasting batch dims. */
function matMulShape(call: OpCall, ta: string, tb: string): number[] {
  const [a, b] = [input(call, 0), input(call, 1)];
  for (const [i, t] of [a, b].entries()) {
    if (t.shape.length < 2) fail(call, `input ${i === 0 ? 'a' : 'b'} has shape ${showShape(t.shape)}`, 'of rank below 2', 'reshape vectors to [1, n] or [n, 1], or use dot');
  }
  const [transA, transB] = [call.attr(ta) === true, call.attr(tb) === true];
  const [ar, br] = [a.shape.length, b.shape.length];
  const [m, ka] = transA ? [a.shape[ar - 1]!, a.shape[ar - 2]!] : [a.shape[ar - 2]!, a.shape[ar - 1]!];
  const [kb, n] = transB ? [b.shape[br - 1]!, b.shape[br - 2]!] : [b.shape[br - 2]!, b.shape[br - 1]!];
  if (ka !== kb) fail(call, `the inner dims ${ka} (a ${showShape(a.shape)}) and ${kb} (b ${showShape(b.shape)})`, 'differ', 'make the inner dims equal (or set transposeA/transposeB)');
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === undefined) fail(call, `the batch dims of ${showShape(a.shape)} and ${showShape(b.shape)}`, 'do not broadcast', 'make each batch dim equal or 1');
  return [...batch, m, n];
}

export function matMulShapes(ta: string, tb: string): Check {
  return check('matmul', [ta, tb], (call) => void matMulShape(call, ta, tb));
}

function dotShape(call: OpCall): number[] {
  const [a, b] = [input(call, 0), input(call, 1)];
  for (const [i, t] of [a, b].entries()) {
    if (t.shape.length < 1 || t.shape.length > 2) fail(call, `input ${i === 0 ? 'a' : 'b'} has rank ${t.shape.length}`, 'not 1 or 2', 'use matMul for higher ranks');
  }
  const ka = a.shape[a.shape.length - 1]!;
  const kb = b.shape[0]!;
  if (ka !== kb) fail(call, `the inner dims ${ka} (${showShape(a.shape)}) and ${kb} (${showShape(b.shape)})`, 'differ', 'make them equal');
  return [...a.shape.slice(0, -1), ...b.shape.slice(1)];
}

export function dotShapes(): Check {
  return check('dot', [], (call) => void dotShape(call));
}

// ---------------------------------------------------------------------------
// Convolutions and pools

interface Axis2 {
  readonly h: number;
  readonly w: number;
}

/** An int or [int, int] of at least 1 (strides, dilations, filter sizes). */
function pair(call: OpCall, name: string, v: unknown, fallback?: number): Axis2 {
  const value = v === undefined ? fallback : v;
  const fix = `pass a positive integer or a pair of them`;
  const list = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(list) || list.length !== 2) fail(call, `${name} = ${describe(v)}`, 'is not an integer or a pair', fix);
  const [h, w] = list.map((d, i) => intIn(call, Array.isArray(value) ? `${name}[${i}]` : name, d, 1, MAX_INT32, fix));
  return { h: h!, w: w! };
}

interface PadSpec {
  readonly kind: 'same' | 'valid' | 'number' | 'explicit';
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

function padSpec(call: OpCall, name: string, v: unknown, allowNumeric: boolean): PadSpec {
  const fix = allowNumeric
    ? `pass 'same', 'valid', a non-negative integer or [[0, 0], [top, bottom], [left, right], [0, 0]]`
    : `pass 'same' or 'valid'`;
  if (v === 'same' || v === 'valid') return { kind: v, top: 0, bottom: 0, left: 0, right: 0 };
  if (!allowNumeric) fail(call, `${name} = ${describe(v)}`, "is not 'same' or 'valid'", `${fix} (tfjs computes a numeric-pad conv1d's shape with the filter's height)`);
  if (typeof v === 'number') {
    const p = intIn(call, name, v, 0, MAX_INT32, fix);
    return { kind: 'number', top: p, bottom: p, left: p, right: p };
  }
  const rows = arrayOf(call, name, v, undefined, fix);
  if (rows.length !== 4) fail(call, `${name} = ${describe(v)}`, 'does not have 4 pairs', fix);
  const pads = rows.map((row, i) => {
    const r = arrayOf(call, `${name}[${i}]`, row, undefined, fix);
    if (r.length !== 2) fail(call, `${name}[${i}] = ${describe(row)}`, 'is not a pair', fix);
    return r.map((p, k) => intIn(call, `${name}[${i}][${k}]`, p, 0, MAX_INT32, fix));
  });
  if (pads[0]!.some((p) => p !== 0) || pads[3]!.some((p) => p !== 0)) fail(call, `${name} = ${describe(v)}`, 'pads the batch or channel axis', fix);
  return { kind: 'explicit', top: pads[1]![0]!, bottom: pads[1]![1]!, left: pads[2]![0]!, right: pads[2]![1]! };
}

const ROUNDING = ['floor', 'round', 'ceil'] as const;

function rounded(value: number, mode: unknown): number {
  if (mode === 'round') return Math.round(value);
  if (mode === 'ceil') return Math.ceil(value);
  if (mode === 'floor') return Math.floor(value);
  return Math.trunc(value);
}

/**
 * One spatial axis: the output size tfjs allocates (its conv_util, including
 * the quirk that numeric pads use the filter's height and stride for both
 * axes) must be what the kernels compute, floor((in + pads - extent) / stride)
 * + 1, and at least 1; else the kernel leaves part of the output unwritten
 * (another tensor's old bytes) or reads past its input.
 */
function spatial(
  call: OpCall,
  axisName: 'height' | 'width',
  inSize: number,
  extent: number,
  stride: number,
  pad: PadSpec,
  heightExtent: number,
  heightStride: number,
  mode: unknown,
  pool: boolean,
): number {
  let before: number;
  let after: number;
  let out: number;
  if (pad.kind === 'same') {
    out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + extent - inSize);
    before = Math.floor(total / 2);
    after = total - before;
  } else if (pad.kind === 'valid') {
    before = after = 0;
    out = Math.ceil((inSize - extent + 1) / stride);
  } else if (pad.kind === 'number') {
    before = after = pad.top;
    out = rounded((inSize - heightExtent + 2 * pad.top) / heightStride + 1, mode);
  } else {
    [before, after] = axisName === 'height' ? [pad.top, pad.bottom] : [pad.left, pad.right];
    out = rounded((inSize - extent + before + after) / stride + 1, mode);
  }
  const padded = inSize + before + after;
  if (extent > MAX_INT32 || padded > MAX_INT32) fail(call, `the ${axisName} geometry (input ${inSize}, window ${extent}, padding ${before}+${after})`, 'overflows 32 bits', 'use smaller dilations or padding');
  if (extent > padded) fail(call, `the window's ${axisName} ${extent} (after dilation)`, `is larger than the padded input's ${padded}`, "use a smaller filter or dilation, or pad 'same'");
  // A pool window that lies wholly in the padding has nothing to take the max or mean of; a convolution
  // just gives 0 there, as on the cpu backend (measured: pad 2 around a 1x1 filter is right on wasm).
  if (pool && (before >= extent || after >= extent)) fail(call, `the ${axisName} padding ${before}+${after}`, `is not smaller than the window (${extent})`, 'pad by less than the window, so every window sees the input');
  const exact = Math.floor((padded - extent) / stride) + 1;
  if (out !== exact) {
    fail(call, `the ${axisName} padding and dimRoundingMode`, `give ${out} output rows where the kernel computes ${exact}`, "use 'same'/'valid', a square filter and stride with numeric pads, or dimRoundingMode 'floor'");
  }
  return out;
}

interface ConvNames {
  readonly kind: 'conv1d' | 'conv2d' | 'depthwise' | 'pool';
  readonly strides: string;
  readonly pad: string;
  readonly dataFormat?: string;
  readonly dilations?: string;
  readonly filterSize?: string;
  readonly dimRoundingMode?: string;
}

/** Validates a convolution's or pool's arguments; returns its output shape. */
function convShape(call: OpCall, names: ConvNames): number[] {
  const x = input(call, 0);
  const is1d = names.kind === 'conv1d';
  const batched = x.shape.length === (is1d ? 3 : 4);
  const [n, h, w, c] = is1d
    ? batched ? [x.shape[0]!, 1, x.shape[1]!, x.shape[2]!] : [1, 1, x.shape[0]!, x.shape[1]!]
    : batched ? (x.shape as [number, number, number, number]) : [1, ...(x.shape as [number, number, number])];
  if (names.dataFormat !== undefined) {
    const format = call.attr(names.dataFormat);
    const last = is1d ? 'NWC' : 'NHWC';
    if (format !== undefined && format !== last) fail(call, `${names.dataFormat} = ${describe(format)}`, `is not '${last}'`, `transpose to channels-last and pass '${last}' (the wasm backend has no channels-first convolutions)`);
  }
  let fh: number;
  let fw: number;
  let outC: number;
  if (names.kind === 'pool') {
    ({ h: fh, w: fw } = pair(call, names.filterSize!, call.attr(names.filterSize!)));
    outC = c;
  } else {
    const f = input(call, 1);
    const filterRank = is1d ? 3 : 4;
    if (f.shape.length !== filterRank) fail(call, `the filter has shape ${showShape(f.shape)}`, `not rank ${filterRank}`, is1d ? 'pass [width, inChannels, outChannels]' : 'pass [height, width, inChannels, outChannels]');
    [fh, fw] = is1d ? [1, f.shape[0]!] : [f.shape[0]!, f.shape[1]!];
    const inC = is1d ? f.shape[1]! : f.shape[2]!;
    if (inC !== c) fail(call, `the filter's input channels ${inC}`, `differ from the input's ${c} channels`, 'make them equal');
    outC = names.kind === 'depthwise' ? c * f.shape[3]! : is1d ? f.shape[2]! : f.shape[3]!;
  }
  const strides = is1d ? { h: 1, w: intIn(call, names.strides, call.attr(names.strides), 1, MAX_INT32, 'pass a positive integer') } : pair(call, names.strides, call.attr(names.strides));
  const dil = names.dilations === undefined
    ? { h: 1, w: 1 }
    : is1d
      ? // undefined takes tfjs's default; null does not (tfjs reads its length and throws a TypeError)
        { h: 1, w: intIn(call, names.dilations, call.attr(names.dilations) === undefined ? 1 : call.attr(names.dilations), 1, MAX_INT32, 'pass a positive integer') }
      : pair(call, names.dilations, call.attr(names.dilations), 1);
  if ((strides.h > 1 || strides.w > 1) && (dil.h > 1 || dil.w > 1)) fail(call, 'strides and dilations', 'are both above 1', 'use strides or dilations, not both');
  const pad = padSpec(call, names.pad, call.attr(names.pad), !is1d);
  const mode = names.dimRoundingMode === undefined ? undefined : call.attr(names.dimRoundingMode);
  if (mode !== undefined) {
    if (!(ROUNDING as readonly unknown[]).includes(mode)) fail(call, `${names.dimRoundingMode} = ${describe(mode)}`, "is not 'floor', 'round' or 'ceil'", 'pass one of them or leave it out');
    if (pad.kind === 'same' || pad.kind === 'valid') fail(call, `${names.dimRoundingMode} = ${describe(mode)}`, `has no meaning with pad '${pad.kind}'`, 'leave it out, or pass a numeric pad');
  }
  const [eh, ew] = [(fh - 1) * dil.h + 1, (fw - 1) * dil.w + 1];
  // TensorFlow's 'same' pads (out - 1)·stride + filter - in in total, clamped at 0. Where that is negative (the
  // stride skips input the windows never reach), XNNPACK's convolution computes nothing and the wasm result is
  // all zeros; measured: [1,6,5,1] * [2,4] stride 3 gives zeros, [1,5,5,1] * [2,2] stride 3 is right, and a 1x1
  // filter (another XNNPACK path) is always right.
  const skipped = (size: number, stride: number, extent: number): boolean => (Math.ceil(size / stride) - 1) * stride + extent - size < 0;
  if (pad.kind === 'same' && names.kind !== 'pool' && (eh > 1 || ew > 1) && (skipped(h, strides.h, eh) || skipped(w, strides.w, ew))) {
    fail(call, `strides ${strides.h}x${strides.w} with pad 'same'`, `skip input rows or columns that no ${eh}x${ew} window covers (the wasm kernel then computes zeros)`, "use pad 'valid' or explicit pads, or a stride no larger than the filter");
  }
  const outH = spatial(call, 'height', h, eh, strides.h, pad, eh, strides.h, mode, names.kind === 'pool');
  const outW = spatial(call, 'width', w, ew, strides.w, pad, eh, strides.h, mode, names.kind === 'pool');
  if (is1d) return batched ? [n, outW, outC] : [outW, outC];
  return batched ? [n, outH, outW, outC] : [outH, outW, outC];
}

export function convGeometry(names: ConvNames): Check {
  const targets = [names.strides, names.pad, names.dataFormat, names.dilations, names.filterSize, names.dimRoundingMode].filter((t): t is string => t !== undefined);
  return check(names.kind === 'pool' ? 'pool-geometry' : 'conv-geometry', targets, (call) => void convShape(call, names));
}

// ---------------------------------------------------------------------------
// Others

/** dropout's noiseShape broadcasts to the input's shape (else the result grows). */
export function noiseShape(name: string): Check {
  return check('noise-shape', [name], (call) => {
    const v = call.attr(name);
    if (v === undefined) return;
    const x = input(call, 0);
    const fix = `pass ${x.shape.length} positive integers, each 1 or the input's dim in ${showShape(x.shape)}`;
    const list = arrayOf(call, name, v, x.shape.length, fix);
    list.forEach((d, i) => {
      if (!isInt(d) || (d !== 1 && d !== x.shape[i])) fail(call, `${name}[${i}] = ${describe(d)}`, `is neither 1 nor ${x.shape[i]}`, fix);
    });
  });
}

const VECTOR_ORDS: readonly unknown[] = [undefined, 'euclidean', 1, 2, Infinity, -Infinity];
const MATRIX_ORDS: readonly unknown[] = [undefined, 'euclidean', 'fro', 1, Infinity, -Infinity];

/** norm's ord and axis, in the combinations tfjs computes. */
function normAxes(call: OpCall, ordName: string, axisName: string): number[] {
  const x = input(call, 0);
  const r = x.shape.length;
  const ord = call.attr(ordName);
  const v = call.attr(axisName);
  if (Array.isArray(v) && v.length === 0) fail(call, `${axisName} = []`, 'names no axis', 'leave it out for all axes, or name one or two');
  const given = axesValue(call, axisName, v, r);
  // tfjs returns |x| for a scalar whatever the ord.
  if (r === 0) return given;
  const matrix = Array.isArray(v) && v.length === 2;
  if (Array.isArray(v) && v.length > 2) fail(call, `${axisName} = ${describe(v)}`, 'names more than 2 axes', 'pass one axis (vector norm) or two (matrix norm)');
  const ords = matrix ? MATRIX_ORDS : VECTOR_ORDS;
  if (!ords.includes(ord)) {
    fail(call, `${ordName} = ${describe(ord)}`, `is not a ${matrix ? 'matrix' : 'vector'} norm tfjs computes`, `pass one of ${ords.slice(1).map((o) => (typeof o === 'string' ? `'${o}'` : String(o))).join(', ')}`);
  }
  if (matrix && (ord === 1 || ord === Infinity || ord === -Infinity)) {
    // tfjs reduces the second axis after the first, renumbered as it was given.
    const [a0, a1] = v as [number, number];
    const second = ord === 1 ? a1 - 1 : a0;
    if (second < -(r - 1) || second >= r - 1) fail(call, `${axisName} = ${describe(v)}`, `cannot be used with ord ${String(ord)} (tfjs renumbers it to ${second})`, 'pass the axes in increasing order');
  }
  return given;
}

export function normArgs(ordName: string, axisName: string): Check {
  return check('norm', [ordName, axisName], (call) => void normAxes(call, ordName, axisName));
}

/** topk's k: in [1, size of the last axis]. */
export function topK(name: string): Check {
  return check('top-k', [name], (call) => {
    const x = input(call, 0);
    const last = x.shape[x.shape.length - 1]!;
    const v = call.attr(name);
    if (v !== undefined) intIn(call, name, v, 1, last, `pass k in [1, ${last}] (the size of the last axis)`);
  });
}

// ---------------------------------------------------------------------------
// Output rules

function rule(kind: string, shapes: (call: OpCall) => (readonly number[])[]): OutputRule {
  return { kind, shapes };
}

/** One output shaped like input `i`. */
export const sameShape = (i = 0): OutputRule => rule('same-shape', (call) => [input(call, i).shape]);
export const broadcastShape = (): OutputRule =>
  rule('broadcast', (call) => [call.inputs.reduce<number[]>((s, t) => broadcast(s, t!.shape)!, [])]);

function reduced(shape: readonly number[], axesList: readonly number[], keep: boolean): number[] {
  return keep ? shape.map((d, i) => (axesList.includes(i) ? 1 : d)) : shape.filter((_, i) => !axesList.includes(i));
}

export const reduceShape = (axisName: string, keepName: string, count = 1): OutputRule =>
  rule('reduce', (call) => {
    const x = input(call, 0);
    const out = reduced(x.shape, axesValue(call, axisName, call.attr(axisName), x.shape.length), call.attr(keepName) === true);
    return new Array(count).fill(out);
  });
export const argReduceShape = (axisName: string): OutputRule =>
  rule('arg-reduce', (call) => {
    const x = input(call, 0);
    return [reduced(x.shape, [normAxis((call.attr(axisName) as number | undefined) ?? 0, x.shape.length)], false)];
  });
export const normShape = (ordName: string, axisName: string, keepName: string): OutputRule =>
  rule('norm', (call) => [reduced(input(call, 0).shape, normAxes(call, ordName, axisName), call.attr(keepName) === true)]);
export const topKShape = (kName: string): OutputRule =>
  rule('top-k', (call) => {
    const x = input(call, 0);
    const out = [...x.shape.slice(0, -1), (call.attr(kName) as number | undefined) ?? 1];
    return [out, out];
  });
export const reshapeShape = (name: string): OutputRule => rule('reshape', (call) => [reshapeTargetShape(call, name)]);
export const transposeShape = (name: string): OutputRule =>
  rule('transpose', (call) => {
    const x = input(call, 0);
    const perm = (call.attr(name) as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [perm.map((p) => x.shape[p]!)];
  });
export const expandDimsShape = (name: string): OutputRule =>
  rule('expand-dims', (call) => {
    const x = input(call, 0);
    const out = [...x.shape];
    out.splice(normAxis((call.attr(name) as number | undefined) ?? 0, x.shape.length + 1), 0, 1);
    return [out];
  });
export const squeezeShape = (name: string): OutputRule =>
  rule('squeeze', (call) => {
    const x = input(call, 0);
    const v = call.attr(name);
    const all = v === undefined || v === null || (Array.isArray(v) && v.length === 0);
    const named = all ? [] : axesValue(call, name, v, x.shape.length);
    return [x.shape.filter((d, i) => (all ? d !== 1 : !named.includes(i)))];
  });
export const sliceShape = (beginName: string, sizeName: string): OutputRule => rule('slice', (call) => [sliceParams(call, beginName, sizeName).size]);
export const stridedSliceShape = (): OutputRule => rule('strided-slice', (call) => [stridedParams(call)]);
export const tileShape = (name: string): OutputRule =>
  rule('tile', (call) => [input(call, 0).shape.map((d, i) => d * (call.attr(name) as number[])[i]!)]);
export const padShape = (name: string): OutputRule =>
  rule('pad', (call) => [input(call, 0).shape.map((d, i) => d + (call.attr(name) as number[][])[i]![0]! + (call.attr(name) as number[][])[i]![1]!)]);
export const broadcastToShape = (name: string): OutputRule => rule('broadcast-to', (call) => [call.attr(name) as number[]]);
export const gatherShape = (axisName: string): OutputRule =>
  rule('gather', (call) => {
    const [x, idx] = [input(call, 0), input(call, 1)];
    const a = normAxis((call.attr(axisName) as number | undefined) ?? 0, x.shape.length);
    return [[...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)]];
  });
export const gatherNDShape = (): OutputRule =>
  rule('gather-nd', (call) => {
    const [x, idx] = [input(call, 0), input(call, 1)];
    const k = idx.shape[idx.shape.length - 1]!;
    return [[...idx.shape.slice(0, -1), ...x.shape.slice(k)]];
  });
export const segmentSumShape = (numName: string): OutputRule =>
  rule('segment-sum', (call) => [[call.attr(numName) as number, ...input(call, 0).shape.slice(1)]]);
export const oneHotShape = (depthName: string): OutputRule => rule('one-hot', (call) => [[...input(call, 0).shape, call.attr(depthName) as number]]);
export const depthToSpaceShape = (name: string): OutputRule =>
  rule('depth-to-space', (call) => {
    const [n, h, w, c] = input(call, 0).shape as [number, number, number, number];
    const bs = call.attr(name) as number;
    return [[n, h * bs, w * bs, c / (bs * bs)]];
  });
export const concatShape = (axisName: string): OutputRule =>
  rule('concat', (call) => {
    const first = input(call, 0).shape;
    const a = normAxis((call.attr(axisName) as number | undefined) ?? 0, first.length);
    const out = [...first];
    out[a] = call.inputs.reduce((s, t) => s + t!.shape[a]!, 0);
    return [out];
  });
export const stackShape = (axisName: string): OutputRule =>
  rule('stack', (call) => {
    const first = input(call, 0).shape;
    const out = [...first];
    out.splice(normAxis((call.attr(axisName) as number | undefined) ?? 0, first.length + 1), 0, call.inputs.length);
    return [out];
  });
/** tf.unstack: one tensor per index along the axis, that axis removed (as many outputs as the axis is long). */
export const unstackShape = (axisName: string): OutputRule =>
  rule('unstack', (call) => {
    const x = input(call, 0).shape;
    const a = normAxis((call.attr(axisName) as number | undefined) ?? 0, x.length);
    if (x[a]! > MAX_OP_OUTPUTS) {
      throw new InvalidArgumentError(
        `${call.op}: axis ${a} has length ${x[a]}, which would make ${x[a]} tensors; an op makes at most ${MAX_OP_OUTPUTS}; slice first.`,
      );
    }
    const out = x.filter((_, i) => i !== a);
    return Array.from({ length: x[a]! }, () => out);
  });
export const splitShape = (name: string, axisName: string): OutputRule =>
  rule('split', (call) => {
    const x = input(call, 0);
    const a = normAxis((call.attr(axisName) as number | undefined) ?? 0, x.shape.length);
    return splitSizes(call, name, axisName).map((s) => x.shape.map((d, i) => (i === a ? s : d)));
  });
export const convShapeOf = (names: ConvNames): OutputRule => rule(names.kind === 'pool' ? 'pool' : 'conv', (call) => [convShape(call, names)]);
export const matMulShapeOf = (ta: string, tb: string): OutputRule => rule('matmul', (call) => [matMulShape(call, ta, tb)]);
export const dotShapeOf = (): OutputRule => rule('dot', (call) => [dotShape(call)]);
export const outerShape = (): OutputRule => rule('outer', (call) => [[input(call, 0).size, input(call, 1).size]]);

// ---------------------------------------------------------------------------
// Dtype rules (measured on tfjs 4.22, wasm and cpu: test/property/op-shape-inference.test.ts)

function dtypeRule(kind: string, dtypes: (call: OpCall, outputs: number) => readonly DType[]): DtypeRule {
  return { kind, dtypes };
}

const inputDtype = (call: OpCall, i: number): DType => input(call, i).dtype as DType;
const UPCAST: readonly DType[] = ['bool', 'int32', 'float32'];

/** Every output has input `i`'s dtype: the default (element-wise math, shape ops, gather, concat). */
export const dtypeOfInput = (i = 0): DtypeRule => dtypeRule('same-dtype', (call, n) => new Array<DType>(n).fill(inputDtype(call, i)));
/** tfjs's makeTypesMatch: the operands are cast to the widest of bool < int32 < float32 (a number is float32). */
export const upcastDtype = (): DtypeRule =>
  dtypeRule('upcast', (call, n) => {
    const widest = call.inputs.reduce((w, t) => Math.max(w, t === undefined ? 0 : UPCAST.indexOf(t.dtype as DType)), 0);
    return new Array<DType>(n).fill(UPCAST[widest]!);
  });
/** Always this dtype: comparisons and logic give bool, indices int32, float-only math float32. */
export const fixedDtype = (dtype: DType): DtypeRule => dtypeRule(`always-${dtype}`, (_, n) => new Array<DType>(n).fill(dtype));
/** cast: the dtype attribute. */
export const castTo = (name: string): DtypeRule => dtypeRule('cast', (call, n) => new Array<DType>(n).fill(call.attr(name) as DType));
/** sum and prod count bools in int32 (tfjs casts a bool input first); other dtypes are kept. */
export const countingDtype = (): DtypeRule =>
  dtypeRule('counting', (call, n) => new Array<DType>(n).fill(inputDtype(call, 0) === 'bool' ? 'int32' : inputDtype(call, 0)));
/** Outputs of different dtypes (topk's values and indices), one rule each. */
export const dtypesPerOutput = (...rules: readonly DtypeRule[]): DtypeRule =>
  dtypeRule(`per-output(${rules.map((r) => r.kind).join(', ')})`, (call) => rules.map((r) => r.dtypes(call, 1)[0]!));
