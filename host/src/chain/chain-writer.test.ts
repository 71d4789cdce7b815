import { expect } from 'chai';
import { keccak256, toHex, hexToBytes, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createDevCa } from '@audata/verifier/dev';
import { BindingPurpose, encodeAttestationBinding, type ContributionProof } from '@audata/wire';
import { enclaveRegistryAbi as fullEnclaveRegistryAbi } from '../../../contracts/src/generated/abi.ts';
import { startAudata, testKey, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { createSimulatedNsm } from '../../../enclave/src/nsm/simulated-nsm.ts';
import { sameResult, ViemChainWriter, type ChainWriterParams } from './chain-writer.ts';
import { contributionRegistryAbi } from './abi.ts';

const code = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));

describe('ViemChainWriter (real anvil)', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  const ca = createDevCa({ now: new Date() });
  const pcrBytes = (hex: Hex) => hexToBytes(hex);

  before(async () => {
    f = await startAudata();
  });
  after(async () => f?.stop());

  const params = (overrides: Partial<ChainWriterParams> = {}): ChainWriterParams => ({
    rpcUrl: f.anvil.rpcUrl,
    operatorKey: keccak256(toHex('unused')),
    enclaveRegistry: f.addresses.enclaveRegistry,
    contributionRegistry: f.addresses.contributionRegistry,
    accessPolicyRegistry: f.addresses.accessPolicyRegistry,
    measurementId: f.measurementId,
    attestationRoot: ca.rootDer,
    attempts: 2,
    backoffMs: 1,
    pollingIntervalMs: 20,
    ...overrides,
  });
  // The fixture's operator is an HD account; the writer takes a raw key, so grant the role to one.
  const operatorKey = generatePrivateKey();
  before(async () => {
    const operator = privateKeyToAccount(operatorKey);
    const wallet = await f.timelock();
    await f.send(wallet, { address: f.addresses.enclaveRegistry, abi: fullEnclaveRegistryAbi, functionName: 'grantRole', args: [keccak256(toHex('OPERATOR_ROLE')), operator.address] });
    await f.anvil.testClient.setBalance({ address: operator.address, value: 10n ** 20n });
  });

  async function attestation(signer: Hex, pcrs = f.measurement) {
    const nsm = createSimulatedNsm({ ca, pcrs: { 0: pcrBytes(pcrs.pcr0), 1: pcrBytes(pcrs.pcr1!), 2: pcrBytes(pcrs.pcr2!) }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
    const datasetKey = toHex(new Uint8Array(32).fill(7));
    const userData = encodeAttestationBinding({ purpose: BindingPurpose.client, datasetKey, signer, pipelineVersion: keccak256(toHex('p')) });
    return { document: await nsm.attest({ publicKey: hexToBytes(datasetKey), userData, nonce: new Uint8Array(32) }) };
  }

  it('registers the signer of an approved build once, and returns the same transaction when asked again', async () => {
    const writer = await ViemChainWriter.connect(params({ operatorKey }));
    const enclave = privateKeyToAccount(generatePrivateKey());
    const doc = await attestation(enclave.address);
    const first = await writer.registerEnclaveSigner(doc);
    const again = await writer.registerEnclaveSigner(doc);
    expect(again.txHash).to.equal(first.txHash);
    expect(await writer.publicClient.readContract({ address: f.addresses.enclaveRegistry, abi: fullEnclaveRegistryAbi, functionName: 'isActiveSigner', args: [enclave.address] })).to.equal(true);
  });

  it('refuses a measurement that is not approved, a document of another build, and a signer bound to another measurement', async () => {
    const unapproved = await ViemChainWriter.connect(params({ operatorKey, measurementId: keccak256(toHex('never approved')) }));
    expect(await code(unapproved.registerEnclaveSigner(await attestation(privateKeyToAccount(generatePrivateKey()).address)))).to.equal('HOST_MEASUREMENT_NOT_APPROVED');

    const writer = await ViemChainWriter.connect(params({ operatorKey }));
    const other = { pcr0: toHex(new Uint8Array(48).fill(0xb0)), pcr1: f.measurement.pcr1!, pcr2: f.measurement.pcr2! };
    expect(await code(writer.registerEnclaveSigner(await attestation(privateKeyToAccount(generatePrivateKey()).address, other)))).to.equal('HOST_MEASUREMENT_MISMATCH');

    // The fixture's enclave key is registered under the genesis measurement; a second approved one cannot take it.
    const timelock = await f.timelock();
    await f.send(timelock, { address: f.addresses.enclaveRegistry, abi: fullEnclaveRegistryAbi, functionName: 'approveMeasurement', args: [other.pcr0, other.pcr1, other.pcr2, '0x'] });
    const otherId = await writer.publicClient.readContract({ address: f.addresses.enclaveRegistry, abi: fullEnclaveRegistryAbi, functionName: 'measurementId', args: [other.pcr0, other.pcr1, other.pcr2, '0x'] });
    const second = await ViemChainWriter.connect(params({ operatorKey, measurementId: otherId }));
    expect(await code(second.registerEnclaveSigner(await attestation(f.enclave.address, other)))).to.equal('HOST_SIGNER_CONFLICT');
  });

  it('submits a proof once: a second submission of the same proof is success and mints nothing more', async () => {
    const writer = await ViemChainWriter.connect(params({ operatorKey }));
    const proof: ContributionProof = await f.proof({ fileId: keccak256(toHex('chain writer file')) });
    const signature = await f.signProof(proof);
    expect(await writer.findProof(proof.fileId)).to.equal(undefined);
    const first = await writer.submitProof({ proof, signature });
    const second = await writer.submitProof({ proof, signature });
    expect(second.txHash).to.equal(first.txHash);
    expect(await writer.findProof(proof.fileId)).to.deep.equal({ txHash: first.txHash });
    const events = await writer.publicClient.getContractEvents({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, eventName: 'ProofRecorded', args: { fileId: proof.fileId }, fromBlock: 0n });
    expect(events).to.have.length(1);

    const conflicting = { ...proof, score: proof.score - 1 };
    expect(await code(writer.submitProof({ proof: conflicting, signature: await f.signProof(conflicting) }))).to.equal('HOST_CHAIN_REJECTED');
    const forged = { ...proof, fileId: keccak256(toHex('forged')) };
    expect(await code(writer.submitProof({ proof: forged, signature: await f.signProof(forged, { signer: testKey('not an enclave') }) }))).to.equal('HOST_CHAIN_REJECTED');
  });

  it('takes the same result re-signed (another deadline, another signature) as recorded, and still refuses another result', async () => {
    const writer = await ViemChainWriter.connect(params({ operatorKey }));
    const proof: ContributionProof = await f.proof({ fileId: keccak256(toHex('re-signed file')) });
    const first = await writer.submitProof({ proof, signature: await f.signProof(proof) });
    // What the enclave answers contribution.reissue with after the host lost the first reply.
    const reissued = { ...proof, deadline: proof.deadline + 60n };
    const again = await writer.submitProof({ proof: reissued, signature: await f.signProof(reissued) });
    expect(again.txHash).to.equal(first.txHash);
    const events = await writer.publicClient.getContractEvents({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, eventName: 'ProofRecorded', args: { fileId: proof.fileId }, fromBlock: 0n });
    expect(events).to.have.length(1);
    const other = { ...reissued, uniqueness: 0 };
    expect(await code(writer.submitProof({ proof: other, signature: await f.signProof(other) }))).to.equal('HOST_CHAIN_REJECTED');
    expect(sameResult(proof, reissued)).to.equal(true);
    expect(sameResult(proof, { ...reissued, contributor: reissued.contributor.toLowerCase() as Hex })).to.equal(true);
    expect(sameResult(proof, other)).to.equal(false);
    expect(sameResult(proof, { ...reissued, detailsHash: keccak256(toHex('other details')) })).to.equal(false);
  });

  it('reads policies, and reports an unreachable node after its retries', async () => {
    const writer = await ViemChainWriter.connect(params({ operatorKey }));
    const terms = await f.policyTerms();
    const id = await f.createPolicy(terms);
    const policy = await writer.readPolicy(id);
    expect(policy.terms.buyer).to.equal(terms.buyer);
    expect(policy.terms.languages).to.deep.equal(terms.languages);
    expect(policy.active).to.equal(true);
    expect(await code(writer.readPolicy(999n))).to.equal('HOST_CHAIN_REJECTED');

    const sleeps: number[] = [];
    const dead = ViemChainWriter.connect(params({ operatorKey, rpcUrl: 'http://127.0.0.1:9', attempts: 3, backoffMs: 5, sleep: async (ms) => void sleeps.push(ms) }));
    expect(await code(dead)).to.equal('HOST_CHAIN_UNAVAILABLE');
    expect(sleeps).to.deep.equal([5, 10]);
  });
});
