import { expect } from 'chai';
import { toEventSignature, toFunctionSignature, type AbiEvent, type AbiFunction, type Hex } from 'viem';
import { auditAnchorAbi, enclaveRegistryAbi } from '../../../contracts/src/generated/abi.ts';
import { auditAnchorsOf, enclaveSignerReadAbi, stateAnchoredEventAbi, type ChainStateAnchor } from './chain-anchors.ts';

const b32 = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

describe('verifier/audit chain anchors', () => {
  it('reads the event and function the contracts declare', () => {
    const events = new Set(auditAnchorAbi.filter((i) => i.type === 'event').map((i) => toEventSignature(i as AbiEvent)));
    expect(events.has(toEventSignature(stateAnchoredEventAbi[0] as AbiEvent))).to.equal(true);
    const functions = new Set(enclaveRegistryAbi.filter((i) => i.type === 'function').map((i) => toFunctionSignature(i as AbiFunction)));
    expect(functions.has(toFunctionSignature(enclaveSignerReadAbi.find((i) => i.type === 'function') as AbiFunction))).to.equal(true);
  });

  it('turns an anchor over N entries into a check of entry N - 1, and leaves an empty log\'s anchor out', () => {
    const base = { datasetKey: b32(1), signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', stateSha256: b32(2), blockNumber: 1n, transactionHash: b32(3) } as const;
    const anchors: ChainStateAnchor[] = [
      { ...base, stateCounter: 1n, auditEntries: 0n, auditHead: b32(0) },
      { ...base, stateCounter: 2n, auditEntries: 5n, auditHead: b32(9) },
    ];
    expect(auditAnchorsOf(anchors)).to.deep.equal([{ seq: 4, head: b32(9), signer: base.signer }]);
  });
});
