// The pipelineVersion this runtime attests and puts in its proofs: keccak256 of a description
// of what scores contributions. Until the scoring pipeline is wired into the runtime it names
// only the runtime, so no proof can claim a pipeline that did not run.
import { keccak256, toHex } from 'viem';

export const RUNTIME_PIPELINE_IDENTITY = 'audata-enclave-runtime/1 scoring:none';
export const RUNTIME_PIPELINE_VERSION = keccak256(toHex(RUNTIME_PIPELINE_IDENTITY));
