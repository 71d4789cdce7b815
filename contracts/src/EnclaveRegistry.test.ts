import { expect } from 'chai';
import { parseEventLogs, zeroAddress } from 'viem';
import { ROLES } from './deploy.ts';
import { enclaveRegistryAbi, iEnclaveRegistryAbi } from './generated/abi.ts';
import { bytes32, pcr, revertChecker, startAudata, testKey, type AudataFixture, type Wallet } from './testing/fixture.ts';

describe('EnclaveRegistry', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  let timelock: Wallet;
  let operator: Wallet;
  const { expectRevert, missing } = revertChecker(iEnclaveRegistryAbi);
  const call = (wallet: Wallet, functionName: string, args: readonly unknown[]) =>
    f.send(wallet, { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName, args });
  const isActive = (account: `0x${string}`) =>
    f.anvil.publicClient.readContract({ address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'isActiveSigner', args: [account] });
  const idOf = (pcr0: `0x${string}`, pcr1 = '0x' as `0x${string}`, pcr2 = '0x' as `0x${string}`, pcr8 = '0x' as `0x${string}`) =>
    f.anvil.publicClient.readContract({ address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'measurementId', args: [pcr0, pcr1, pcr2, pcr8] });

  before(async () => {
    f = await startAudata();
    timelock = await f.timelock();
    operator = f.wallet(f.operator);
    await f.snapshot();
  });
  beforeEach(async () => {
    await f.restore();
  });
  after(async () => {
    await f.stop();
  });

  it('holds the genesis signer as active', async () => {
    expect(await isActive(f.enclave.address)).to.equal(true);
    expect(await isActive(testKey('stranger').address)).to.equal(false);
    const signer = await f.anvil.publicClient.readContract({ address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'signer', args: [f.enclave.address] });
    expect(signer.measurementId).to.equal(f.measurementId);
    expect(signer.attestationSha256).to.equal(bytes32('attestation document'));
    expect(signer.attestationUri).to.equal('file:///attestation/1.cbor');
  });

  it('governance approves a measurement with PCR0 only; the operator registers a signer under it', async () => {
    const receipt = await call(timelock, 'approveMeasurement', [pcr(1), '0x', '0x', '0x']);
    const [approved] = parseEventLogs({ abi: enclaveRegistryAbi, logs: receipt.logs, eventName: 'MeasurementApproved' });
    const id = await idOf(pcr(1));
    expect(approved?.args.measurementId).to.equal(id);
    const next = testKey('enclave 2');
    const registered = await call(operator, 'registerSigner', [next.address, id, bytes32('doc 2'), 's3://bucket/doc2']);
    const [event] = parseEventLogs({ abi: enclaveRegistryAbi, logs: registered.logs, eventName: 'SignerRegistered' });
    expect(event?.args).to.deep.include({ signer: next.address, measurementId: id, attestationSha256: bytes32('doc 2') });
    expect(await isActive(next.address)).to.equal(true);
  });

  it('revoking a measurement disables its signers, for good', async () => {
    await call(timelock, 'revokeMeasurement', [f.measurementId]);
    expect(await isActive(f.enclave.address)).to.equal(false);
    await expectRevert(call(operator, 'registerSigner', [testKey('late').address, f.measurementId, bytes32('doc'), '']), 'EnclaveRegistryMeasurementNotApproved', [f.measurementId]);
    await expectRevert(call(timelock, 'revokeMeasurement', [f.measurementId]), 'EnclaveRegistryMeasurementNotApproved', [f.measurementId]);
    const { pcr0, pcr1, pcr2 } = f.measurement;
    await expectRevert(call(timelock, 'approveMeasurement', [pcr0, pcr1, pcr2, '0x']), 'EnclaveRegistryMeasurementExists', [f.measurementId]);
  });

  it('governance revokes one signer', async () => {
    const receipt = await call(timelock, 'revokeSigner', [f.enclave.address]);
    expect(parseEventLogs({ abi: enclaveRegistryAbi, logs: receipt.logs, eventName: 'SignerRevoked' })).to.have.length(1);
    expect(await isActive(f.enclave.address)).to.equal(false);
    await expectRevert(call(timelock, 'revokeSigner', [f.enclave.address]), 'EnclaveRegistryUnknownSigner', [f.enclave.address]);
    const stranger = testKey('stranger').address;
    await expectRevert(call(timelock, 'revokeSigner', [stranger]), 'EnclaveRegistryUnknownSigner', [stranger]);
  });

  it('refuses malformed and debug-mode measurements', async () => {
    await expectRevert(call(timelock, 'approveMeasurement', [pcr(1).slice(0, 66), '0x', '0x', '0x']), 'EnclaveRegistryInvalidPcr', [0, 32n]);
    await expectRevert(call(timelock, 'approveMeasurement', [pcr(1), '0x', '0x', '0x0102']), 'EnclaveRegistryInvalidPcr', [8, 2n]);
    await expectRevert(call(timelock, 'approveMeasurement', [pcr(0), '0x', '0x', '0x']), 'EnclaveRegistryDebugMeasurement');
    const { pcr0, pcr1, pcr2 } = f.measurement;
    await expectRevert(call(timelock, 'approveMeasurement', [pcr0, pcr1, pcr2, '0x']), 'EnclaveRegistryMeasurementExists', [f.measurementId]);
  });

  it('refuses bad signer registrations', async () => {
    await expectRevert(call(operator, 'registerSigner', [zeroAddress, f.measurementId, bytes32('doc'), '']), 'EnclaveRegistryInvalidSigner', [zeroAddress]);
    await expectRevert(call(operator, 'registerSigner', [f.enclave.address, f.measurementId, bytes32('doc'), '']), 'EnclaveRegistrySignerExists', [f.enclave.address]);
    const unknown = bytes32('never approved');
    await expectRevert(call(operator, 'registerSigner', [testKey('x').address, unknown, bytes32('doc'), '']), 'EnclaveRegistryMeasurementNotApproved', [unknown]);
  });

  it('keeps each role to its holder', async () => {
    await expectRevert(call(operator, 'approveMeasurement', [pcr(1), '0x', '0x', '0x']), 'AccessControlUnauthorizedAccount', [f.operator.address, ROLES.DEFAULT_ADMIN]);
    await expectRevert(call(operator, 'revokeSigner', [f.enclave.address]), 'AccessControlUnauthorizedAccount', [f.operator.address, ROLES.DEFAULT_ADMIN]);
    const guardian = f.wallet(f.guardian);
    await expectRevert(call(guardian, 'registerSigner', [testKey('x').address, f.measurementId, bytes32('doc'), '']), 'AccessControlUnauthorizedAccount', [f.guardian.address, ROLES.OPERATOR]);
  });

  it('every IEnclaveRegistry error was asserted above', () => {
    expect(missing()).to.deep.equal([]);
  });
});
