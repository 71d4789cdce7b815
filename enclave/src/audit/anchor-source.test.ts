import { expect } from 'chai';
import { toFunctionSignature, type AbiFunction } from 'viem';
import { auditAnchorAbi } from '../../../contracts/src/generated/abi.ts';
import { anchorSourceFromEnv, auditAnchorReadAbi, ChainStateAnchorSource } from './anchor-source.ts';

describe('enclave state anchor source', () => {
  it('reads the function AuditAnchor declares', () => {
    const full = new Set(auditAnchorAbi.filter((i) => i.type === 'function').map((i) => toFunctionSignature(i as AbiFunction)));
    for (const item of auditAnchorReadAbi.filter((i) => i.type === 'function')) expect(full.has(toFunctionSignature(item as AbiFunction))).to.equal(true);
  });

  it('is configured by AUDATA_AUDIT_ANCHOR over AUDATA_RPC_URL, absent without it, refused when malformed', () => {
    expect(anchorSourceFromEnv({ AUDATA_RPC_URL: 'http://127.0.0.1:8545' })).to.equal(undefined);
    const contract = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
    expect(anchorSourceFromEnv({ AUDATA_AUDIT_ANCHOR: contract, AUDATA_RPC_URL: 'http://127.0.0.1:8545' })).to.be.instanceOf(ChainStateAnchorSource);
    expect(() => anchorSourceFromEnv({ AUDATA_AUDIT_ANCHOR: '0x1234', AUDATA_RPC_URL: 'http://127.0.0.1:8545' })).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
    expect(() => anchorSourceFromEnv({ AUDATA_AUDIT_ANCHOR: contract })).to.throw().with.property('code', 'ENCLAVE_CONFIG_INVALID');
  });
});
