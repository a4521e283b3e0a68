/**
 * sy.federate(dataset, workers): split a local dataset among workers and send
 * each its share, so that training can only reach it through pointers.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { Location } from '../core/handles.js';
import type { PointerTensor } from '../pointers/pointer-tensor.js';
import { SyftTensor } from '../tensor/syft-tensor.js';
import { BaseDataset, rowsOf } from './base-dataset.js';
import { FederatedDataset } from './federated-dataset.js';
import { partitionIndices, type PartitionOptions } from './partition.js';

export type FederateOptions = PartitionOptions;

export function federate(dataset: BaseDataset, workers: readonly Location[], options: FederateOptions = {}): FederatedDataset {
  if (workers.length === 0) throw new InvalidArgumentError('federate(dataset, workers): give at least one worker.');
  if (dataset.isRemote) {
    throw new InvalidArgumentError(`federate(dataset, workers): the dataset is already at '${dataset.location.id}'; federate a local dataset.`);
  }
  const parts = partitionIndices(dataset.length, workers.length, options, () => dataset.labels());
  return new FederatedDataset(
    workers.map((worker, k) => {
      const indices = parts[k]!;
      // Built from the typed arrays, then handed over: the local copies are released once sent.
      const data = new SyftTensor(rowsOf(dataset.data, indices));
      const targets = new SyftTensor(rowsOf(dataset.targets, indices));
      const sent = new BaseDataset<PointerTensor<SyftTensor>>(data.send(worker), targets.send(worker), { indices });
      data.dispose();
      targets.dispose();
      return sent;
    }),
  );
}
