import { expect } from 'chai';
import { parseEventLogs, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { anchorDomain, stateAnchorTypes, type StateAnchorMessage } from '@audata/wire';
import { auditAnchorAbi, enclaveRegistryAbi, iAuditAnchorAbi } from './generated/abi.ts';
import { bytes32, revertChecker, startAudata, testKey, type AudataFixture } from './testing/fixture.ts';

describe('AuditAnchor', function () {
  this.timeout(60_000);
  let f: AudataFixture;
  const { expectRevert, missing } = revertChecker(iAuditAnchorAbi);
  const dataset = bytes32('dataset key');
  const anchor = (overrides: Partial<StateAnchorMessage> = {}): StateAnchorMessage => ({
    datasetKey: dataset,
    stateCounter: 5n,
    stateSha256: bytes32('state 5'),
    auditEntries: 12n,
    auditHead: bytes32('audit head 11'),
    ...overrides,
  });
  const sign = (message: StateAnchorMessage, signer: PrivateKeyAccount = f.enclave, contract = f.addresses.auditAnchor): Promise<Hex> =>
    signer.signTypedData({ domain: anchorDomain(f.anvil.chain.id, contract), types: stateAnchorTypes, primaryType: 'StateAnchor', message });
  const submit = async (message: StateAnchorMessage, signature?: Hex) =>
    f.send(f.wallet(f.users[4]!), { address: f.addresses.auditAnchor, abi: auditAnchorAbi, functionName: 'anchorState', args: [message, signature ?? (await sign(message))] });
  const latest = (datasetKey: Hex = dataset) => f.anvil.publicClient.readContract({ address: f.addresses.auditAnchor, abi: auditAnchorAbi, functionName: 'latest', args: [datasetKey] });

  before(async () => {
    f = await startAudata();
    await f.snapshot();
  });
  beforeEach(async () => {
    await f.restore();
  });
  after(async () => {
    await f.stop();
  });

  it('anyone submits an anchor the enclave signed; it becomes the dataset\'s latest, with an event', async () => {
    expect(await latest()).to.deep.equal({ stateSha256: `0x${'00'.repeat(32)}`, auditHead: `0x${'00'.repeat(32)}`, stateCounter: 0n, auditEntries: 0n, anchoredAt: 0n });
    const receipt = await submit(anchor());
    const [event] = parseEventLogs({ abi: auditAnchorAbi, logs: receipt.logs, eventName: 'StateAnchored' });
    expect(event?.args).to.deep.equal({ datasetKey: dataset, signer: f.enclave.address, stateCounter: 5n, stateSha256: bytes32('state 5'), auditEntries: 12n, auditHead: bytes32('audit head 11') });
    const stored = await latest();
    expect(stored).to.deep.include({ stateCounter: 5n, stateSha256: bytes32('state 5'), auditEntries: 12n, auditHead: bytes32('audit head 11') });
    expect(stored.anchoredAt).to.equal(await f.now());
    // The same audit count with a later state is fine (a state may change without a log entry).
    await submit(anchor({ stateCounter: 6n, stateSha256: bytes32('state 6') }));
    expect((await latest()).stateCounter).to.equal(6n);
    // Datasets are independent.
    await submit(anchor({ datasetKey: bytes32('other dataset'), stateCounter: 1n, auditEntries: 0n, auditHead: `0x${'00'.repeat(32)}` }));
    expect((await latest()).stateCounter).to.equal(6n);
    expect((await latest(bytes32('other dataset'))).stateCounter).to.equal(1n);
  });

  it('refuses an older or equal state, and an audit log that shrank', async () => {
    await submit(anchor());
    await expectRevert(submit(anchor()), 'AuditAnchorStaleState', [dataset, 5n, 5n]);
    await expectRevert(submit(anchor({ stateCounter: 4n, stateSha256: bytes32('state 4') })), 'AuditAnchorStaleState', [dataset, 5n, 4n]);
    await expectRevert(submit(anchor({ stateCounter: 6n, auditEntries: 11n })), 'AuditAnchorAuditRegressed', [dataset, 12n, 11n]);
  });

  it('refuses a signature that does not parse, one by an unregistered key, and one for another contract', async () => {
    await expectRevert(submit(anchor(), '0x1234'), 'AuditAnchorInvalidSignature');
    const stranger = testKey('stranger');
    await expectRevert(submit(anchor(), await sign(anchor(), stranger)), 'AuditAnchorInactiveSigner', [stranger.address]);
    // Signed for another verifying contract: recovers to some other address, not the enclave.
    const elsewhere = await sign(anchor(), f.enclave, f.addresses.jobEscrow);
    let error: unknown;
    try {
      await submit(anchor(), elsewhere);
    } catch (e) {
      error = e;
    }
    expect(error).to.not.equal(undefined);
  });

  it('refuses a revoked signer', async () => {
    await f.send(await f.timelock(), { address: f.addresses.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'revokeSigner', args: [f.enclave.address] });
    await expectRevert(submit(anchor()), 'AuditAnchorInactiveSigner', [f.enclave.address]);
  });

  it('refuses an anchor naming no state, or a head that disagrees with the entry count', async () => {
    await expectRevert(submit(anchor({ stateSha256: `0x${'00'.repeat(32)}` })), 'AuditAnchorInvalidAnchor');
    await expectRevert(submit(anchor({ auditEntries: 0n })), 'AuditAnchorInvalidAnchor');
    await expectRevert(submit(anchor({ auditHead: `0x${'00'.repeat(32)}` })), 'AuditAnchorInvalidAnchor');
  });

  it('asserts every custom error of IAuditAnchor', () => {
    expect(missing()).to.deep.equal([]);
  });
});
