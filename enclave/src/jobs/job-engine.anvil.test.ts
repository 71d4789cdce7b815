// End to end on a real chain: contributors' proofs give them votes, a policy passes by vote
// through governor and timelock, the buyer pays, the enclave runs a DP-SGD job step by step
// (held-out loss falls), refuses the step past the budget, signs a receipt JobEscrow
// settles, and the two contributors whose files were used claim exactly their shares.
import { expect } from 'chai';
import sodium from 'libsodium-wrappers';
import { encodeFunctionData, keccak256, sha256, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { SharesMerkleTree, type ContributionProof } from '@audata/wire';
import { auditDomain, verifyAuditLog } from '@audata/verifier/audit';
import { accessPolicyRegistryAbi, audataGovernorAbi, audataTokenAbi, contributionRegistryAbi, enclaveRegistryAbi, jobEscrowAbi } from '../../../contracts/src/generated/abi.ts';
import { bytes32, startAudata, testGovernance, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { AuditLog } from '../audit/log.ts';
import { FeatureStore, MemoryFeatureBackend } from '../feature-store/feature-store.ts';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import { epsilonFor } from '../privacy/rdp.ts';
import { createEnclaveSigner } from '../signing/enclave-signer.ts';
import { createBuyerSigner } from '../../../client/src/jobs/sign.ts';
import { JobEngine } from './job-engine.ts';
import { ChainPolicySource } from './policy-source.ts';
import { chacha20Random, RandomStream } from './random.ts';
import type { CatalogueFile } from './selection.ts';
import { buildSoftmaxGradientModel, parameterCount } from './softmax-classifier.ts';

const MELS = 80;
const FRAMES = 16;
const CLASSES = ['en', 'pt-BR'];
const profile = (language: string, m: number): number => (language === 'en' ? Math.sin(m / 5) : Math.cos(m / 7));

/** Synthetic log-mel: a per-language band profile plus per-frame Gaussian noise. */
function syntheticMel(language: string, random: RandomStream): Float32Array {
  const data = new Float32Array(FRAMES * MELS);
  for (let t = 0; t < FRAMES; t++) for (let m = 0; m < MELS; m++) data[t * MELS + m] = profile(language, m) + 2 * random.gaussian();
  return data;
}

function pooled(data: Float32Array): Float64Array {
  const x = new Float64Array(MELS);
  for (let t = 0; t < FRAMES; t++) for (let m = 0; m < MELS; m++) x[m]! += data[t * MELS + m]! / FRAMES;
  return x;
}

/** Mean cross-entropy of the softmax classifier with parameters theta (W [D, K] then b [K]). */
function loss(theta: Float64Array, examples: { x: Float64Array; k: number }[]): number {
  const K = CLASSES.length;
  let total = 0;
  for (const { x, k } of examples) {
    const z = new Float64Array(K);
    for (let c = 0; c < K; c++) {
      z[c] = theta[MELS * K + c]!;
      for (let m = 0; m < MELS; m++) z[c]! += x[m]! * theta[m * K + c]!;
    }
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    total += lse - z[k]!;
  }
  return total / examples.length;
}

async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'ACCEPTED';
}

describe('job engine on anvil: governed policy, paid DP-SGD job, settled receipt, claims', function () {
  this.timeout(300_000);
  let f: AudataFixture;
  after(async () => f?.stop());

  it('trains with falling held-out loss, refuses the step past the budget, settles, and pays exactly the shares', async () => {
    await sodium.ready;
    f = await startAudata();
    const { addresses, anvil } = f;
    const client = anvil.publicClient;
    const [alice, bob, carol, buyerAccount, , relayAccount] = f.users as [typeof f.users[0], typeof f.users[0], typeof f.users[0], typeof f.users[0], typeof f.users[0], typeof f.users[0]];
    const relay = f.wallet(relayAccount);
    const random = new RandomStream(chacha20Random(new Uint8Array(32).fill(42)));

    // The enclave: a fresh signing key registered by the operator, an audit log, a feature store.
    const signer = createEnclaveSigner((n) => sodium.randombytes_buf(n));
    await f.send(f.wallet(f.operator), { address: addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'registerSigner', args: [signer.address, f.measurementId, bytes32('attestation'), 'file:///attestation.cbor'] });
    const auditAccount = privateKeyToAccount(keccak256(toHex('audit key for this test')));
    const audit = new AuditLog({ signer: auditAccount, domain: auditDomain(anvil.chain.id), signEvery: 4 });
    const store = await FeatureStore.open({ datasetSecretKey: sodium.randombytes_buf(32), backend: new MemoryFeatureBackend() });

    // Contributors' files: proofs recorded on chain (which mint their votes), features cached encrypted.
    const termsHash = bytes32('CC-BY-4.0 consent');
    const catalogue: CatalogueFile[] = [];
    for (let i = 0; i < 60; i++) {
      const contributor = i === 59 ? carol : i % 3 === 0 ? bob : alice;
      const language = CLASSES[i % 2]!;
      const file: CatalogueFile = { fileId: bytes32(`file ${i}`), contributor: contributor.address, valid: true, score: 6_000 + (i % 7) * 500, language, termsHash, durationSec: 4 };
      catalogue.push(file);
      const proof: ContributionProof = await f.proof({ fileId: file.fileId, contributor: file.contributor, score: file.score, manifestHash: keccak256(file.fileId) });
      // A fixed gas limit: a mint's total-supply checkpoint costs a fresh slot when the block's
      // second differs from the estimate's, so an estimate can fall short by chance.
      const hash = await relay.writeContract({ address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'submitProof', args: [proof, await f.signProof(proof)], gas: 600_000n });
      expect((await client.waitForTransactionReceipt({ hash, pollingInterval: 10 })).status).to.equal('success');
      await store.put(file.fileId, { nMels: MELS, frames: FRAMES, data: syntheticMel(language, random) });
    }
    // Carol revokes her file before any job: it must never be used and she must get nothing.
    const carolFile = catalogue[59]!.fileId;
    await f.send(f.wallet(carol), { address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'revokeFile', args: [carolFile] });

    // The policy passes by vote: delegate, propose, vote, queue in the timelock, execute.
    const model = buildSoftmaxGradientModel({ features: MELS, classes: CLASSES.length });
    const P = parameterCount({ features: MELS, classes: CLASSES.length });
    const step = { sampleRate: 0.5, noiseMultiplier: 1.0, clipNorm: 1.0 };
    const STEPS = 8;
    const delta = 1e-5;
    const budget = epsilonFor({ ...step, steps: STEPS, delta }).epsilon;
    for (const account of [alice, bob]) await f.send(f.wallet(account), { address: addresses.token, abi: audataTokenAbi, functionName: 'delegate', args: [account.address] });
    await f.increaseTime(1);
    const PRICE = 10n ** 18n;
    const terms = await f.policyTerms({
      buyer: buyerAccount.address,
      jobKinds: 2,
      modelHashes: [sha256(model)],
      languages: CLASSES,
      termsHash,
      epsilon: BigInt(Math.ceil(budget * 1e6)),
      delta: 10n ** 13n,
      price: PRICE,
      expiry: (await f.now()) + 30n * 86_400n,
    });
    const governor = { address: addresses.governor, abi: audataGovernorAbi } as const;
    const proposal = [[addresses.accessPolicyRegistry], [0n], [encodeFunctionData({ abi: accessPolicyRegistryAbi, functionName: 'createPolicy', args: [terms] })]] as const;
    const description = 'Policy: DP-SGD language classifier for the buyer';
    await f.send(f.wallet(alice), { ...governor, functionName: 'propose', args: [...proposal, description] });
    const proposalId = await client.readContract({ ...governor, functionName: 'hashProposal', args: [...proposal, keccak256(toHex(description))] });
    await f.increaseTime(testGovernance.votingDelay + 1);
    for (const account of [alice, bob]) await f.send(f.wallet(account), { ...governor, functionName: 'castVote', args: [proposalId, 1] });
    await f.increaseTime(testGovernance.votingPeriod + 1);
    await f.send(relay, { ...governor, functionName: 'queue', args: [...proposal, keccak256(toHex(description))] });
    await f.increaseTime(Number(testGovernance.timelockDelay) + 1);
    await f.send(relay, { ...governor, functionName: 'execute', args: [...proposal, keccak256(toHex(description))] });
    const policyId = await client.readContract({ address: addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policyCount' });

    const source = new ChainPolicySource(client as never, addresses);
    const engine = new JobEngine({
      source,
      catalogue: () => catalogue,
      features: async (file) => (await store.get(file.fileId))!,
      ledgerStorage: new MemoryLedgerStorage(),
      signer,
      escrow: { chainId: anvil.chain.id, contract: addresses.jobEscrow },
      audit,
      random,
      now: () => f.now(),
    });
    const buyerKeys = sodium.crypto_box_keypair();
    const jobId = bytes32('training job 1');
    // The buyer signs each request with its wallet key, deadlines on the chain's clock (the engine's).
    const buyerSigner = createBuyerSigner({ account: buyerAccount, chainId: anvil.chain.id, jobEscrow: addresses.jobEscrow, now: () => f.now() });
    const request = { jobId, policyId, buyer: buyerAccount.address, kind: 'gradients' as const, model, buyerKey: buyerKeys.publicKey, params: { melBands: MELS, classes: CLASSES, parameters: P } };
    const submission = { ...request, ...(await buyerSigner.submission(request)) };
    const signedStep = async (index: number, parameters: Float32Array) => ({ ...step, parameters, index, ...(await buyerSigner.step(jobId, index, { ...step, parameters })) });

    // Signed by someone else (here a contributor naming the buyer): refused before anything else is read.
    const forged = { ...request, ...(await createBuyerSigner({ account: alice, chainId: anvil.chain.id, jobEscrow: addresses.jobEscrow, now: () => f.now() }).submission(request)) };
    expect(await refusal(() => engine.submit(forged))).to.equal('JOB_SIGNER_NOT_BUYER');
    // Unpaid: refused before anything runs.
    expect(await refusal(() => engine.submit(submission))).to.equal('JOB_UNPAID');
    await f.send(f.wallet(buyerAccount), { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'pay', args: [jobId, policyId], value: PRICE });
    const { files } = await engine.submit(submission);
    expect(files).to.equal(59);

    // The buyer's loop: send parameters, open the sealed noisy sum, update, repeat.
    const heldOut = Array.from({ length: 200 }, (_, i) => ({ x: pooled(syntheticMel(CLASSES[i % 2]!, random)), k: i % 2 }));
    let theta = new Float64Array(P);
    const losses = [loss(theta, heldOut)];
    const expectedBatch = step.sampleRate * files;
    for (let s = 0; s < STEPS; s++) {
      const { sealed } = await engine.gradientStep(jobId, await signedStep(s, Float32Array.from(theta)));
      const release = JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(sealed, buyerKeys.publicKey, buyerKeys.privateKey))) as { noisySum: number[] };
      theta = theta.map((v, k) => v - 0.5 * (release.noisySum[k]! / expectedBatch));
      losses.push(loss(theta, heldOut));
    }
    if (process.env["AUDATA_PRINT_LOSSES"] !== undefined) console.log(losses.map((l) => l.toFixed(4)).join(" "));
    expect(losses.at(-1)!).to.be.below(losses[0]! - 0.15);
    expect(losses.slice(-3).every((l) => l < losses[0]!)).to.equal(true);

    // One more step would pass the budget: refused, nothing released or logged.
    const before = audit.export().entries.length;
    expect(await refusal(async () => engine.gradientStep(jobId, await signedStep(STEPS, Float32Array.from(theta))))).to.equal('PRIVACY_BUDGET_EXCEEDED');
    expect(audit.export().entries.length).to.equal(before);

    // The receipt settles; each used contributor claims exactly its share; carol (revoked) has none.
    const { receipt, signature, shares } = await engine.finish(jobId, { steps: STEPS, ...(await buyerSigner.finish(jobId, STEPS)) });
    expect(Number(receipt.epsilonSpent) / 1e6).to.be.closeTo(budget, 1e-5);
    expect(shares.map((s) => s.account).sort()).to.deep.equal([alice.address, bob.address].sort());
    expect(shares.some((s) => s.account === carol.address)).to.equal(false);
    expect((await source.revoked([carolFile])).has(carolFile)).to.equal(true);
    expect(shares.reduce((t, s) => t + s.amount, 0n)).to.equal(PRICE);
    // Files sampled at least once: with q = 0.5 over 8 steps a file is missed with probability
    // 1/256, so usually all 59 are used; fewer than 50 would mean the count is wrong.
    expect(receipt.filesUsed).to.be.within(50, files);
    await f.send(relay, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'settle', args: [receipt, signature] });
    const tree = SharesMerkleTree.of(shares);
    for (const share of shares) {
      const beforeBalance = await client.getBalance({ address: share.account });
      await f.send(relay, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'claim', args: [jobId, share.account, share.amount, tree.proof(share.account)] });
      expect((await client.getBalance({ address: share.account })) - beforeBalance).to.equal(share.amount);
    }
    const job = await client.readContract({ address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'job', args: [jobId] });
    expect(job.claimed).to.equal(PRICE);

    // The audit log replays: job start, one release per step, the receipt.
    await audit.signHead();
    const log = audit.export();
    expect(log.entries.map((e) => e.kind)).to.deep.equal(['job-start', ...Array<string>(STEPS).fill('release'), 'receipt']);
    const verdict = await verifyAuditLog(log, { signers: [auditAccount.address as Address], domain: auditDomain(anvil.chain.id) });
    expect(verdict.signedThrough).to.equal(STEPS + 1);
    expect(await refusal(async () => engine.gradientStep(jobId, await signedStep(STEPS, Float32Array.from(theta))))).to.equal('JOB_STATE');
  });
});
