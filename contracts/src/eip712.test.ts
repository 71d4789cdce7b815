// Pins Solidity's EIP-712 encoding to wire's definitions (the source every side imports):
// type hashes, struct hashes and full digests must be equal, so a field cannot drift.
import { expect } from 'chai';
import { hashStruct, hashTypedData, keccak256, toHex, type Hex } from 'viem';
import {
  anchorDomain,
  escrowDomain,
  manifestDomain,
  manifestTypes,
  proofTypes,
  receiptTypes,
  registryDomain,
  stateAnchorTypes,
  type ContributionManifest,
  type ContributionProof,
  type JobReceipt,
  type StateAnchorMessage,
} from '@audata/wire';
import { auditAnchorAbi, contributionRegistryAbi, jobEscrowAbi } from './generated/abi.ts';
import { bytes32, startAudata, type AudataFixture } from './testing/fixture.ts';

/** EIP-712 encodeType for a struct without nested structs. */
const encodeType = (name: string, fields: readonly { name: string; type: string }[]): string =>
  `${name}(${fields.map((field) => `${field.type} ${field.name}`).join(',')})`;

describe('EIP-712 parity with wire', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  before(async () => {
    f = await startAudata();
  });
  after(async () => {
    await f.stop();
  });

  const proof: ContributionProof = {
    fileId: bytes32('file'),
    contributor: '0x00000000000000000000000000000000000000aa',
    manifestHash: bytes32('manifest'),
    valid: true,
    score: 10_000,
    authenticity: 1,
    ownership: 65_535,
    quality: 0,
    uniqueness: 4_321,
    pipelineVersion: bytes32('pipeline'),
    detailsHash: bytes32('details'),
    deadline: 2n ** 64n - 1n,
  };
  const receipt: JobReceipt = {
    jobId: bytes32('job'),
    policyId: 2n ** 255n + 7n,
    buyer: '0x00000000000000000000000000000000000000bb',
    modelHash: bytes32('model'),
    sharesRoot: bytes32('root'),
    filesUsed: 4_294_967_295,
    epsilonSpent: 1_500_000n,
    resultHash: bytes32('result'),
    deadline: 1_700_000_000n,
  };
  const manifest: ContributionManifest = {
    ciphertextSha256: bytes32('ciphertext'),
    sealedKeySha256: bytes32('sealed key'),
    datasetKey: bytes32('dataset key'),
    termsHash: bytes32('terms'),
    language: 'pt-BR',
    createdAt: 1_700_000_000n,
    nonce: bytes32('nonce'),
  };

  it('type hashes equal keccak256 of the types wire defines', async () => {
    const read = f.anvil.publicClient.readContract;
    const typeHash = (name: string, fields: readonly { name: string; type: string }[]): Hex => keccak256(toHex(encodeType(name, fields)));
    expect(await read({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'PROOF_TYPEHASH' })).to.equal(
      typeHash('ContributionProof', proofTypes.ContributionProof),
    );
    expect(await read({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'MANIFEST_TYPEHASH' })).to.equal(
      typeHash('ContributionManifest', manifestTypes.ContributionManifest),
    );
    expect(await read({ address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'RECEIPT_TYPEHASH' })).to.equal(
      typeHash('JobReceipt', receiptTypes.JobReceipt),
    );
  });

  it('struct hashes and digests of a proof equal viem hashStruct / hashTypedData', async () => {
    const read = f.anvil.publicClient.readContract;
    const address = f.addresses.contributionRegistry;
    expect(await read({ address, abi: contributionRegistryAbi, functionName: 'proofHash', args: [proof] })).to.equal(
      hashStruct({ types: proofTypes, primaryType: 'ContributionProof', data: proof }),
    );
    expect(await read({ address, abi: contributionRegistryAbi, functionName: 'proofDigest', args: [proof] })).to.equal(
      hashTypedData({ domain: registryDomain(f.anvil.chain.id, address), types: proofTypes, primaryType: 'ContributionProof', message: proof }),
    );
  });

  it('a receipt digest equals viem hashTypedData under the escrow domain', async () => {
    const read = f.anvil.publicClient.readContract;
    const address = f.addresses.jobEscrow;
    expect(await read({ address, abi: jobEscrowAbi, functionName: 'receiptHash', args: [receipt] })).to.equal(
      hashStruct({ types: receiptTypes, primaryType: 'JobReceipt', data: receipt }),
    );
    expect(await read({ address, abi: jobEscrowAbi, functionName: 'receiptDigest', args: [receipt] })).to.equal(
      hashTypedData({ domain: escrowDomain(f.anvil.chain.id, address), types: receiptTypes, primaryType: 'JobReceipt', message: receipt }),
    );
  });

  it('a manifest digest equals viem hashTypedData under the contribution domain', async () => {
    const address = f.addresses.contributionRegistry;
    const digest = await f.anvil.publicClient.readContract({ address, abi: contributionRegistryAbi, functionName: 'manifestDigest', args: [manifest] });
    expect(digest).to.equal(
      hashTypedData({ domain: manifestDomain(f.anvil.chain.id, address), types: manifestTypes, primaryType: 'ContributionManifest', message: manifest }),
    );
  });

  it('a state anchor type hash, struct hash and digest equal wire\'s under the anchor domain', async () => {
    const address = f.addresses.auditAnchor;
    const read = f.anvil.publicClient.readContract;
    const anchor: StateAnchorMessage = {
      datasetKey: bytes32('dataset key'),
      stateCounter: 2n ** 64n - 1n,
      stateSha256: bytes32('state'),
      auditEntries: 77n,
      auditHead: bytes32('head'),
    };
    expect(await read({ address, abi: auditAnchorAbi, functionName: 'STATE_ANCHOR_TYPEHASH' })).to.equal(
      keccak256(toHex(encodeType('StateAnchor', stateAnchorTypes.StateAnchor))),
    );
    expect(await read({ address, abi: auditAnchorAbi, functionName: 'anchorHash', args: [anchor] })).to.equal(
      hashStruct({ types: stateAnchorTypes, primaryType: 'StateAnchor', data: anchor }),
    );
    expect(await read({ address, abi: auditAnchorAbi, functionName: 'anchorDigest', args: [anchor] })).to.equal(
      hashTypedData({ domain: anchorDomain(f.anvil.chain.id, address), types: stateAnchorTypes, primaryType: 'StateAnchor', message: anchor }),
    );
  });
});
