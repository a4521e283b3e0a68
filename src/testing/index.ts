/**
 * `sy.testing`: tools to check that protocols built on syft-ts keep values and
 * leave nothing behind: fast-check arbitraries, leak checks, and a model-based
 * runner for random pointer programs that you can extend with your own commands.
 */
export { crash, dropConnection, slow } from './faults.js';
export { assertNoLeaks, collectGarbage, EventLedger, findLeaks, LeakError, type Leak, type LeakCheckOptions } from './leaks.js';
export {
  makeTensor,
  sameValues,
  shapeArb,
  tensorSpecArb,
  topologyArb,
  vectorArb,
  type TensorSpec,
  type Topology,
  type WireDtype,
} from './arbitraries.js';
export {
  checkStores,
  f32,
  mismatch,
  ModelMismatchError,
  pick,
  remove,
  replace,
  type ModelEntry,
  type PointerCommand,
  type PointerModel,
  type PointerSystem,
} from './pointer-model.js';
export { pointerCommands, pointerProgram, runPointerProgram, type PointerProgramOptions } from './pointer-program.js';
export { BinaryOpCommand, type BinaryOpName } from './commands/binary-op.js';
export { CollectCommand } from './commands/collect.js';
export { DisposeCommand } from './commands/dispose.js';
export { GetCommand } from './commands/get.js';
export { MoveCommand } from './commands/move.js';
export { RemoteGetCommand } from './commands/remote-get.js';
export { SendChainCommand } from './commands/send-chain.js';
export { SendCommand } from './commands/send.js';
