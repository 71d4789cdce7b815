import { expect } from 'chai';
import { toFunctionSignature, type Abi, type AbiFunction } from 'viem';
import * as generated from '../../../contracts/src/generated/abi.ts';
import { accessPolicyRegistryAbi, contributionRegistryAbi, jobEscrowAbi } from './chain-abi.ts';

const signatures = (abi: Abi) => new Set(abi.flatMap((item) => (item.type === 'function' ? [toFunctionSignature(item as AbiFunction)] : [])));

describe('enclave job ABI slices', () => {
  for (const [name, slice, full] of [
    ['AccessPolicyRegistry', accessPolicyRegistryAbi, generated.accessPolicyRegistryAbi],
    ['JobEscrow', jobEscrowAbi, generated.jobEscrowAbi],
    ['ContributionRegistry', contributionRegistryAbi, generated.contributionRegistryAbi],
  ] as const) {
    it(`match the generated ${name} ABI`, () => {
      const known = signatures(full as Abi);
      for (const signature of signatures(slice as Abi)) expect(known.has(signature), signature).to.equal(true);
    });
  }
});
