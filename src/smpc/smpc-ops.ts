/**
 * Fixed-precision and shared tensors are tensors to the rest of the API: this
 * registers their placement with the op dispatcher (src/tensor/op-dispatch.ts),
 * as pointers and syft tensors register theirs, so `sy.add(x_sh, y)`,
 * `sy.matMul`, `sy.sum`, `sy.stack([a, b])`, `sy.split`, `sy.op('mean', x)`
 * run on them, and gives both classes one method per registry op they lack.
 *
 * SMPC_OPS holds the registry ops that have a meaning on them: linear and
 * structural ones, and pow by an integer. Every other registry op is refused
 * with UnsupportedOnSharesError before anything runs (comparisons and
 * approximations need protocols syft-ts does not have yet).
 *
 * In a binary op the more secret operand decides (shared, then fixed
 * precision, then public): `sy.sub(2, x_sh)` is `x_sh.rsub(2)`, and
 * `sy.matMul(w, x_sh)` with a public or fixed-precision w is `x_sh.rmatMul(w)`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { OPS, opNames, type OpName } from '../core/op-registry.js';
import { callOp, op, registerPlacement } from '../tensor/op-dispatch.js';
import { AdditiveSharingTensor } from './additive-sharing-tensor.js';
import { FixedPrecisionTensor, type PlainValue } from './fixed-precision-tensor.js';
import { div as approxDiv, exp, log, logSoftmax, reciprocal, rsqrt, sigmoid, softmax, sqrt, tanh } from './approximations.js';
import { avgPool, conv2d, maxPool } from './conv.js';
import * as cmp from './comparisons.js';
import { SharedValueToPrimitiveError, UnsupportedOnSharesError } from './unsupported.js';

type Secret = AdditiveSharingTensor | FixedPrecisionTensor;
type Impl = (args: readonly unknown[]) => unknown;

/** How secret an operand is: shares over a fixed-precision tensor over a public value. */
function level(x: unknown): number {
  return x instanceof AdditiveSharingTensor ? 2 : x instanceof FixedPrecisionTensor ? 1 : 0;
}

function isSecret(x: unknown): x is Secret {
  return level(x) > 0;
}

/** A public or local operand as a fixed-precision tensor of `precision` (the other operand's). */
function asFixed(x: unknown, like: Secret): FixedPrecisionTensor {
  if (x instanceof FixedPrecisionTensor) return x;
  return FixedPrecisionTensor.encode(x as PlainValue, like.precision);
}

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'pow' | 'matMul' | 'dot';

/** x op y where y is more secret than x: the shared operand's reversed form, or both as fixed precision. */
function reversed(op: BinaryName, x: unknown, y: Secret, attrs: readonly unknown[]): unknown {
  if (y instanceof FixedPrecisionTensor) return (asFixed(x, y) as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(y, ...attrs);
  const p = x as FixedPrecisionTensor | PlainValue;
  switch (op) {
    case 'add':
    case 'mul':
      return y[op](p);
    case 'sub':
      return y.rsub(p);
    case 'dot':
      return y.rdot(p);
    case 'matMul': {
      const [transposeA, transposeB] = attrs as [boolean | undefined, boolean | undefined];
      const left = transposeA === true ? asFixed(x, y).transpose() : p;
      if (transposeB !== true) return y.rmatMul(left);
      const t = y.transpose();
      try {
        return t.rmatMul(left);
      } finally {
        t.dispose();
      }
    }
    case 'div':
      throw new UnsupportedOnSharesError('div', 'a division by a shared value');
    case 'mod':
      throw new UnsupportedOnSharesError('mod', 'a remainder modulo a shared value');
    case 'pow':
      throw new UnsupportedOnSharesError('pow', 'a shared exponent');
  }
}

function binary(op: BinaryName): Impl {
  return ([x, y, ...attrs]) => {
    if (level(x) >= level(y)) return ((x as Secret) as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!(y, ...attrs);
    return reversed(op, x, y as Secret, attrs);
  };
}

/** A one-input op: the method of the same name, with the registry's attributes in order. */
function secretArg(name: string, x: unknown): Secret {
  if (!isSecret(x)) throw new InvalidArgumentError(`${name}: the argument must be the fixed-precision or shared tensor.`);
  return x;
}

function method(name: string): Impl {
  return ([x, ...attrs]) => {
    if (!isSecret(x)) throw new InvalidArgumentError(`${name}: the first argument must be the fixed-precision or shared tensor.`);
    return (x as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...attrs);
  };
}

/**
 * The tensors of a list op, all of one kind: shared tensors only, or
 * fixed-precision tensors (public values among them are encoded alike).
 */
function listOf(op: string, list: unknown): { shared: AdditiveSharingTensor[] } | { fixed: FixedPrecisionTensor[] } {
  if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError(`${op}: takes a non-empty array of tensors.`);
  if (list.some((t) => t instanceof AdditiveSharingTensor)) {
    if (!list.every((t) => t instanceof AdditiveSharingTensor)) {
      throw new InvalidArgumentError(`${op}: shared and public tensors in one list; share every one alike (x.fixPrecision().share(...)).`);
    }
    return { shared: list as AdditiveSharingTensor[] };
  }
  const first = list.find((t): t is FixedPrecisionTensor => t instanceof FixedPrecisionTensor)!;
  return { fixed: list.map((t) => asFixed(t, first)) };
}

const divByPublic = binary('div');
// A shared divisor: x·reciprocal(y) (approximations.ts); any other divisor is public to the shares (exact).
const divide: Impl = (args) => (args[1] instanceof AdditiveSharingTensor ? approxDiv(args[0] as Secret | PlainValue, args[1]) : divByPublic(args));

// The registry ops with a meaning on shares and fixed-precision tensors; every other one is refused (UnsupportedOnSharesError).
const SMPC_OPS: Readonly<Record<string, Impl>> = {
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: divide,
  mod: binary('mod'),
  pow: binary('pow'),
  matMul: binary('matMul'),
  dot: binary('dot'),
  square: ([x]) => (x as Secret).pow(2),
  neg: method('neg'),
  clone: method('clone'),
  sum: method('sum'),
  mean: method('mean'),
  reshape: method('reshape'),
  transpose: method('transpose'),
  slice: method('slice'),
  expandDims: method('expandDims'),
  squeeze: method('squeeze'),
  tile: method('tile'),
  broadcastTo: method('broadcastTo'),
  split: method('split'),
  unstack: method('unstack'),
  // Approximations (src/smpc/approximations.ts: methods, iterations and the ranges where they hold).
  exp: ([x]) => exp(secretArg('exp', x)),
  reciprocal: ([x]) => reciprocal(secretArg('reciprocal', x)),
  sigmoid: ([x]) => sigmoid(secretArg('sigmoid', x)),
  tanh: ([x]) => tanh(secretArg('tanh', x)),
  log: ([x]) => log(secretArg('log', x)),
  sqrt: ([x]) => sqrt(secretArg('sqrt', x)),
  rsqrt: ([x]) => rsqrt(secretArg('rsqrt', x)),
  softmax: ([x, dim]) => softmax(secretArg('softmax', x), (dim as number | undefined) ?? -1),
  logSoftmax: ([x, axis]) => logSoftmax(secretArg('logSoftmax', x), (axis as number | undefined) ?? -1),
  // Comparisons (src/smpc/comparisons.ts): results are 0/1 at the operands' precision.
  less: ([a, b]) => cmp.less(a as Secret, b as Secret),
  lessEqual: ([a, b]) => cmp.lessEqual(a as Secret, b as Secret),
  greater: ([a, b]) => cmp.greater(a as Secret, b as Secret),
  greaterEqual: ([a, b]) => cmp.greaterEqual(a as Secret, b as Secret),
  equal: ([a, b]) => cmp.equal(a as Secret, b as Secret),
  notEqual: ([a, b]) => cmp.notEqual(a as Secret, b as Secret),
  sign: ([x]) => cmp.sign(secretArg('sign', x)),
  abs: ([x]) => cmp.abs(secretArg('abs', x)),
  relu: ([x]) => cmp.relu(secretArg('relu', x)),
  where: ([condition, a, b]) => cmp.where(secretArg('where', condition), a as Secret, b as Secret),
  maximum: ([a, b]) => cmp.maximum(a as Secret, b as Secret),
  minimum: ([a, b]) => cmp.minimum(a as Secret, b as Secret),
  max: ([x, axis, keepDims]) => cmp.max(secretArg('max', x), axis as number | number[] | null | undefined, keepDims === true),
  min: ([x, axis, keepDims]) => cmp.min(secretArg('min', x), axis as number | number[] | null | undefined, keepDims === true),
  argMax: ([x, axis]) => cmp.argMax(secretArg('argMax', x), (axis as number | undefined) ?? 0),
  argMin: ([x, axis]) => cmp.argMin(secretArg('argMin', x), (axis as number | undefined) ?? 0),
  // Convolution and pooling (src/smpc/conv.ts), in tfjs's argument order.
  conv2d: (args) => conv2d(...args),
  avgPool: (args) => avgPool(...args),
  maxPool: (args) => maxPool(...args),
  concat: ([list, axis]) => {
    const l = listOf('concat', list);
    return 'shared' in l ? AdditiveSharingTensor.concat(l.shared, axis as number | undefined) : FixedPrecisionTensor.concat(l.fixed, axis as number | undefined);
  },
  stack: ([list, axis]) => {
    const l = listOf('stack', list);
    return 'shared' in l ? AdditiveSharingTensor.stack(l.shared, axis as number | undefined) : FixedPrecisionTensor.stack(l.fixed, axis as number | undefined);
  },
  addN: ([list]) => {
    const l = listOf('addN', list);
    const tensors: Secret[] = 'shared' in l ? l.shared : l.fixed;
    let sum = tensors[0]!.clone();
    for (const t of tensors.slice(1)) {
      const next = (sum as AdditiveSharingTensor).add(t as AdditiveSharingTensor);
      if (sum instanceof AdditiveSharingTensor) sum.dispose();
      sum = next;
    }
    return sum;
  },
};

function callSmpc(name: OpName, _spec: unknown, args: readonly unknown[]): unknown {
  const impl = Object.hasOwn(SMPC_OPS, name) ? SMPC_OPS[name] : undefined;
  if (impl === undefined) throw new UnsupportedOnSharesError(name);
  return impl(args);
}

function claims(arg: unknown): boolean {
  return isSecret(arg);
}

// Above pointers and multi-pointers: a shared tensor next to a pointer is refused here, with the reason.
registerPlacement({ rank: 40, claims, call: callSmpc });

/** The ops both classes answer, for documentation and tests. */
export function smpcOpNames(): readonly OpName[] {
  return Object.keys(SMPC_OPS).filter((name): name is OpName => Object.hasOwn(OPS, name));
}

/**
 * Every registry op as a method, for the ops the classes do not define
 * themselves (`x_sh.square()`, `x_sh.op('sum', 0)`, and `x_sh.relu()`, which
 * throws UnsupportedOnSharesError): the class's own methods stay.
 */
function installMissingOpMethods(proto: object): void {
  const define = (name: string, value: (this: unknown, ...args: unknown[]) => unknown): void => {
    Object.defineProperty(proto, name, { value, enumerable: false, writable: true, configurable: true });
  };
  for (const name of opNames()) {
    if (name in proto) continue;
    define(name, function (...args) {
      return callOp(name, withReceiver(name, this, args));
    });
  }
  if (!('op' in proto)) {
    define('op', function (name, ...args) {
      // op() throws UnknownOpError naming the nearest registered names.
      if (typeof name !== 'string' || !Object.hasOwn(OPS, name)) return op(String(name), this);
      return callOp(name as OpName, withReceiver(name as OpName, this, args));
    });
  }
}

/** In method form the receiver is the first input; for list ops, the first list element. */
function withReceiver(name: OpName, receiver: unknown, args: readonly unknown[]): unknown[] {
  if (OPS[name].inputs !== 'list') return [receiver, ...args];
  const [first, ...rest] = args;
  const others = first === undefined ? [] : Array.isArray(first) ? first : [first];
  return [[receiver, ...others], ...rest];
}

installMissingOpMethods(AdditiveSharingTensor.prototype);
// A secret can't decide a JavaScript branch: `x_sh > 0` throws instead of comparing an object (strings still print where the shares are).
Object.defineProperty(AdditiveSharingTensor.prototype, Symbol.toPrimitive, {
  value(this: AdditiveSharingTensor, hint: string): string {
    if (hint === 'string') return this.toString();
    throw new SharedValueToPrimitiveError();
  },
  enumerable: false,
  configurable: true,
});
installMissingOpMethods(FixedPrecisionTensor.prototype);

declare module '../pointers/functional.js' {
  /** `sy.add(x_sh, y)`, `sy.stack([a_fp, b_fp])`, ...: the functional forms take and return these too. */
  interface FunctionalOperands {
    shared: AdditiveSharingTensor;
    fixed: FixedPrecisionTensor;
  }
}
