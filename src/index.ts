/**
 * syft-ts public API. `import * as sy from 'syft-ts'`; see README and GUIDE for
 * the PySyft 0.2 correspondence.
 */
import { functionalOps, type AnyTensor, type FunctionalOp, type FunctionalOperands } from './pointers/functional.js';
export type { AnyTensor, FunctionalOp, FunctionalOperands };
export type { Operand } from './tensor/op-methods.generated.js';
export type { OpMethods } from './tensor/op-methods-type.js';
// Loaded for its effect: send, share and fixPrecision on syft tensors, pointers and fixed-precision tensors.
import './client/verbs.js';

export { hook, Hook, type HookOptions, type TfNamespace, type VirtualWorkersOptions } from './client/hook.js';
export { VirtualWorker } from './client/virtual-worker.js';
export { spawnWorker, type SpawnWorkerOptions, type WorkerProcess } from './client/worker-process.js';
export type { ConnectOptions, NatsNetwork, NatsOptions } from './client/remote-options.js';
export type { ReconnectOptions } from './client/remote-transport.js';
// PySyft's spellings answer with the syft-ts form: x.fix_precision() throws PYSYFT_NAME naming x.fixPrecision().
export { TorchHook, combine_pointers } from './client/pysyft-spellings.js';
export { LocalWorker } from './client/local-worker.js';
export type { LifecycleEvent, LifecycleEventType } from './client/event-bus.js';
export type { BackendName } from './core/backend.js';
export { PointerTensor, type DataOf, type LocalTensor, type PointerLocation } from './pointers/pointer-tensor.js';
export { combinePointers, MultiPointerTensor, type MultiGetOptions } from './pointers/multi-pointer-tensor.js';
export { tidy } from './tensor/tidy.js';
export type { SendOptions, SendTarget } from './pointers/send.js';
export { noGrad } from './autograd/no-grad.js';
export { SyftTensor, tensor, type TensorOptions } from './tensor/syft-tensor.js';
export { op } from './tensor/op-dispatch.js';
export { opNames, OPS, type OpName, type OpSpec } from './core/op-registry.js';
export type { ObjectSummary, TensorSummary, PointerSummary, RingSummary, StatsReply, PrivacyPolicySpec, PrivacyReport } from './core/protocol.js';
export * from './core/errors.js';
export * as testing from './testing/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { BaseDataset, type Sample, type BaseDatasetOptions, type DatasetTensor } from './federated/base-dataset.js';
export { FederatedDataset, type WorkerDataset } from './federated/federated-dataset.js';
export { federate, type FederateOptions } from './federated/federate.js';
export { FederatedDataLoader, type FederatedBatch, type FederatedStep, type FederatedDataLoaderOptions } from './federated/data-loader.js';
export * as federated from './federated/index.js';
export * as reporting from './reporting/index.js';
export * as datasets from './datasets/index.js';
export * as smpc from './smpc/index.js';
export * as dp from './dp/index.js';
export { AdditiveSharingTensor, type ShareOptions } from './smpc/additive-sharing-tensor.js';
export { FixedPrecisionTensor, fixPrecision } from './smpc/fixed-precision-tensor.js';
export type { PointerShareOptions } from './client/verbs.js';
export type { Location } from './core/handles.js';

/**
 * Functional forms of every registered op: `sy.add(x, y)`. ES modules need
 * static export names, so they are listed here; a test checks this list against
 * the registry.
 */
export const {
  abs, acos, acosh, asin, asinh, atan, atanh, ceil, clone, cos, cosh, elu, erf, exp, expm1, floor, log, log1p,
  logSigmoid, neg, reciprocal, relu, relu6, round, rsqrt, selu, sigmoid, sign, sin, sinh, softplus, sqrt, square,
  tan, tanh, step, leakyRelu, clipByValue, cast, softmax, logSoftmax, onesLike, zerosLike, isFinite, isInf, isNaN,
  logicalNot, add, sub, mul, div, divNoNan, floorDiv, mod, pow, maximum, minimum, squaredDifference, atan2, prelu,
  equal, notEqual, less, lessEqual, greater, greaterEqual, logicalAnd, logicalOr, logicalXor, where, matMul, dot,
  outerProduct, sum, mean, max, min, prod, logSumExp, all, any, argMax, argMin, norm, cumsum, cumprod, moments, topk,
  reshape, transpose, expandDims, squeeze, slice, stridedSlice, tile, pad, mirrorPad, reverse, broadcastTo, gather,
  gatherND, unsortedSegmentSum, oneHot, depthToSpace, concat, stack, addN, unstack, split, conv1d, conv2d, depthwiseConv2d,
  maxPool, avgPool, batchNorm, localResponseNormalization, dropout,
} = functionalOps;
