/**
 * Autograd on shared tensors (PySyft's AutogradTensor over shares): backward()
 * through ops on AdditiveSharingTensors, every gradient itself shared among the
 * same parties, so no one sees a value or a gradient.
 *
 * How ops are recorded. An op on a shared tensor that requires a gradient
 * (share(..., { requiresGrad: true }), or a result of such ops) is recorded
 * once, as one node named by its registry op, however it was called:
 * - methods of the class (`x.matMul(w)`, `x.add(b)`, `x.rsub(1)`, ...: what
 *   sy.nn layers call) are wrapped on the prototype below;
 * - everything that goes through the op dispatcher (`sy.matMul(x, w)`,
 *   `sy.op(...)`, and the methods installed from the registry: `x.relu()`,
 *   `x.sigmoid()`, `x.square()`, ...) meets a placement ranked just above the
 *   shares' own (src/smpc/smpc-ops.ts), which records and hands the op on.
 * Either way the op runs with recording off, so its insides (a mean's sum and
 * division, a sigmoid's exp and Newton steps, a relu's comparison circuit)
 * leave no nodes: the node's gradient is the op's analytic one. sy.noGrad
 * turns recording off, as for local tensors.
 *
 * The gradient table. GRADIENTS holds one entry per op, keyed by the registry
 * name (as tfjs-core registers its gradients by kernel name): the gradients
 * of the op's tensor inputs given the gradient of its output, written with
 * ops on shares (Beaver products where two secrets meet, local ops otherwise).
 * An entry may also run the forward itself when the gradient needs something
 * the op computes anyway (relu's and abs's sign bits, max's one-hot): those
 * are kept in the node. Ops with no entry are recorded too, and backward()
 * through them is refused with UnsupportedOnSharesError naming the op;
 * comparisons give results that need no gradient, as in PyTorch.
 *
 * backward() walks the nodes from the root in reverse topological order,
 * sums the gradients of tensors used more than once, and adds each leaf's to
 * its `.grad` (accumulating, as PyTorch; zero it with `x.grad.zeroInPlace()`
 * or an optimizer's zeroGrad()). Its temporaries are released as it goes; the
 * leaves' gradients outlive any sy.tidy scope. The graph is kept (PyTorch's
 * retain_graph): tensors an op saved must stay alive until backward(), and
 * an in-place change of one after the op used it is refused at backward().
 */
import { isRecording, noGrad } from '../autograd/no-grad.js';
import { InvalidArgumentError } from '../core/errors.js';
import { OPS, type OpName } from '../core/op-registry.js';
import { callOp, registerPlacement } from '../tensor/op-dispatch.js';
import { escapeScope, tidy } from '../tensor/tidy.js';
import { AdditiveSharingTensor } from './additive-sharing-tensor.js';
import { exp, logSoftmax, softmax } from './approximations.js';
import { isNegativeBit, maxWithOneHot, mulByBit, reluWithMask } from './comparisons.js';
import { FixedPrecisionTensor, integerExponent, type PlainValue, plainValues } from './fixed-precision-tensor.js';
import { concatenatedShape, dotPlan, normalizeAxis, reducedShape, reductionAxes, sameDims, slicedShape } from './shapes.js';
import { UnsupportedOnSharesError } from './unsupported.js';

type Shared = AdditiveSharingTensor;

/** One recorded op, as backward() sees it. */
export interface RecordedCall {
  /** The op's arguments in registry order: tensor inputs (shared or public), then attributes. */
  readonly args: readonly unknown[];
  readonly out: Shared;
  /** The tensor inputs (for a list op, the list's elements). */
  readonly inputs: readonly unknown[];
  /** Their shapes when the op ran. */
  readonly shapes: readonly (readonly number[])[];
  /** What the entry's forward kept for the gradient (relu's mask). */
  readonly saved: readonly Shared[];
  /** Which inputs need a gradient (shared, and requiring one). */
  readonly needs: readonly boolean[];
}

/** An op's gradient: one entry per registry name. */
export interface ShareGradient {
  /** Runs the op (recording is off) when the gradient needs something it computes anyway. */
  readonly forward?: (args: readonly unknown[]) => { readonly out: Shared; readonly saved: readonly Shared[] };
  /** The gradient of every tensor input given g, the output's (undefined where none is needed). */
  readonly backward: (g: Shared, call: RecordedCall) => readonly (Shared | undefined)[];
}

interface Node extends RecordedCall {
  readonly op: string;
  readonly entry: ShareGradient | undefined;
  /** Versions of the shared inputs when the op ran. */
  readonly versions: readonly number[];
}

/** What `x.gradFn` shows of the op that made x. */
export interface GradFn {
  readonly op: string;
  /** The op's tensor inputs (public ones included). */
  readonly inputs: readonly unknown[];
}

const creators = new WeakMap<Shared, Node>();
const versions = new WeakMap<Shared, number>();

// ---------------------------------------------------------------- helpers

const shapeOf = (t: unknown): readonly number[] => {
  if (t instanceof AdditiveSharingTensor) {
    if (t.shape === undefined) throw new InvalidArgumentError('backward: the shape of a tensor shared by a worker is not known here; reshape() it to its shape first.');
    return t.shape;
  }
  if (t instanceof FixedPrecisionTensor) return t.shape;
  return plainValues(t as PlainValue).shape;
};

/** A public operand as a fixed-precision tensor at the shared tensor's precision (for transposes and reshapes). */
const fixed = (v: unknown, like: Shared): FixedPrecisionTensor => (v instanceof FixedPrecisionTensor ? v : FixedPrecisionTensor.encode(v as PlainValue, like.precision));

/** The gradient of a broadcast operand: g summed over the axes it was broadcast along. */
function unbroadcast(g: Shared, shape: readonly number[]): Shared {
  const gs = shapeOf(g);
  if (sameDims(gs, shape)) return g;
  const lead = gs.length - shape.length;
  const axes = gs.map((_, d) => d).filter((d) => d < lead || (shape[d - lead] === 1 && gs[d] !== 1));
  const summed = axes.length === 0 ? g : g.sum(axes);
  return sameDims(shapeOf(summed), shape) ? summed : summed.reshape(shape);
}

/** g reshaped to keep the reduced axes (size 1), then spread over `shape`. */
function spread(g: Shared, shape: readonly number[], axes: readonly number[]): Shared {
  const kept = reducedShape(shape, axes, true);
  const r = sameDims(shapeOf(g), kept) ? g : g.reshape(kept);
  return sameDims(kept, shape) ? r : r.broadcastTo(shape);
}

/** Shares of zero of any shape, from g (a local product by 0, then a broadcast). */
function zeros(g: Shared, shape: readonly number[]): Shared {
  return g.sum().mul(0).reshape(shape.map(() => 1)).broadcastTo(shape);
}

const transposedIf = (t: unknown, x: Shared): Shared => (t === true ? x.transpose() : x);

/** a·g for a shared or public a (optionally transposed): the public side is encoded at g's precision. */
function leftProduct(a: unknown, g: Shared, transposeA: boolean): Shared {
  if (a instanceof AdditiveSharingTensor) return a.matMul(g, transposeA, false);
  const f = fixed(a, g);
  return g.rmatMul(transposeA ? f.transpose() : f);
}

/** max (sign 1) or min (sign -1) along axes, with the one-hot of the winner for the gradient. */
function extremum(x: Shared, axis: unknown, keepDims: boolean, sign: 1 | -1): { out: Shared; saved: Shared[] } {
  const shape = shapeOf(x);
  const axes = reductionAxes('max', shape, axis as number | readonly number[] | null | undefined);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const perm = [...kept, ...[...axes].sort((a, b) => a - b)];
  const rows = [...kept.map((d) => shape[d]!), axes.reduce((n, d) => n * shape[d]!, 1)];
  // The reduced axes last, flattened: one maxWithOneHot along the last axis covers any set of axes.
  const identity = perm.every((p, i) => p === i);
  const source = sign === 1 ? x : x.neg();
  const moved = identity ? source : source.transpose(perm);
  const flat = moved.reshape(rows);
  const { max, oneHot } = maxWithOneHot(flat, rows.length - 1);
  const value = sign === 1 ? max : max.neg();
  const out = value.reshape(reducedShape(shape, axes, keepDims));
  for (const t of new Set([source, moved, flat, max, value])) if (t !== x) t.dispose();
  return { out, saved: [oneHot] };
}

function extremumGradient(g: Shared, call: RecordedCall): (Shared | undefined)[] {
  const shape = call.shapes[0]!;
  const oneHot = call.saved[0]!;
  const rows = shapeOf(oneHot);
  const axes = reductionAxes('max', shape, call.args[1] as number | readonly number[] | null | undefined);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const perm = [...kept, ...[...axes].sort((a, b) => a - b)];
  const gRows = g.reshape([...rows.slice(0, -1), 1]).broadcastTo(rows);
  // min = -max(-x): the two negations cancel, so both pick g at the winner.
  const picked = mulByBit(gRows, oneHot);
  const moved = picked.reshape(perm.map((d) => shape[d]!));
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [perm.every((p, i) => p === i) ? moved : moved.transpose(inverse)];
}

// ---------------------------------------------------------------- the gradient table

const identity: ShareGradient = { backward: (g) => [g] };
const reshapeBack: ShareGradient = { backward: (g, { shapes }) => [g.reshape(shapes[0]!)] };

/** Registry op name -> gradient. One entry per op; nothing else in this file knows an op by name. */
export const GRADIENTS: Readonly<Record<string, ShareGradient>> = {
  add: { backward: (g, { shapes, needs }) => [needs[0] ? unbroadcast(g, shapes[0]!) : undefined, needs[1] ? unbroadcast(g, shapes[1]!) : undefined] },
  sub: { backward: (g, { shapes, needs }) => [needs[0] ? unbroadcast(g, shapes[0]!) : undefined, needs[1] ? unbroadcast(g.neg(), shapes[1]!) : undefined] },
  neg: { backward: (g) => [g.neg()] },
  mul: {
    backward: (g, { args: [a, b], shapes, needs }) => [
      needs[0] ? unbroadcast(g.mul(b as Shared), shapes[0]!) : undefined,
      needs[1] ? unbroadcast(g.mul(a as Shared), shapes[1]!) : undefined,
    ],
  },
  // q = x / d: dx = g / d; for a shared d (the dispatcher's division protocol), dd = -g·q / d.
  div: {
    backward: (g, { args: [, d], out, shapes, needs }) => {
      if (!(d instanceof AdditiveSharingTensor)) return [unbroadcast(g.div(d as number), shapes[0]!)];
      const gd = callOp('div', [g, d]) as Shared;
      return [needs[0] ? unbroadcast(gd, shapes[0]!) : undefined, needs[1] ? unbroadcast(gd.mul(out).neg(), shapes[1]!) : undefined];
    },
  },
  pow: {
    backward: (g, { args: [x, exponent] }) => {
      const k = integerExponent(exponent);
      if (k === 0) return [g.mul(0)];
      if (k === 1) return [g];
      const base = k === 2 ? (x as Shared) : (x as Shared).pow(k - 1);
      return [base.mul(g).mul(k)];
    },
  },
  square: { backward: (g, { args: [x] }) => [(x as Shared).mul(g).mul(2)] },
  // C = op(A)·op(B): dA = g·op(B)ᵀ, dB = op(A)ᵀ·g, each transposed back when its operand was.
  matMul: {
    backward: (g, { args: [a, b, tA, tB], needs }) => [
      needs[0] ? transposedIf(tA, g.matMul(b as Shared, false, tB !== true)) : undefined,
      needs[1] ? transposedIf(tB, leftProduct(a, g, tA !== true)) : undefined,
    ],
  },
  dot: {
    backward: (g, { args: [a, b], shapes, needs }) => {
      const plan = dotPlan(shapes[0]!, shapes[1]!);
      const g2 = g.reshape([plan.left[0]!, plan.right[1]!]);
      const as2 = (t: unknown, s: number[]) => (t instanceof AdditiveSharingTensor ? t.reshape(s) : fixed(t, g).reshape(s));
      return [
        needs[0] ? g2.matMul(as2(b, plan.right) as Shared, false, true).reshape(shapes[0]!) : undefined,
        needs[1] ? leftProduct(as2(a, plan.left), g2, true).reshape(shapes[1]!) : undefined,
      ];
    },
  },
  sum: { backward: (g, { args: [, axis], shapes }) => [spread(g, shapes[0]!, reductionAxes('sum', shapes[0]!, axis as number | null | undefined))] },
  mean: {
    backward: (g, { args: [, axis], shapes }) => {
      const axes = reductionAxes('mean', shapes[0]!, axis as number | null | undefined);
      const n = axes.reduce((c, d) => c * shapes[0]![d]!, 1);
      return [spread(n === 1 ? g : g.div(n), shapes[0]!, axes)];
    },
  },
  reshape: reshapeBack,
  expandDims: reshapeBack,
  squeeze: reshapeBack,
  transpose: {
    backward: (g, { args: [, perm] }) => {
      if (perm === undefined || perm === null) return [g.transpose()];
      const p = perm as readonly number[];
      return [g.transpose(p.map((_, i) => p.indexOf(i)))];
    },
  },
  slice: {
    backward: (g, { args: [, begin, size], shapes }) => {
      const shape = shapes[0]!;
      const window = slicedShape(shape, begin as number[], size as number[] | undefined);
      // Zeros before and after the window, one axis at a time.
      let out = g;
      for (let d = 0; d < shape.length; d++) {
        const [before, after] = [window.begin[d]!, shape[d]! - window.begin[d]! - window.size[d]!];
        if (before === 0 && after === 0) continue;
        const current = shapeOf(out);
        const block = (n: number) => zeros(g, current.map((m, k) => (k === d ? n : m)));
        const parts = [...(before > 0 ? [block(before)] : []), out, ...(after > 0 ? [block(after)] : [])];
        out = AdditiveSharingTensor.concat(parts, d);
      }
      return [out];
    },
  },
  concat: {
    backward: (g, { args: [, axis], shapes }) => {
      const d = concatenatedShape(shapes, axis as number | undefined).axis;
      const full = shapeOf(g);
      let at = 0;
      return shapes.map((s) => {
        const begin = full.map((_, k) => (k === d ? at : 0));
        at += s[d]!;
        return g.slice(begin, [...s]);
      });
    },
  },
  tile: {
    backward: (g, { args: [, reps], shapes }) => {
      const shape = shapes[0]!;
      const r = reps as readonly number[];
      // tile's output index along d is t·n_d + j: [r_0, n_0, r_1, n_1, ...], summed over the r axes.
      const split = g.reshape(shape.flatMap((n, d) => [r[d]!, n]));
      return [split.sum(shape.map((_, d) => 2 * d))];
    },
  },
  broadcastTo: { backward: (g, { shapes }) => [unbroadcast(g, shapes[0]!)] },
  clone: identity,
  // Not a registry op: x.refresh() (new shares of the same value) is the identity.
  refresh: identity,
  relu: {
    forward: ([x]) => {
      const { out, mask } = reluWithMask(x as Shared);
      return { out, saved: [mask] };
    },
    backward: (g, { saved }) => [mulByBit(g, saved[0]!)],
  },
  abs: {
    forward: ([x]) => {
      const s = x as Shared;
      const negative = isNegativeBit(s);
      const flipped = mulByBit(s, negative);
      const twice = flipped.mul(2);
      const out = s.sub(twice);
      flipped.dispose();
      twice.dispose();
      return { out, saved: [negative] };
    },
    // d|x| = sign(x): g - 2·g·[x < 0] (+1 at 0, where tfjs takes -1).
    backward: (g, { saved }) => [g.sub(mulByBit(g, saved[0]!).mul(2))],
  },
  // The analytic gradients of the approximations, from their outputs (never through their iterations).
  sigmoid: { backward: (g, { out }) => [g.mul(out.mul(out.rsub(1)))] },
  tanh: { backward: (g, { out }) => [g.mul(out.mul(out).rsub(1))] },
  exp: { backward: (g, { out }) => [g.mul(out)] },
  reciprocal: { backward: (g, { out }) => [g.mul(out).mul(out).neg()] },
  // softmax s: ds = s·(g - Σ g·s); logSoftmax: d = g - softmax·Σ g, softmax = exp(output).
  // Their forwards are the approximations' own, so recording does not wait for the dispatcher to route them.
  softmax: {
    forward: ([x, dim]) => ({ out: softmax(x as Shared, (dim as number | undefined) ?? -1), saved: [] }),
    backward: (g, { args: [, dim], out }) => {
      const gs = g.mul(out);
      return [gs.sub(out.mul(gs.sum((dim as number | undefined) ?? -1, true)))];
    },
  },
  logSoftmax: {
    forward: ([x, dim]) => ({ out: logSoftmax(x as Shared, (dim as number | undefined) ?? -1), saved: [] }),
    backward: (g, { args: [, dim], out }) => [g.sub(exp(out).mul(g.sum((dim as number | undefined) ?? -1, true)))],
  },
  max: { forward: ([x, axis, keepDims]) => extremum(x as Shared, axis, keepDims === true, 1), backward: extremumGradient },
  min: { forward: ([x, axis, keepDims]) => extremum(x as Shared, axis, keepDims === true, -1), backward: extremumGradient },
  // where(c, a, b) = b + c·(a - b): da = c·g, db = g - c·g (c is 0/1, a comparison's result).
  where: {
    backward: (g, { args: [c], shapes, needs }) => {
      const cg = g.mul(c as Shared);
      return [undefined, needs[1] ? unbroadcast(cg, shapes[1]!) : undefined, needs[2] ? unbroadcast(g.sub(cg), shapes[2]!) : undefined];
    },
  },
};

/** Results that need no gradient (0/1 comparisons, indices), as in PyTorch: they are not recorded. */
const NO_GRADIENT: ReadonlySet<string> = new Set(['less', 'lessEqual', 'greater', 'greaterEqual', 'equal', 'notEqual', 'sign', 'argMax', 'argMin', 'mod']);

// ---------------------------------------------------------------- recording

function inputsOf(op: string, args: readonly unknown[]): readonly unknown[] {
  const spec = Object.hasOwn(OPS, op) ? OPS[op as OpName] : undefined;
  if (spec === undefined) return args.slice(0, 1);
  if (spec.inputs === 'list') return Array.isArray(args[0]) ? (args[0] as unknown[]) : [];
  return args.slice(0, spec.inputs);
}

/** An input's shape when the op ran ([] for an absent optional input). */
function inputShape(t: unknown): readonly number[] {
  if (t === undefined || t === null) return [];
  if (t instanceof AdditiveSharingTensor || t instanceof FixedPrecisionTensor) return shapeOf(t);
  try {
    return plainValues(t as PlainValue).shape;
  } catch {
    return [];
  }
}

const needsGrad = (t: unknown): t is Shared => t instanceof AdditiveSharingTensor && t.requiresGrad;

/**
 * Runs one op (`run`, or the entry's own forward) with recording off and, if
 * a shared input requires a gradient and recording is on, records it as one node.
 */
function record(op: string, args: readonly unknown[], run: () => unknown): unknown {
  const inputs = inputsOf(op, args);
  if (!isRecording() || !inputs.some(needsGrad)) return run();
  if (NO_GRADIENT.has(op)) return noGrad(run);
  const entry = Object.hasOwn(GRADIENTS, op) ? GRADIENTS[op] : undefined;
  const result = noGrad(() => (entry?.forward === undefined ? { out: run(), saved: [] } : entry.forward(args)));
  const { out, saved } = result as { out: unknown; saved: readonly Shared[] };
  if (!(out instanceof AdditiveSharingTensor)) return out;
  const node: Node = {
    op,
    entry,
    args,
    out,
    inputs,
    shapes: inputs.map(inputShape),
    saved,
    needs: inputs.map(needsGrad),
    versions: inputs.map((t) => (t instanceof AdditiveSharingTensor ? (versions.get(t) ?? 0) : 0)),
  };
  creators.set(out, node);
  out.requiresGrad = true;
  return out;
}

type Method = (this: Shared, ...args: unknown[]) => unknown;
const proto = AdditiveSharingTensor.prototype as unknown as Record<string, Method>;

function wrapMethod(method: string, op: string, argsOf: (self: Shared, a: readonly unknown[]) => unknown[]): void {
  const plain = proto[method]!;
  Object.defineProperty(proto, method, {
    value: function (this: Shared, ...a: unknown[]) {
      return record(op, argsOf(this, a), () => plain.apply(this, a));
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

// Methods that are a registry op of the same name, with the receiver as first input.
for (const method of ['add', 'sub', 'mul', 'div', 'pow', 'matMul', 'dot', 'sum', 'mean', 'neg', 'reshape', 'transpose', 'slice', 'expandDims', 'squeeze', 'tile', 'broadcastTo', 'clone', 'refresh']) {
  wrapMethod(method, method, (self, a) => [self, ...a]);
}
// The reversed forms: the public operand comes first in the registry's order.
for (const [method, op] of [['rsub', 'sub'], ['rmatMul', 'matMul'], ['rdot', 'dot']] as const) wrapMethod(method, op, (self, [p]) => [p, self]);

const plainConcat = AdditiveSharingTensor.concat.bind(AdditiveSharingTensor);
AdditiveSharingTensor.concat = (tensors, axis) => record('concat', [tensors, axis], () => plainConcat(tensors, axis)) as Shared;

// In-place updates: refused on results of recorded ops (backward() would read new values), counted on leaves.
for (const method of ['addInPlace', 'subInPlace', 'mulInPlace', 'divInPlace', 'zeroInPlace', 'refreshInPlace']) {
  const plain = proto[method]!;
  Object.defineProperty(proto, method, {
    value: function (this: Shared, ...a: unknown[]) {
      if (creators.has(this)) {
        throw new InvalidArgumentError(
          `${method}() on a shared tensor computed from tensors that require a gradient would corrupt backward(). Update leaves (parameters) in place, or work on x.detach().`,
        );
      }
      const result = plain.apply(this, a);
      versions.set(this, (versions.get(this) ?? 0) + 1);
      return result;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/**
 * The dispatcher's path (sy.<op>, sy.op, installed methods): claimed while
 * recording when a shared argument requires a gradient, recorded, and handed
 * on to the shares' placement with recording off. Ops that are made of other
 * recorded ops (split into slices, stack of expandDims and concat, addN of
 * adds) are handed on with recording on, so their parts are recorded.
 */
const COMPOSITE: ReadonlySet<string> = new Set(['split', 'unstack', 'stack', 'addN']);
let handingOn = 0;

registerPlacement({
  rank: 45,
  claims: (arg) => handingOn === 0 && needsGrad(arg) && isRecording(),
  call: (name, _spec, args) => {
    if (!COMPOSITE.has(name)) return record(name, args, () => callOp(name, args));
    handingOn++;
    try {
      return callOp(name, args);
    } finally {
      handingOn--;
    }
  },
});

// ---------------------------------------------------------------- backward

function gradFnOf(t: Shared): GradFn | undefined {
  const node = creators.get(t);
  return node === undefined ? undefined : { op: node.op, inputs: node.inputs };
}

/** The tensors reachable from root through recorded ops, root first, every tensor before the ones it was made from. */
function reverseTopological(root: Shared): Shared[] {
  const order: Shared[] = [];
  const seen = new Set<Shared>();
  const stack: Array<{ t: Shared; expanded: boolean }> = [{ t: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.t);
      continue;
    }
    if (seen.has(top.t)) continue;
    seen.add(top.t);
    stack.push({ t: top.t, expanded: true });
    for (const input of creators.get(top.t)?.inputs ?? []) {
      if (input instanceof AdditiveSharingTensor && !seen.has(input) && (creators.has(input) || input.requiresGrad)) stack.push({ t: input, expanded: false });
    }
  }
  return order.reverse();
}

/** The gradient backward() starts from: ones for a scalar, else dy (shared, or a public value shared here). Owns its temporaries, so a refusal later leaves nothing. */
function seedOf(root: Shared, dy: unknown): Shared {
  const shape = shapeOf(root);
  if (dy === undefined) {
    if (shape.reduce((a, b) => a * b, 1) !== 1) {
      throw new InvalidArgumentError(
        `backward() without a gradient needs a scalar; this shared tensor has shape [${shape.join(', ')}]. Reduce it first (e.g. .sum()) or pass the gradient: backward(dy).`,
      );
    }
    return publicLike(root, 1);
  }
  if (!sameDims(shapeOf(dy), shape)) throw new InvalidArgumentError(`backward(dy): dy has shape [${shapeOf(dy)}], the tensor [${shape}]; they must match.`);
  if (dy instanceof AdditiveSharingTensor) return dy.clone();
  return publicLike(root, dy as PlainValue);
}

/** A public value as shares at root's parties, of root's shape: a local product by 0, then the leader adds it. */
function publicLike(root: Shared, value: PlainValue): Shared {
  const zero = root.mul(0);
  const out = zero.add(value);
  zero.dispose();
  return out;
}

function backward(root: Shared, dy: unknown): void {
  if (!root.requiresGrad) {
    throw new InvalidArgumentError('backward(): this shared tensor does not require a gradient. Share its inputs with { requiresGrad: true }, outside sy.noGrad.');
  }
  // The leaves' gradients outlive every scope; the temporaries go with this one.
  escapeScope(() => noGrad(() => tidy(() => accumulateGradients(root, seedOf(root, dy)))));
}

/** The engine: every node's entry in reverse topological order; returns the leaves' new gradients. */
function accumulateGradients(root: Shared, seed: Shared): Shared[] {
  // Each pending gradient is owned by its slot here until it is consumed or handed to a leaf.
  const grads = new Map<Shared, Shared>([[root, seed]]);
  const add = (t: Shared, g: Shared): void => {
    const previous = grads.get(t);
    if (previous === undefined) return void grads.set(t, g);
    grads.set(t, previous.add(g));
    previous.dispose();
    g.dispose();
  };
  const leaves: Shared[] = [];
  try {
    for (const t of reverseTopological(root)) {
      const g = grads.get(t);
      if (g === undefined) continue;
      const node = creators.get(t);
      if (node === undefined) {
        leaves.push(t);
        continue;
      }
      // A node's temporaries are released as soon as its inputs' gradients exist.
      const produced = tidy(() => gradientsOf(node, g));
      grads.delete(t);
      let handedOn = false;
      node.inputs.forEach((input, i) => {
        let r = produced[i];
        if (r === undefined || !node.needs[i] || !(input instanceof AdditiveSharingTensor)) return;
        // g itself goes to the first input that gets it unchanged, copies to the others.
        if (r === g) {
          if (handedOn) r = g.clone();
          handedOn = true;
        }
        add(input, r);
      });
      if (!handedOn) g.dispose();
    }
  } catch (error) {
    // A refused gradient (an op with none, a changed input) leaves nothing behind at the parties.
    for (const g of grads.values()) g.dispose();
    throw error;
  }
  const fresh: Shared[] = [];
  for (const leaf of leaves) {
    const g = grads.get(leaf)!;
    if (leaf.grad === undefined || leaf.grad.isDisposed) {
      leaf.grad = g;
      fresh.push(g);
    } else {
      leaf.grad.addInPlace(g);
      g.dispose();
    }
  }
  return fresh;
}

function gradientsOf(node: Node, g: Shared): readonly (Shared | undefined)[] {
  if (node.entry === undefined) throw new UnsupportedOnSharesError(node.op, `the gradient of '${node.op}' (backward() through it)`);
  node.inputs.forEach((t, i) => {
    if (t instanceof AdditiveSharingTensor && (versions.get(t) ?? 0) !== node.versions[i]) {
      throw new InvalidArgumentError(
        `backward(): a tensor that '${node.op}' used was changed in place afterwards (an optimizer step, addInPlace, ...); ` +
          `call backward() before updating it, or give the op a clone.`,
      );
    }
  });
  return node.entry.backward(g, node);
}

Object.defineProperties(AdditiveSharingTensor.prototype, {
  backward: {
    value: function (this: Shared, dy?: unknown) {
      backward(this, dy);
    },
    enumerable: false,
    writable: true,
    configurable: true,
  },
  detach: {
    value: function (this: Shared) {
      return noGrad(() => this.clone());
    },
    enumerable: false,
    writable: true,
    configurable: true,
  },
  gradFn: {
    get(this: Shared) {
      return gradFnOf(this);
    },
    enumerable: false,
    configurable: true,
  },
  isLeaf: {
    get(this: Shared) {
      return !creators.has(this);
    },
    enumerable: false,
    configurable: true,
  },
});

declare module './additive-sharing-tensor.js' {
  interface AdditiveSharingTensor {
    /**
     * Computes the gradient of this tensor (a scalar, or pass `dy` of its shape)
     * with respect to every shared leaf it depends on that requires one, and
     * adds it to that leaf's `.grad`, as shares among the same parties.
     */
    backward(dy?: AdditiveSharingTensor | FixedPrecisionTensor | PlainValue): void;
    /** New shares of the same value with no gradient history (requiresGrad false). */
    detach(): AdditiveSharingTensor;
    /** The recorded op that made this tensor (PyTorch's grad_fn); undefined for a leaf. */
    readonly gradFn: GradFn | undefined;
    /** True unless a recorded op made this tensor. */
    readonly isLeaf: boolean;
  }
}
