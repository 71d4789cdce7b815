import { expect } from 'chai';
import { parseEventLogs, recoverTypedDataAddress, zeroAddress, type Hex } from 'viem';
import { proofTypes, registryDomain, type ContributionProof } from '@audata/wire';
import { ROLES } from './deploy.ts';
import { audataTokenAbi, contributionRegistryAbi, enclaveRegistryAbi, iAudataTokenAbi, iContributionRegistryAbi } from './generated/abi.ts';
import { bytes32, revertChecker, startAudata, testKey, type AudataFixture, type Wallet } from './testing/fixture.ts';

describe('ContributionRegistry', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  let timelock: Wallet;
  let host: Wallet;
  const { expectRevert, missing } = revertChecker(iContributionRegistryAbi);
  const token = revertChecker(iAudataTokenAbi);
  const FACTOR = 10n ** 14n;

  const submit = (proof: ContributionProof, signature: Hex, wallet = host) =>
    f.send(wallet, { address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'submitProof', args: [proof, signature] });
  const call = (wallet: Wallet, functionName: string, args: readonly unknown[] = []) =>
    f.send(wallet, { address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName, args });
  const balance = (account: `0x${string}`) =>
    f.anvil.publicClient.readContract({ address: f.addresses.token, abi: audataTokenAbi, functionName: 'balanceOf', args: [account] });
  const record = (fileId: Hex) =>
    f.anvil.publicClient.readContract({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'fileRecord', args: [fileId] });
  const isRevoked = (fileId: Hex) =>
    f.anvil.publicClient.readContract({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'isRevoked', args: [fileId] });
  const recovered = (proof: ContributionProof, signature: Hex) =>
    recoverTypedDataAddress({
      domain: registryDomain(f.anvil.chain.id, f.addresses.contributionRegistry),
      types: proofTypes,
      primaryType: 'ContributionProof',
      message: proof,
      signature,
    });

  before(async () => {
    f = await startAudata();
    timelock = await f.timelock();
    host = f.wallet(f.users[5]!);
    await f.snapshot();
  });
  beforeEach(async () => {
    await f.restore();
  });
  after(async () => {
    await f.stop();
  });

  it('records an enclave-signed proof and mints factor x score to the contributor', async () => {
    const proof = await f.proof();
    const receipt = await submit(proof, await f.signProof(proof));
    const [event] = parseEventLogs({ abi: contributionRegistryAbi, logs: receipt.logs, eventName: 'ProofRecorded' });
    expect(event?.args.fileId).to.equal(proof.fileId);
    expect(event?.args.contributor).to.equal(proof.contributor);
    expect(event?.args.signer).to.equal(f.enclave.address);
    expect(event?.args.reward).to.equal(FACTOR * 8_000n);
    expect(event?.args.proof).to.deep.equal(proof);
    expect(await balance(proof.contributor)).to.equal(FACTOR * 8_000n);
    const stored = await record(proof.fileId);
    expect(stored).to.deep.include({ contributor: proof.contributor, valid: true, revoked: false, score: 8_000, quality: 7_500, signer: f.enclave.address, manifestHash: proof.manifestHash });
    expect(await isRevoked(proof.fileId)).to.equal(false);
  });

  it('an identical resubmission is a no-op: it returns false and mints nothing', async () => {
    const proof = await f.proof();
    const signature = await f.signProof(proof);
    await submit(proof, signature);
    const { result } = await f.anvil.publicClient.simulateContract({
      account: host.account,
      address: f.addresses.contributionRegistry,
      abi: contributionRegistryAbi,
      functionName: 'submitProof',
      args: [proof, signature],
    });
    expect(result).to.equal(false);
    const again = await submit(proof, signature);
    expect(parseEventLogs({ abi: contributionRegistryAbi, logs: again.logs })).to.have.length(0);
    expect(await balance(proof.contributor)).to.equal(FACTOR * 8_000n);
  });

  it('a conflicting proof for a recorded file reverts', async () => {
    const proof = await f.proof();
    await submit(proof, await f.signProof(proof));
    const other = { ...proof, score: 10_000, contributor: f.users[1]!.address };
    const hash = (p: ContributionProof) =>
      f.anvil.publicClient.readContract({ address: f.addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'proofHash', args: [p] });
    const expected = [proof.fileId, await hash(proof), await hash(other)];
    await expectRevert(submit(other, await f.signProof(other)), 'ContributionRegistryConflictingProof', expected);
  });

  it('records an invalid verdict without minting', async () => {
    const proof = await f.proof({ valid: false, score: 9_000 });
    const receipt = await submit(proof, await f.signProof(proof));
    const [event] = parseEventLogs({ abi: contributionRegistryAbi, logs: receipt.logs, eventName: 'ProofRecorded' });
    expect(event?.args.reward).to.equal(0n);
    expect(await balance(proof.contributor)).to.equal(0n);
    expect((await record(proof.fileId)).valid).to.equal(false);
  });

  it('refuses a proof from an unregistered signer', async () => {
    const proof = await f.proof();
    const rogue = testKey('rogue enclave');
    await expectRevert(submit(proof, await f.signProof(proof, { signer: rogue })), 'ContributionRegistryInactiveSigner', [rogue.address]);
  });

  it('refuses a proof from a revoked signer, and from a signer whose measurement was revoked', async () => {
    const proof = await f.proof();
    const signature = await f.signProof(proof);
    await f.send(timelock, { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'revokeSigner', args: [f.enclave.address] });
    await expectRevert(submit(proof, signature), 'ContributionRegistryInactiveSigner', [f.enclave.address]);
    await f.restore();
    await f.send(timelock, { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'revokeMeasurement', args: [f.measurementId] });
    await expectRevert(submit(proof, signature), 'ContributionRegistryInactiveSigner', [f.enclave.address]);
  });

  it('refuses a proof signed for another chain or another contract (EIP-712 domain)', async () => {
    const proof = await f.proof();
    const otherChain = await f.signProof(proof, { chainId: 1 });
    const chainSigner = await recovered(proof, otherChain);
    await expectRevert(submit(proof, otherChain), 'ContributionRegistryInactiveSigner', [chainSigner]);
    const otherContract = await f.signProof(proof, { contract: f.addresses.jobEscrow });
    const contractSigner = await recovered(proof, otherContract);
    await expectRevert(submit(proof, otherContract), 'ContributionRegistryInactiveSigner', [contractSigner]);
  });

  it('refuses a replayed proof for another file and a malformed signature', async () => {
    const proof = await f.proof();
    const signature = await f.signProof(proof);
    await submit(proof, signature);
    const replayed = { ...proof, fileId: bytes32('file 2') };
    const replaySigner = await recovered(replayed, signature);
    await expectRevert(submit(replayed, signature), 'ContributionRegistryInactiveSigner', [replaySigner]);
    await expectRevert(submit(proof, '0x1234'), 'ContributionRegistryInvalidSignature');
    const badV = `${signature.slice(0, 130)}05` as Hex;
    await expectRevert(submit(replayed, badV), 'ContributionRegistryInvalidSignature');
  });

  it('refuses an expired proof', async () => {
    const now = await f.now();
    const proof = await f.proof({ deadline: now - 1n });
    await expectRevert(submit(proof, await f.signProof(proof)), 'ContributionRegistryExpiredProof', [now - 1n, now]);
  });

  it('refuses a zero contributor and out-of-range scores', async () => {
    const zero = await f.proof({ contributor: zeroAddress });
    await expectRevert(submit(zero, await f.signProof(zero)), 'ContributionRegistryInvalidContributor', [zeroAddress]);
    const high = await f.proof({ score: 10_001 });
    await expectRevert(submit(high, await f.signProof(high)), 'ContributionRegistryScoreOutOfRange', [10_001]);
    const sub = await f.proof({ uniqueness: 65_535 });
    await expectRevert(submit(sub, await f.signProof(sub)), 'ContributionRegistryScoreOutOfRange', [65_535]);
  });

  it('lets only the contributor revoke a file, once', async () => {
    const proof = await f.proof();
    await submit(proof, await f.signProof(proof));
    const stranger = f.users[1]!;
    await expectRevert(call(f.wallet(stranger), 'revokeFile', [proof.fileId]), 'ContributionRegistryUnauthorizedRevoker', [proof.fileId, stranger.address]);
    const receipt = await call(f.wallet(f.users[0]!), 'revokeFile', [proof.fileId]);
    const [event] = parseEventLogs({ abi: contributionRegistryAbi, logs: receipt.logs, eventName: 'FileRevoked' });
    expect(event?.args).to.deep.equal({ fileId: proof.fileId, contributor: proof.contributor });
    expect(await isRevoked(proof.fileId)).to.equal(true);
    await expectRevert(call(f.wallet(f.users[0]!), 'revokeFile', [proof.fileId]), 'ContributionRegistryFileAlreadyRevoked', [proof.fileId]);
    const unknown = bytes32('never proved');
    await expectRevert(call(f.wallet(f.users[0]!), 'revokeFile', [unknown]), 'ContributionRegistryUnknownFile', [unknown]);
  });

  it('the guardian pauses submissions but never revocations; it cannot set the reward', async () => {
    const guardian = f.wallet(f.guardian);
    const first = await f.proof();
    await submit(first, await f.signProof(first));
    await call(guardian, 'pause');
    const second = await f.proof({ fileId: bytes32('file 2') });
    await expectRevert(submit(second, await f.signProof(second)), 'EnforcedPause');
    await call(f.wallet(f.users[0]!), 'revokeFile', [first.fileId]);
    await expectRevert(call(guardian, 'setRewardFactor', [1n]), 'AccessControlUnauthorizedAccount', [f.guardian.address, ROLES.DEFAULT_ADMIN]);
    await expectRevert(call(host, 'unpause'), 'AccessControlUnauthorizedAccount', [host.account.address, ROLES.GUARDIAN]);
    await call(guardian, 'unpause');
    await expectRevert(call(guardian, 'unpause'), 'ExpectedPause');
    await submit(second, await f.signProof(second));
  });

  it('the timelock sets the reward factor', async () => {
    const receipt = await call(timelock, 'setRewardFactor', [3n * FACTOR]);
    const [event] = parseEventLogs({ abi: contributionRegistryAbi, logs: receipt.logs, eventName: 'RewardFactorChanged' });
    expect(event?.args).to.deep.equal({ oldFactor: FACTOR, newFactor: 3n * FACTOR });
    const proof = await f.proof({ score: 5_000 });
    await submit(proof, await f.signProof(proof));
    expect(await balance(proof.contributor)).to.equal(3n * FACTOR * 5_000n);
  });

  it('the token is minted only by the registry', async () => {
    const account = f.users[0]!;
    await token.expectRevert(
      f.send(f.wallet(account), { address: f.addresses.token, abi: audataTokenAbi, functionName: 'mint', args: [account.address, 1n] }),
      'AudataTokenUnauthorizedMinter',
      [account.address],
    );
    await token.expectRevert(
      f.send(timelock, { address: f.addresses.token, abi: audataTokenAbi, functionName: 'mint', args: [account.address, 1n] }),
      'AudataTokenUnauthorizedMinter',
      [f.addresses.timelock],
    );
  });

  it('every IContributionRegistry and IAudataToken error was asserted above', () => {
    expect(missing()).to.deep.equal([]);
    expect(token.missing()).to.deep.equal([]);
  });
});
