/**
 * Shape arithmetic for fixed-precision and shared tensors, done where the
 * caller is: a shared tensor's shape is known here, so a bad axis, slice or
 * permutation is refused at once, before any party runs anything.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { broadcastShapes, sizeOf } from '../core/ring/ring.js';

export { broadcastShapes };

export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A non-negative axis of a tensor of `rank` (`extend`: one past the end is allowed, as expandDims and stack allow). */
export function normalizeAxis(op: string, axis: number, rank: number, extend = 0): number {
  const d = axis < 0 ? axis + rank + extend : axis;
  if (!(Number.isInteger(d) && d >= 0 && d < rank + extend)) {
    throw new InvalidArgumentError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}.`);
  }
  return d;
}

/** The axes a reduction sums over, distinct and in decreasing order (so removing one leaves the others' numbers). */
export function reductionAxes(op: string, shape: readonly number[], axis: number | readonly number[] | undefined | null): number[] {
  if (axis === undefined || axis === null) return shape.map((_, d) => shape.length - 1 - d);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const axes = list.map((a) => normalizeAxis(op, a, shape.length));
  if (new Set(axes).size !== axes.length) throw new InvalidArgumentError(`${op}: axis [${list}] names an axis twice.`);
  return axes.sort((a, b) => b - a);
}

/** The shape after reducing `axes` (decreasing), kept as size 1 when `keepDims`. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, k) => (axes.includes(k) ? 1 : d)) : shape.filter((_, k) => !axes.includes(k));
}

export function transposedShape(op: string, shape: readonly number[], perm?: readonly number[] | null): { perm: number[]; shape: number[] } {
  const rank = shape.length;
  const p = perm === undefined || perm === null ? shape.map((_, d) => rank - 1 - d) : [...perm];
  if (p.length !== rank || [...p].sort((x, y) => x - y).some((d, i) => d !== i)) {
    throw new InvalidArgumentError(`${op}: perm [${p}] is not a permutation of the ${rank} axes of [${shape}].`);
  }
  return { perm: p, shape: p.map((d) => shape[d]!) };
}

/** tf.slice's block: `begin` and `size` (-1 to the end); a number stands for the first axis. */
export function slicedShape(shape: readonly number[], begin: number | readonly number[], size?: number | readonly number[]): { begin: number[]; size: number[] } {
  const b = typeof begin === 'number' ? [begin] : [...begin];
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : [...size];
  const fullBegin = shape.map((_, d) => b[d] ?? 0);
  const fullSize = shape.map((n, d) => {
    const v = s[d] ?? -1;
    return v === -1 ? n - fullBegin[d]! : v;
  });
  if (b.length > shape.length || s.length > shape.length || fullBegin.some((x, d) => !(Number.isInteger(x) && x >= 0 && Number.isInteger(fullSize[d]) && fullSize[d]! >= 0 && x + fullSize[d]! <= shape[d]!))) {
    throw new InvalidArgumentError(`slice: begin [${b}] and size [${s}] do not fit in shape [${shape}].`);
  }
  return { begin: fullBegin, size: fullSize };
}

export function reshapedShape(from: readonly number[], to: readonly number[]): number[] {
  const size = sizeOf(from);
  const known = sizeOf(to.filter((d) => d !== -1));
  const shape = to.map((d) => (d === -1 ? size / known : d));
  if (to.filter((d) => d === -1).length > 1 || sizeOf(shape) !== size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`reshape: cannot reshape [${from}] (${size} values) to [${to}].`);
  }
  return shape;
}

export function expandedShape(shape: readonly number[], axis = 0): number[] {
  const d = normalizeAxis('expandDims', axis, shape.length, 1);
  return [...shape.slice(0, d), 1, ...shape.slice(d)];
}

export function squeezedShape(shape: readonly number[], axis?: readonly number[] | number | null): number[] {
  if (axis === undefined || axis === null) return shape.filter((d) => d !== 1);
  const axes = (typeof axis === 'number' ? [axis] : [...axis]).map((a) => normalizeAxis('squeeze', a, shape.length));
  for (const d of axes) if (shape[d] !== 1) throw new InvalidArgumentError(`squeeze: axis ${d} of shape [${shape}] has size ${shape[d]}, not 1.`);
  return shape.filter((_, k) => !axes.includes(k));
}

export function tiledShape(shape: readonly number[], reps: readonly number[]): number[] {
  if (reps.length !== shape.length || reps.some((r) => !(Number.isInteger(r) && r >= 0))) {
    throw new InvalidArgumentError(`tile: reps [${reps}] must be ${shape.length} non-negative integers for shape [${shape}].`);
  }
  return shape.map((d, k) => d * reps[k]!);
}

export function concatenatedShape(shapes: readonly (readonly number[])[], axis = 0): { axis: number; shape: number[] } {
  const first = shapes[0];
  if (first === undefined) throw new InvalidArgumentError('concat: needs at least one tensor.');
  const d = normalizeAxis('concat', axis, first.length);
  for (const s of shapes) {
    if (s.length !== first.length || s.some((n, k) => k !== d && n !== first[k])) {
      throw new InvalidArgumentError(`concat: shapes [${first}] and [${s}] differ outside axis ${d}.`);
    }
  }
  const shape = [...first];
  shape[d] = shapes.reduce((sum, s) => sum + s[d]!, 0);
  return { axis: d, shape };
}

/** tf.split's pieces: `numOrSizeSplits` equal parts, or these sizes (one may be -1), along `axis`. */
export function splitSizes(shape: readonly number[], numOrSizeSplits: number | readonly number[], axis = 0): { axis: number; sizes: number[] } {
  const d = normalizeAxis('split', axis, shape.length);
  const n = shape[d]!;
  if (typeof numOrSizeSplits === 'number') {
    if (!(Number.isInteger(numOrSizeSplits) && numOrSizeSplits >= 1 && n % numOrSizeSplits === 0)) {
      throw new InvalidArgumentError(`split: ${numOrSizeSplits} parts do not divide axis ${d} of size ${n} evenly; pass the sizes instead.`);
    }
    return { axis: d, sizes: new Array<number>(numOrSizeSplits).fill(n / numOrSizeSplits) };
  }
  const known = numOrSizeSplits.filter((s) => s !== -1).reduce((a, b) => a + b, 0);
  const sizes = numOrSizeSplits.map((s) => (s === -1 ? n - known : s));
  if (numOrSizeSplits.filter((s) => s === -1).length > 1 || sizes.some((s) => !(Number.isInteger(s) && s >= 0)) || sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new InvalidArgumentError(`split: sizes [${numOrSizeSplits}] do not add up to axis ${d} of size ${n}.`);
  }
  return { axis: d, sizes };
}

/** The [m, k]·[k, n] product's shape after the optional transposes. */
export function matMulShape(a: readonly number[], b: readonly number[], transposeA = false, transposeB = false): number[] {
  const [ra, rb] = [transposeA ? [...a].reverse() : a, transposeB ? [...b].reverse() : b];
  if (a.length !== 2 || b.length !== 2 || ra[1] !== rb[0]) {
    throw new InvalidArgumentError(`matMul: needs [m, k] and [k, n], got [${ra}] and [${rb}]; reshape vectors to [1, n] or [n, 1], or use dot.`);
  }
  return [ra[0]!, rb[1]!];
}

/**
 * tf.dot as a matrix product: vectors become [1, n] on the left and [n, 1] on
 * the right; `result` is the shape to reshape the product to.
 */
export function dotPlan(a: readonly number[], b: readonly number[]): { left: number[]; right: number[]; result: number[] } {
  if (a.length < 1 || a.length > 2 || b.length < 1 || b.length > 2) {
    throw new InvalidArgumentError(`dot: takes vectors and matrices, got ranks ${a.length} and ${b.length}.`);
  }
  const left = a.length === 1 ? [1, a[0]!] : [...a];
  const right = b.length === 1 ? [b[0]!, 1] : [...b];
  if (left[1] !== right[0]) throw new InvalidArgumentError(`dot: inner dimensions of [${a}] and [${b}] differ.`);
  const result = [...(a.length === 2 ? [a[0]!] : []), ...(b.length === 2 ? [b[1]!] : [])];
  return { left, right, result };
}
