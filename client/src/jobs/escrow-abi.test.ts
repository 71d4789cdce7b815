import { expect } from 'chai';
import { toEventSignature, toFunctionSignature, type Abi, type AbiEvent, type AbiFunction } from 'viem';
import * as generated from '../../../contracts/src/generated/abi.ts';
import { accessPolicyRegistryAbi, jobEscrowAbi } from './escrow-abi.ts';

const signatures = (abi: Abi) =>
  new Set(abi.flatMap((item) => (item.type === 'function' ? [toFunctionSignature(item as AbiFunction)] : item.type === 'event' ? [toEventSignature(item as AbiEvent)] : [])));

describe('client JobEscrow ABI slice', () => {
  it('matches the generated ABI', () => {
    const known = signatures(generated.jobEscrowAbi as Abi);
    for (const signature of signatures(jobEscrowAbi as Abi)) expect(known.has(signature), signature).to.equal(true);
    const policies = signatures(generated.accessPolicyRegistryAbi as Abi);
    for (const signature of signatures(accessPolicyRegistryAbi as Abi)) expect(policies.has(signature), signature).to.equal(true);
  });
});
