import { expect } from 'chai';
import { toEventSignature, toFunctionSignature, type Abi, type AbiEvent, type AbiFunction } from 'viem';
import * as generated from '../../../contracts/src/generated/abi.ts';
import { contributionRegistryAbi, enclaveRegistryAbi } from './chain.ts';

const signatures = (abi: Abi) =>
  new Set(abi.flatMap((item) => (item.type === 'function' ? [toFunctionSignature(item as AbiFunction)] : item.type === 'event' ? [toEventSignature(item as AbiEvent)] : [])));

describe('client chain ABI slices', () => {
  it('match the generated ABIs', () => {
    for (const [slice, full] of [
      [enclaveRegistryAbi, generated.enclaveRegistryAbi],
      [contributionRegistryAbi, generated.contributionRegistryAbi],
    ] as const) {
      const known = signatures(full as Abi);
      for (const signature of signatures(slice as Abi)) expect(known.has(signature), signature).to.equal(true);
    }
  });
});
