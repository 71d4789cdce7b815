import { expect } from 'chai';
import { toFunctionSignature, toEventSignature, type Abi, type AbiFunction, type AbiEvent } from 'viem';
import * as generated from '../../../contracts/src/generated/abi.ts';
import { accessPolicyRegistryAbi, auditAnchorAbi, contributionRegistryAbi, enclaveRegistryAbi } from './abi.ts';

function signatures(abi: Abi): Set<string> {
  return new Set(
    abi.flatMap((item) => (item.type === 'function' ? [toFunctionSignature(item as AbiFunction)] : item.type === 'event' ? [toEventSignature(item as AbiEvent)] : [])),
  );
}

describe('host chain ABI slices', () => {
  for (const [name, slice, full] of [
    ['EnclaveRegistry', enclaveRegistryAbi, generated.enclaveRegistryAbi],
    ['ContributionRegistry', contributionRegistryAbi, generated.contributionRegistryAbi],
    ['AccessPolicyRegistry', accessPolicyRegistryAbi, generated.accessPolicyRegistryAbi],
    ['AuditAnchor', auditAnchorAbi, generated.auditAnchorAbi],
  ] as const) {
    it(`matches the generated ${name} ABI`, () => {
      const known = signatures(full as Abi);
      for (const signature of signatures(slice as Abi)) expect(known.has(signature), signature).to.equal(true);
    });
  }
});
