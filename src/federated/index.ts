/** `sy.federated`: federated averaging and its parts. */
export { fedAvg, type FedAvgOptions, type FedAvgResult } from './fed-avg.js';
export { type UserLevelDp, type UserLevelPrivacy } from './dp-fed-avg.js';
export { averageAtAggregator, averageLocally, type WeightedModel } from './weighted-average.js';
export { partitionIndices, type Partition, type PartitionOptions } from './partition.js';
export { SeededRandom } from '../core/seeded-random.js';
export { secureAggregate, averageSecurely, type SecureAggregateOptions } from './secure-aggregate.js';
export { BaseDataset, type BaseDatasetOptions, type BaseDatasetConstructor, type DatasetInput, type DatasetTensor, type Sample } from './base-dataset.js';
export { FederatedDataset, type WorkerDataset } from './federated-dataset.js';
export { FederatedDataLoader, type FederatedBatch, type FederatedStep, type FederatedDataLoaderOptions } from './data-loader.js';
