/**
 * Ops on pointers run at the pointer's worker, pipelined: the result pointers
 * come back at once, with ids chosen here. Ops on multi-pointers run on every
 * branch, each at its own worker. Both register as placements of the op
 * dispatcher (src/tensor/op-dispatch.ts) and get one method per registry entry.
 *
 * Local mistakes throw here, before anything is queued: a pointer with a
 * local tensor, pointers at two workers, a disposed pointer, an attribute that
 * is not plain data. So does a call the worker would refuse for its shapes,
 * dtypes or attributes: when every input pointer knows its shape and dtype,
 * the registry's shape checks run here on those (the worker's own message, at
 * once), and give the result pointers their shapes and dtypes. Checks that
 * read tensor values (indices in range) can only run at the worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, TensorsNotCollocatedError } from '../core/errors.js';
import { inferOpOutputs, type OpOutputs, SHAPE_ONLY_ENV, ShapeOnly } from '../core/op-checks.js';
import { type OpName, type OpSpec, outputCount, shapeOutputs, signatureOf } from '../core/op-registry.js';
import type { WireArg } from '../core/protocol.js';
import { isRecording } from '../autograd/no-grad.js';
import { installOpMethods, registerPlacement } from '../tensor/op-dispatch.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { MultiPointerTensor } from './multi-pointer-tensor.js';
import { notCollocatedLocal, notCollocatedRemote, PointerTensor, type TensorMeta, wireRef } from './pointer-tensor.js';

interface Scan {
  pointer: PointerTensor | undefined;
  local: unknown;
}

/** Finds where the op must run; throws if its tensors are not in one place. */
function scan(name: OpName, args: readonly unknown[]): PointerTensor {
  const found: Scan = { pointer: undefined, local: undefined };
  for (let i = 0; i < args.length; i++) visit(name, args[i], found);
  if (found.local !== undefined) throw notCollocatedLocal(name, found.pointer!, found.local);
  return found.pointer!;
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
  } else if (Array.isArray(arg)) {
    for (const a of arg) visit(name, a, found);
  }
}

function callRemote(name: OpName, spec: OpSpec, args: readonly unknown[]): unknown {
  return prepareRemote(name, spec, args)();
}

/**
 * Everything that can throw about a call, done before anything is queued;
 * the returned function queues it and makes the result pointers.
 */
function prepareRemote(name: OpName, spec: OpSpec, args: readonly unknown[]): () => unknown {
  const first = scan(name, args);
  const wire: WireArg[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) wire[i] = encodeArg(args[i], name, i);
  const attrs = args.slice(spec.inputs === 'list' ? 1 : spec.inputs);
  const inferred = inferOutputs(name, spec, args);
  // With the inputs' shapes known, the shape rule counts the outputs (unstack's count depends on nothing else).
  const count = inferred !== undefined && spec.outputs.kind === 'list' ? inferred.shapes.length : outputCount(spec, attrs);
  if (!Number.isInteger(count) || count < 1) {
    throw new InvalidArgumentError(
      `${signatureOf(name)}: cannot tell how many outputs it makes from ${JSON.stringify(attrs)}` +
        (inferred === undefined ? `; with the input's shape known it could: call \`await ptr.shapeAsync()\` first.` : '.'),
    );
  }
  return () => {
    const location = first.location;
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = location.owner.nextId();
    const recording = isRecording();
    location.post(recording ? { type: 'op', op: name, args: wire, out } : { type: 'op', op: name, args: wire, out, noGrad: true });
    // The worker records the op for backward() when an input requires a gradient; the caller can tell when it knows them all.
    const grads = recording && spec.differentiable ? gradStateOf(args) : 'none';
    const pointers: PointerTensor[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const meta: TensorMeta | undefined = inferred === undefined ? undefined : { shape: inferred.shapes[i]!, dtype: inferred.dtypes[i]! };
      const p = new PointerTensor(location, out[i]!, first.kind, first.route, meta);
      if (grads !== 'unknown') p.setGradState(grads === 'some', grads === 'some');
      pointers[i] = p;
    }
    return shapeOutputs(spec, pointers);
  };
}

/** Whether some input pointer requires a gradient, none does, or the caller cannot tell. */
function gradStateOf(args: readonly unknown[]): 'some' | 'none' | 'unknown' {
  let state: 'some' | 'none' | 'unknown' = 'none';
  const visit = (arg: unknown): void => {
    if (Array.isArray(arg)) arg.forEach(visit);
    else if (arg instanceof PointerTensor) {
      const r = arg.requiresGrad;
      if (r === true) state = 'some';
      else if (r === undefined && state === 'none') state = 'unknown';
    }
  };
  args.forEach(visit);
  return state;
}

/**
 * The outputs' shapes and dtypes from the inputs' metadata, or undefined when
 * some input pointer's is unknown. Throws InvalidArgumentError for a call the
 * worker would refuse for its shapes, dtypes or attributes.
 */
function inferOutputs(name: OpName, spec: OpSpec, args: readonly unknown[]): OpOutputs | undefined {
  let unknown = false;
  const view = (arg: unknown): unknown => {
    if (arg instanceof PointerTensor) {
      const meta = arg.meta;
      if (meta === undefined) unknown = true;
      return meta === undefined ? undefined : new ShapeOnly(meta.shape, meta.dtype);
    }
    return Array.isArray(arg) ? arg.map(view) : arg;
  };
  const views = args.map(view);
  return unknown ? undefined : inferOpOutputs(name, spec, views, SHAPE_ONLY_ENV);
}

function encodeArg(arg: unknown, op: OpName, position: number): WireArg {
  if (arg instanceof PointerTensor) return wireRef(arg);
  if (Array.isArray(arg) && arg.some((a) => a instanceof PointerTensor)) {
    return { list: arg.map((a) => encodeArg(a, op, position)) };
  }
  assertPlainData(arg, op, position);
  return { value: arg };
}

/** Attributes travel as plain data (structured clone or bytes); refuse what cannot, before it is queued. */
function assertPlainData(value: unknown, op: OpName, position: number): void {
  const t = typeof value;
  if (value === null || t === 'undefined' || t === 'number' || t === 'string' || t === 'boolean') return;
  if (Array.isArray(value)) {
    for (const v of value) assertPlainData(v, op, position);
    return;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return;
  throw new InvalidArgumentError(
    `${signatureOf(op)}: argument ${position + 1} is ${t === 'object' ? 'an object' : `a ${t}`}; ` +
      `op attributes must be numbers, strings, booleans or arrays of them.`,
  );
}

/** An op on MultiPointerTensors runs on every branch, each at its own worker. */
function callOnBranches(name: OpName, spec: OpSpec, args: readonly unknown[]): MultiPointerTensor {
  const multi = args.flat().find((a): a is MultiPointerTensor => a instanceof MultiPointerTensor)!;
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
  // Every branch is checked before any is queued: a call refused at one worker leaves no half-made result at the others.
  const calls = multi.workers.map((w) => prepareRemote(name, spec, args.map((a) => branchArg(a, w))));
  return new MultiPointerTensor(calls.map((queue) => queue() as PointerTensor));
}

registerPlacement({ rank: 30, claims: (arg) => arg instanceof MultiPointerTensor, call: callOnBranches });
registerPlacement({ rank: 20, claims: (arg) => arg instanceof PointerTensor, call: callRemote });
installOpMethods(PointerTensor.prototype);
installOpMethods(MultiPointerTensor.prototype);
