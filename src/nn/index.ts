/** `sy.nn`: layers and losses, local or at a worker. */
export { Module, type Activation, type ModuleSpec, type Parameter } from './module.js';
export type { OptimizerSpec, TrainPlan } from '../core/specs.js';
export { Linear, linear } from './linear.js';
export { Sequential, sequential } from './sequential.js';
export { Dropout, dropout, flatten, logSoftmax, OpLayer, relu, sigmoid, softmax, tanh } from './activations.js';
export { Conv2d, conv2d, MaxPool2d, maxPool2d, type Conv2dOptions } from './conv.js';
export { bceLoss, crossEntropy, LOSSES, mseLoss, nllLoss, type ClassTargets, type LossName } from './losses.js';
