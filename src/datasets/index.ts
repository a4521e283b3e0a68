/** `sy.datasets`: the seeds' datasets, from local files or their public sources. */
export { creditApproval, parseCreditApproval, CREDIT_APPROVAL_LOCAL, CREDIT_APPROVAL_URL, type CreditApproval, type CreditApprovalOptions, type ParsedCreditApproval } from './credit-approval.js';
export { mnist, type Mnist, type MnistOptions, type MnistSplit } from './mnist.js';
export { parseIdx, type IdxArray } from './idx.js';
export { DatasetUnavailableError } from '../core/errors.js';
