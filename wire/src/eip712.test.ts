import { expect } from 'chai';
import { hashTypedData, keccak256, toHex, zeroAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { recoverTypedDataAddress } from 'viem';
import { manifestDomain, manifestTypes, proofTypes, registryDomain, type ContributionManifest } from './eip712.ts';

const bytes32 = (n: number): Hex => toHex(n, { size: 32 });

describe('eip712 formats', () => {
  const manifest: ContributionManifest = {
    ciphertextSha256: bytes32(1),
    sealedKeySha256: bytes32(2),
    datasetKey: bytes32(3),
    termsHash: keccak256(toHex('CC-BY-4.0')),
    language: 'en',
    createdAt: 1_700_000_000n,
    nonce: bytes32(4),
  };

  it('a manifest signature recovers its signer', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const domain = manifestDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
    const signature = await account.signTypedData({ domain, types: manifestTypes, primaryType: 'ContributionManifest', message: manifest });
    const signer = await recoverTypedDataAddress({ domain, types: manifestTypes, primaryType: 'ContributionManifest', message: manifest, signature });
    expect(signer).to.equal(account.address);
  });

  it('binds signatures to the chain and the contract', () => {
    const hash = (chainId: number, contract: Hex) =>
      hashTypedData({ domain: registryDomain(chainId, contract), types: proofTypes, primaryType: 'ContributionProof', message: {
        fileId: bytes32(1), contributor: zeroAddress, manifestHash: bytes32(2), valid: true, score: 1, authenticity: 1,
        ownership: 1, quality: 1, uniqueness: 1, pipelineVersion: bytes32(3), detailsHash: bytes32(4), deadline: 1n,
      } });
    const base = hash(1, '0x0000000000000000000000000000000000000001');
    expect(hash(2, '0x0000000000000000000000000000000000000001')).to.not.equal(base);
    expect(hash(1, '0x0000000000000000000000000000000000000002')).to.not.equal(base);
  });
});
