/**
 * Runs an op where its tensors are: remotely when the arguments hold pointers
 * (all at one worker), locally on tfjs otherwise. Local mistakes (a pointer with
 * a local tensor, pointers at two workers, a disposed pointer, too many
 * arguments, an argument that cannot be cloned) throw here, at once; whatever
 * fails at the worker comes back later as a RemoteError.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, TensorsNotCollocatedError, UnknownOpError } from '../core/errors.js';
import type { GraphArg } from '../autograd/gradients.js';
import { recordLocal } from '../autograd/local-graph.js';
import { isRecording } from '../autograd/no-grad.js';
import { replayOp, seedRandomOps } from '../autograd/replay.js';
import { MultiPointerTensor } from '../pointers/multi-pointer-tensor.js';
import { PointerTensor, type PointerLocation } from '../pointers/pointer-tensor.js';
import type { WireArg } from '../core/protocol.js';
import {
  flattenOutputs,
  isOpName,
  nearOpNames,
  OPS,
  outputCount,
  shapeOutputs,
  signatureOf,
  type OpName,
  type OpSpec,
} from '../core/op-registry.js';
import { SyftTensor } from './syft-tensor.js';

/** A worker that can run ops for pointers (implemented by VirtualWorker). */
export interface OpTarget extends PointerLocation {
  runOp(
    op: OpName,
    args: readonly WireArg[],
    outputs: number,
    kind: PointerTensor['kind'],
    route: readonly PointerLocation[],
    noGrad: boolean,
  ): PointerTensor[];
}

type TfOp = (...args: unknown[]) => unknown;
const tfOps = tf as unknown as Record<OpName, TfOp>;

export function assertOpName(name: unknown): asserts name is OpName {
  if (typeof name !== 'string' || !isOpName(name)) throw new UnknownOpError(String(name), nearOpNames(String(name)));
}

export function callOpByName(name: string, args: unknown[]): unknown {
  assertOpName(name);
  return callOp(name, args);
}

export function callOp(name: OpName, args: unknown[]): unknown {
  const spec = OPS[name];
  checkArity(name, spec, args);
  const multi = firstMulti(args);
  if (multi !== undefined) return callOnBranches(name, spec, args, multi);
  const found = scan(name, args);
  if (found.pointer !== undefined) return callRemote(name, spec, args, found.pointer);
  return callLocal(name, args, found.syft);
}

function checkArity(name: OpName, spec: OpSpec, args: readonly unknown[]): void {
  const max = (spec.inputs === 'list' ? 1 : spec.inputs) + spec.attrs.length;
  if (args.length > max || args.length === 0) {
    throw new InvalidArgumentError(`${signatureOf(name)} takes 1 to ${max} arguments, got ${args.length}.`);
  }
}

interface Scan {
  pointer: PointerTensor | undefined;
  local: unknown;
  syft: boolean;
}

/** Finds where the op must run; throws if its tensors are not in one place. */
function scan(name: OpName, args: readonly unknown[]): Scan {
  const found: Scan = { pointer: undefined, local: undefined, syft: false };
  for (let i = 0; i < args.length; i++) visit(name, args[i], found);
  if (found.pointer !== undefined && found.local !== undefined) throw notCollocatedLocal(name, found.pointer, found.local);
  return found;
}

function visit(name: OpName, arg: unknown, found: Scan): void {
  if (arg instanceof PointerTensor) {
    arg.assertLive();
    if (found.pointer === undefined) found.pointer = arg;
    else if (found.pointer.location !== arg.location || found.pointer.dataLocation !== arg.dataLocation) {
      throw notCollocatedRemote(name, found.pointer, arg);
    }
  } else if (arg instanceof SyftTensor || arg instanceof tf.Tensor) {
    found.local ??= arg;
    if (arg instanceof SyftTensor) found.syft = true;
  } else if (Array.isArray(arg)) {
    for (const a of arg) visit(name, a, found);
  }
}

function firstMulti(args: readonly unknown[]): MultiPointerTensor | undefined {
  for (const a of args) {
    if (a instanceof MultiPointerTensor) return a;
    if (Array.isArray(a)) for (const b of a) if (b instanceof MultiPointerTensor) return b;
  }
  return undefined;
}

/** An op on MultiPointerTensors runs on every branch, each at its own worker. */
function callOnBranches(name: OpName, spec: OpSpec, args: readonly unknown[], multi: MultiPointerTensor): MultiPointerTensor {
  if (spec.outputs.kind !== 'tensor') {
    throw new InvalidArgumentError(`${signatureOf(name)} has several outputs; call it on each branch of the MultiPointerTensor.`);
  }
  const branchArg = (arg: unknown, worker: string): unknown => {
    if (arg instanceof MultiPointerTensor) {
      const child = arg.child(worker);
      if (child === undefined) {
        throw new TensorsNotCollocatedError(
          `You tried to call '${name}' on MultiPointerTensors over different workers: one has a branch at '${worker}', ` +
            `the other at ${arg.workers.map((w) => `'${w}'`).join(', ')}. Use the same workers for both.`,
        );
      }
      return child;
    }
    return Array.isArray(arg) ? arg.map((a) => branchArg(a, worker)) : arg;
  };
  return new MultiPointerTensor(multi.workers.map((w) => callOp(name, args.map((a) => branchArg(a, w))) as PointerTensor));
}

function callRemote(name: OpName, spec: OpSpec, args: readonly unknown[], first: PointerTensor): unknown {
  const wire: WireArg[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) wire[i] = encodeArg(args[i], name, i);
  const attrs = args.slice(spec.inputs === 'list' ? 1 : spec.inputs);
  const count = outputCount(spec, attrs);
  if (!Number.isInteger(count) || count < 1) {
    throw new InvalidArgumentError(`${signatureOf(name)}: cannot tell how many outputs it makes from ${JSON.stringify(attrs)}.`);
  }
  const location = first.location as OpTarget;
  const outputs = location.runOp(name, wire, count, first.kind, first.route, !isRecording());
  return shapeOutputs(spec, outputs);
}

function callLocal(name: OpName, args: readonly unknown[], syft: boolean): unknown {
  if (!syft) return tfOps[name](...args);
  // Ops that draw random numbers get a seed, so that backward() can replay them exactly.
  const recording = isRecording() && args.some(requiresGradIn);
  const used = recording ? seedRandomOps(name, args, (v) => v) : args;
  // replayOp: the same op, but matMul's gradient uses explicit transposes (fast on wasm) when tf.grads runs through it.
  const outputs = flattenOutputs<tf.Tensor>(OPS[name], replayOp(name, used.map(unwrap))).map((t) => new SyftTensor(t));
  if (recording) recordLocal(name, used.map(toGraphArg), outputs);
  return shapeOutputs(OPS[name], outputs);
}

function requiresGradIn(arg: unknown): boolean {
  if (arg instanceof SyftTensor) return arg.requiresGrad;
  return Array.isArray(arg) && arg.some(requiresGradIn);
}

function toGraphArg(arg: unknown): GraphArg<SyftTensor> {
  if (arg instanceof SyftTensor) return { node: arg };
  if (Array.isArray(arg) && arg.some((a) => a instanceof SyftTensor)) return { list: arg.map(toGraphArg) };
  return { value: arg };
}

function unwrap(arg: unknown): unknown {
  if (arg instanceof SyftTensor) return arg.tensor;
  if (Array.isArray(arg) && arg.some((a) => a instanceof SyftTensor)) return arg.map(unwrap);
  return arg;
}

/**
 * The operand of an in-place update or backward(dy) on `target`: a number, or
 * a pointer (or gradient view) at the same place. Anything else throws at once.
 */
export function encodeOperand(target: PointerTensor<unknown>, operand: unknown, op: string): WireArg {
  if (typeof operand === 'number') return { value: operand };
  if (operand instanceof PointerTensor) {
    operand.assertLive();
    if (operand.location !== target.location || operand.dataLocation !== target.dataLocation) {
      throw notCollocatedRemote(op as OpName, target as PointerTensor, operand as PointerTensor);
    }
    return encodeArg(operand, 'add', 0);
  }
  if (operand instanceof SyftTensor || operand instanceof tf.Tensor) {
    throw notCollocatedLocal(op as OpName, target as PointerTensor, operand);
  }
  throw new InvalidArgumentError(`${op}() takes a number or a pointer at ${target.location.id}, got ${typeof operand}.`);
}

function encodeArg(arg: unknown, op: OpName, position: number): WireArg {
  if (arg instanceof PointerTensor) return arg.slot === 'grad' ? { grad: arg.idAtLocation } : arg.idAtLocation;
  if (Array.isArray(arg) && arg.some((a) => a instanceof PointerTensor)) {
    return { list: arg.map((a) => encodeArg(a, op, position)) };
  }
  assertCloneable(arg, op, position);
  return { value: arg };
}

/** Attributes travel by structured clone; refuse what cannot, before it is queued. */
function assertCloneable(value: unknown, op: OpName, position: number): void {
  const t = typeof value;
  if (value === null || t === 'undefined' || t === 'number' || t === 'string' || t === 'boolean') return;
  if (Array.isArray(value)) {
    for (const v of value) assertCloneable(v, op, position);
    return;
  }
  if (ArrayBuffer.isView(value)) return;
  throw new InvalidArgumentError(
    `${signatureOf(op)}: argument ${position + 1} is ${t === 'object' ? 'an object' : `a ${t}`}; ` +
      `op attributes must be numbers, strings, booleans or arrays of them.`,
  );
}

function describeLocal(t: unknown): string {
  const shape = t instanceof SyftTensor ? t.shape : (t as tf.Tensor).shape;
  return `local tensor of shape [${shape.join(', ')}]`;
}

function notCollocatedLocal(op: OpName, pointer: PointerTensor, local: unknown): TensorsNotCollocatedError {
  return new TensorsNotCollocatedError(
    `You tried to call '${op}' on two tensors where one is located on another machine (a PointerTensor). ` +
      `Call .get() on the PointerTensor or .send(${pointer.location.id}) on the other tensor.\n` +
      `Tensor A: ${String(pointer)}\nTensor B: ${describeLocal(local)}`,
  );
}

/** Where a pointer's data is, as a user reads it: "<VirtualWorker id:bob>" or "… id:bob> (via alice)". */
function whereIs(p: PointerTensor): string {
  const hops = p.route.slice(0, -1).map((w) => w.id);
  return `${String(p.dataLocation)}${hops.length > 0 ? ` (via ${hops.join(' -> ')})` : ''}`;
}

function notCollocatedRemote(op: OpName, a: PointerTensor, b: PointerTensor): TensorsNotCollocatedError {
  return new TensorsNotCollocatedError(
    `You tried to call '${op}' on two tensors which are not on the same machine! One tensor is on ` +
      `${whereIs(a)} while the other is on ${whereIs(b)}. Use a combination of ` +
      `.move(), .get(), and/or .send() to co-locate them to the same machine.\n` +
      `Tensor A: ${String(a)}\nTensor B: ${String(b)}`,
  );
}
