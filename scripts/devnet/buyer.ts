// The buyer's half of the `make run` scenario: contributors' votes pass a policy through the
// Governor and the timelock (anvil's clock moved over the voting delay, the voting period and
// the timelock delay), the buyer pays JobEscrow, trains a small language classifier by DP-SGD
// through the host and the enclave (held-out loss printed per step, computed on the buyer's
// own clips), settles the enclave's receipt, and the contributors claim their shares. The
// buyer signs its submission, each step and the finish with its wallet key; a stranger's
// submission naming the buyer is shown refused first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { createTestClient, createWalletClient, encodeFunctionData, http, keccak256, sha256, toHex, type Hex } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { SharesMerkleTree, splitRevenue, type PolicyTerms } from '@audata/wire';
import { accessPolicyRegistryAbi, audataGovernorAbi, audataTokenAbi, jobEscrowAbi } from '../../contracts/src/generated/abi.ts';
import { decodeAudio } from '../../enclave/src/audio/decode/index.ts';
import { logMelSpectrogram } from '../../enclave/src/audio/logmel.ts';
import { buildSoftmaxGradientModel, parameterCount } from '../../enclave/src/jobs/softmax-classifier.ts';
import { epsilonFor } from '../../enclave/src/privacy/rdp.ts';
import { createBuyerSigner, finishJob, submitJob } from '../../client/src/jobs/sign.ts';
import { HttpJobTransport } from '../../client/src/jobs/transport.ts';
import { HostRequestError } from '../../client/src/sdk/errors.ts';
import { readFileRecord } from '../../client/src/sdk/contribute.ts';
import { DEVNET_GOVERNANCE as governance, ROOT, TERMS_TEXT, type Devnet } from './devnet.ts';

const SPEECH = join(ROOT, 'enclave', 'test-vectors', 'speech');
const MELS = 80;
const CLASSES = ['en', 'de'];
/** The buyer's own labelled clips, never uploaded: the held-out set the loss is measured on. */
const HELD_OUT: readonly { clip: string; language: string }[] = [
  { clip: 'ast-vm-sorry.wav', language: 'en' },
  { clip: 'ast-demo-nomatch.wav', language: 'en' },
  { clip: 'espeak-2.wav', language: 'en' },
  { clip: 'espeak-de-5.wav', language: 'de' },
  { clip: 'espeak-de-6.wav', language: 'de' },
  { clip: 'espeak-de-4.wav', language: 'de' },
];
/** DP-SGD settings: every file in every batch (q = 1), noise sigma * C on the sum of clipped gradients. */
const DP = { sampleRate: 1, noiseMultiplier: 0.5, clipNorm: 1 };
const STEPS = 10;
const LEARNING_RATE = 1;
const DELTA = 1e-5;

export interface UsedUpload {
  who: string;
  account: HDAccount;
  fileId: Hex;
  language: string;
  revoked: boolean;
}

type Step = (name: string, ok: boolean, detail: string) => boolean;

/** What the enclave computes per example: the mean over frames of the file's 80-band log-mel. */
async function meanLogMel(clip: string): Promise<Float64Array> {
  const { samples } = await decodeAudio(new Uint8Array(readFileSync(join(SPEECH, clip))));
  const mel = logMelSpectrogram(samples, { nMels: MELS });
  const x = new Float64Array(MELS);
  for (let t = 0; t < mel.frames; t++) for (let m = 0; m < MELS; m++) x[m]! += mel.data[t * MELS + m]! / mel.frames;
  return x;
}

/** Mean cross-entropy of the softmax classifier (W [D, K] then b [K], as softmax-classifier.ts lays it out). */
function loss(theta: Float64Array, examples: readonly { x: Float64Array; k: number }[]): number {
  const K = CLASSES.length;
  let total = 0;
  for (const { x, k } of examples) {
    const z = Array.from({ length: K }, (_, c) => {
      let v = theta[MELS * K + c]!;
      for (let m = 0; m < MELS; m++) v += x[m]! * theta[m * K + c]!;
      return v;
    });
    const max = Math.max(...z);
    total += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[k]!;
  }
  return total / examples.length;
}

/** What the buyer's run leaves for the scenario page: the loss curve and who claimed what. */
export interface BuyerOutcome {
  losses: number[];
  epsilon: number;
  delta: number;
  heldOut: number;
  claims: { who: string; amount: string }[];
}

export async function runBuyer(devnet: Devnet, uploads: readonly UsedUpload[], buyer: HDAccount, print: (line: string) => void, step: Step): Promise<BuyerOutcome> {
  await sodium.ready;
  const { publicClient: client, chain, rpcUrl } = devnet;
  const { addresses } = devnet.deployment;
  const testClient = createTestClient({ chain, mode: 'anvil', transport: http(rpcUrl) });
  const travel = async (seconds: number) => {
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  };
  /** Sends a contract call from `account`; resolves with its hash and the fee it cost. */
  const send = async (account: HDAccount, request: Record<string, unknown>) => {
    const wallet = createWalletClient({ chain, transport: http(rpcUrl), account });
    const hash = await wallet.writeContract(request as never);
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
    return { hash, fee: receipt.gasUsed * receipt.effectiveGasPrice };
  };

  print('6. Contributors pass a buyer\'s policy by vote (Governor, then the timelock; anvil\'s clock moved over each delay)');
  const model = buildSoftmaxGradientModel({ features: MELS, classes: CLASSES.length });
  const P = parameterCount({ features: MELS, classes: CLASSES.length });
  const budget = epsilonFor({ ...DP, steps: STEPS, delta: DELTA }).epsilon;
  const PRICE = 10n ** 18n;
  const now = (await client.getBlock()).timestamp;
  const terms: PolicyTerms = {
    buyer: buyer.address,
    jobKinds: 2,
    modelHashes: [sha256(model)],
    minScore: 0,
    languages: CLASSES,
    termsHash: keccak256(toHex(TERMS_TEXT)),
    epsilon: BigInt(Math.ceil(budget * 1e6)),
    delta: BigInt(Math.round(DELTA * 1e18)),
    price: PRICE,
    expiry: now + 30n * 86_400n,
  };
  const voters = [...new Map(uploads.map((u) => [u.account.address, u])).values()];
  for (const v of voters) await send(v.account, { address: addresses.token, abi: audataTokenAbi, functionName: 'delegate', args: [v.account.address] });
  await travel(1);
  const governor = { address: addresses.governor, abi: audataGovernorAbi } as const;
  const proposal = [[addresses.accessPolicyRegistry], [0n], [encodeFunctionData({ abi: accessPolicyRegistryAbi, functionName: 'createPolicy', args: [terms] })]] as const;
  const description = `Policy: DP-SGD language classifier (${CLASSES.join(', ')}) for ${buyer.address}`;
  const descriptionHash = keccak256(toHex(description));
  const proposer = voters[0]!;
  await send(proposer.account, { ...governor, functionName: 'propose', args: [...proposal, description] });
  const proposalId = await client.readContract({ ...governor, functionName: 'hashProposal', args: [...proposal, descriptionHash] });
  await travel(governance.votingDelay + 1);
  for (const v of voters) await send(v.account, { ...governor, functionName: 'castVote', args: [proposalId, 1] });
  const votes = await client.readContract({ ...governor, functionName: 'proposalVotes', args: [proposalId] });
  await travel(governance.votingPeriod + 1);
  await send(buyer, { ...governor, functionName: 'queue', args: [...proposal, descriptionHash] });
  await travel(Number(governance.timelockDelay) + 1);
  await send(buyer, { ...governor, functionName: 'execute', args: [...proposal, descriptionHash] });
  const policyId = await client.readContract({ address: addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policyCount' });
  const stored = await client.readContract({ address: addresses.accessPolicyRegistry, abi: accessPolicyRegistryAbi, functionName: 'policy', args: [policyId] });
  step(
    'policy passed by vote',
    stored.terms.buyer === buyer.address && stored.terms.modelHashes[0] === sha256(model),
    `policy ${policyId}: ${voters.length} contributors voted for (${(Number(votes[1]) / 1e18).toFixed(4)} votes), queued and executed after ${governance.votingDelay + governance.votingPeriod + Number(governance.timelockDelay)} s of chain time (voting delay, period, timelock delay); gradients only, model ${sha256(model).slice(0, 18)}..., languages ${CLASSES.join(', ')}, epsilon ${budget.toFixed(2)} at delta ${DELTA}, price 1 ETH`,
  );

  print('7. The buyer pays JobEscrow and trains a language classifier by DP-SGD through the host; only noisy gradient sums leave the enclave, sealed to the buyer');
  const jobId = keccak256(toHex(`devnet training job ${now}`));
  await send(buyer, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'pay', args: [jobId, policyId], value: PRICE });
  const keys = sodium.crypto_box_keypair();
  const transport = new HttpJobTransport(devnet.hostUrl);
  // Deadlines on the enclave's clock: the chain's latest block time.
  const chainNow = async () => (await client.getBlock({ blockTag: 'latest' })).timestamp;
  const signer = createBuyerSigner({ account: buyer, chainId: chain.id, jobEscrow: addresses.jobEscrow, now: chainNow });
  const request = { jobId, policyId, buyer: buyer.address, kind: 'gradients' as const, model, buyerKey: keys.publicKey, params: { melBands: MELS, classes: CLASSES, parameters: P } };
  // Someone else who reaches the host names the buyer, with releases sealed to their own key.
  const stranger = createBuyerSigner({ account: voters[0]!.account, chainId: chain.id, jobEscrow: addresses.jobEscrow, now: chainNow });
  const strangerKey = sodium.crypto_box_keypair().publicKey;
  const refusal = await submitJob(transport, stranger, { ...request, buyerKey: strangerKey }).then(
    () => 'accepted',
    (error: unknown) => (error instanceof HostRequestError ? String(error.details?.['code'] ?? error.message) : 'failed'),
  );
  step('stranger refused', refusal === 'JOB_SIGNER_NOT_BUYER', `a submission naming the buyer but signed by ${voters[0]!.who} (releases to their own key): ${refusal}`);
  const submitted = await submitJob(transport, signer, request);
  const selectable = uploads.filter((u) => !u.revoked && CLASSES.includes(u.language));
  step('job accepted', submitted.files === uploads.filter((u) => !u.revoked).length, `paid 1 ETH under policy ${policyId}; the enclave read policy and payment from the chain and selected ${submitted.files} files (the revoked one left out)`);

  const heldOut = await Promise.all(HELD_OUT.map(async (h) => ({ x: await meanLogMel(h.clip), k: CLASSES.indexOf(h.language) })));
  let theta = new Float64Array(P);
  const losses = [loss(theta, heldOut)];
  const expectedBatch = DP.sampleRate * selectable.length;
  let epsilonSpent = 0;
  for (let s = 0; s < STEPS; s++) {
    const stepRequest = { ...DP, parameters: Float32Array.from(theta) };
    const sealed = await transport.step(jobId, { ...stepRequest, index: s, ...(await signer.step(jobId, s, stepRequest)) });
    const release = JSON.parse(new TextDecoder().decode(sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey))) as { noisySum: number[]; epsilonSpent: number };
    epsilonSpent = release.epsilonSpent;
    theta = theta.map((v, k) => v - LEARNING_RATE * (release.noisySum[k]! / expectedBatch));
    losses.push(loss(theta, heldOut));
  }
  const falling = losses.at(-1)! < losses[0]! - 0.1;
  step('held-out loss falls', falling, `${STEPS} DP steps (q ${DP.sampleRate}, sigma ${DP.noiseMultiplier}, C ${DP.clipNorm}), cross-entropy on the buyer's ${heldOut.length} own clips: ${losses.map((l) => l.toFixed(3)).join(' → ')}; epsilon spent ${epsilonSpent.toFixed(2)}`);

  print('8. The enclave signs the receipt, JobEscrow settles on it, and contributors claim their shares');
  const { receipt, signature, shares } = await finishJob(transport, signer, jobId);
  const { hash: settleHash } = await send(buyer, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'settle', args: [receipt, signature] });
  step('receipt settled', true, `${receipt.filesUsed} files used, epsilon ${(Number(receipt.epsilonSpent) / 1e6).toFixed(2)}, shares root ${receipt.sharesRoot.slice(0, 18)}... settled in ${settleHash.slice(0, 18)}...`);

  // What each contributor should get: the price split by the scores of their files the job could
  // use, read from the chain; the revoked file is not among them.
  const weights = await Promise.all(selectable.map(async (u) => ({ account: u.account.address, weight: (await readFileRecord(client, addresses.contributionRegistry, u.fileId)).score })));
  const expected = splitRevenue(PRICE, weights);
  const tree = SharesMerkleTree.of(shares);
  const names = new Map(uploads.map((u) => [u.account.address.toLowerCase(), u.who]));
  const claimed: string[] = [];
  const claims: BuyerOutcome['claims'] = [];
  let allClaimed = true;
  for (const share of shares) {
    const who = uploads.find((u) => u.account.address.toLowerCase() === share.account.toLowerCase())!;
    const before = await client.getBalance({ address: share.account });
    const { fee } = await send(who.account, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'claim', args: [jobId, share.account, share.amount, tree.proof(share.account)] });
    const after = await client.getBalance({ address: share.account });
    allClaimed &&= after - before + fee === share.amount;
    claimed.push(`${names.get(share.account.toLowerCase())} ${(Number(share.amount) / 1e18).toFixed(6)} ETH`);
    claims.push({ who: names.get(share.account.toLowerCase()) ?? share.account, amount: `${(Number(share.amount) / 1e18).toFixed(6)} ETH` });
  }
  const job = await client.readContract({ address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'job', args: [jobId] });
  step('contributors claimed', allClaimed && job.claimed === PRICE, claimed.join(', '));
  const revoked = uploads.filter((u) => u.revoked);
  const same = JSON.stringify(expected.map((s) => [s.account, s.amount.toString()])) === JSON.stringify(shares.map((s) => [s.account, s.amount.toString()]));
  step(
    'revoked file earns nothing',
    same,
    `shares equal the price split by the scores of the unrevoked files only; ${revoked.map((r) => `${r.who}'s revoked file`).join(', ')} is in no share`,
  );
  return { losses, epsilon: epsilonSpent, delta: DELTA, heldOut: heldOut.length, claims };
}
