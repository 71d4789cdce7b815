import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { SharesMerkleTree, splitRevenue, type JobReceipt } from '@audata/wire';
import { jobEscrowAbi } from '../../../contracts/src/generated/abi.ts';
import { bytes32, startAudata, type AudataFixture } from '../../../contracts/src/testing/fixture.ts';
import { serializeSharesFile } from '../jobs/shares-file.ts';
import { main } from './main.ts';

function capture() {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('audata claim (anvil)', function () {
  this.timeout(120_000);
  let f: AudataFixture;
  after(async () => f?.stop());

  it('pays each contributor exactly its share of a settled job, once, and refuses wrong files', async () => {
    f = await startAudata();
    const [alice, bob, carol] = f.users as [typeof f.users[0], typeof f.users[0], typeof f.users[0]];
    const price = 10n ** 18n;
    const buyerKeyFor = keccak256(toHex('claim test buyer'));
    const terms = await f.policyTerms({ buyer: privateKeyToAccount(buyerKeyFor).address, price });
    const policyId = await f.createPolicy(terms);
    const jobId = bytes32('claim job');
    const runJob = async (...argv: string[]) => {
      const io = capture();
      const code = await main(['job', ...argv], io);
      return { code, ...io };
    };
    const buyerKey = buyerKeyFor;
    await f.anvil.testClient.setBalance({ address: privateKeyToAccount(buyerKey).address, value: 10n ** 19n });
    const stranger = generatePrivateKey();
    await f.anvil.testClient.setBalance({ address: privateKeyToAccount(stranger).address, value: 10n ** 19n });
    const strangerPays = await runJob('pay', '--job-id', jobId, '--policy', policyId.toString(), '--escrow', f.addresses.jobEscrow, '--key', stranger, '--rpc', f.anvil.rpcUrl);
    expect(strangerPays.err, strangerPays.err).to.match(/^CLIENT_PAYMENT_REFUSED: .*JobEscrowUnauthorizedBuyer/);
    const paid = await runJob('pay', '--job-id', jobId, '--policy', policyId.toString(), '--escrow', f.addresses.jobEscrow, '--key', buyerKey, '--rpc', f.anvil.rpcUrl);
    expect(paid.code, paid.err).to.equal(0);
    expect(paid.out).to.contain(`paid ${price} wei`);
    const shares = splitRevenue(price, [{ account: alice.address, weight: 8_000 }, { account: bob.address, weight: 6_500 }, { account: alice.address, weight: 7_000 }]);
    const tree = SharesMerkleTree.of(shares);
    const receipt: JobReceipt = { jobId, policyId, buyer: privateKeyToAccount(buyerKeyFor).address, modelHash: terms.modelHashes[0]!, sharesRoot: tree.root, filesUsed: 3, epsilonSpent: 1_000_000n, resultHash: bytes32('result'), deadline: (await f.now()) + 3_600n };
    await f.send(f.wallet(f.users[5]!), { address: f.addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'settle', args: [receipt, await f.signReceipt(receipt)] });

    const dir = mkdtempSync(join(tmpdir(), 'audata-claim-'));
    const sharesPath = join(dir, 'shares.json');
    writeFileSync(sharesPath, serializeSharesFile({ jobId, sharesRoot: tree.root, shares }));
    // A relay key pays the gas; the money goes to the named account.
    const relayKey = generatePrivateKey();
    await f.anvil.testClient.setBalance({ address: privateKeyToAccount(relayKey).address, value: 10n ** 18n });
    const rpc = f.anvil.rpcUrl;
    const run = async (...argv: string[]) => {
      const io = capture();
      const code = await main(['claim', ...argv], io);
      return { code, ...io };
    };
    const client = f.anvil.publicClient;
    for (const share of shares) {
      const before = await client.getBalance({ address: share.account });
      const result = await run(sharesPath, '--escrow', f.addresses.jobEscrow, '--key', relayKey, '--account', share.account, '--rpc', rpc);
      expect(result.code, result.err).to.equal(0);
      expect((await client.getBalance({ address: share.account })) - before).to.equal(share.amount);
    }
    expect(shares.reduce((t, s) => t + s.amount, 0n)).to.equal(price);

    const again = await run(sharesPath, '--escrow', f.addresses.jobEscrow, '--key', relayKey, '--account', alice.address, '--rpc', rpc);
    expect(again.err).to.match(/^CLIENT_CLAIM_REFUSED/);
    expect((await run(sharesPath, '--escrow', f.addresses.jobEscrow, '--key', relayKey, '--account', carol.address, '--rpc', rpc)).err).to.match(/^CLIENT_SHARE_NOT_FOUND/);

    const otherShares = splitRevenue(price, [{ account: alice.address, weight: 1 }]);
    const otherPath = join(dir, 'other.json');
    writeFileSync(otherPath, serializeSharesFile({ jobId, sharesRoot: SharesMerkleTree.of(otherShares).root, shares: otherShares }));
    expect((await run(otherPath, '--escrow', f.addresses.jobEscrow, '--key', relayKey, '--rpc', rpc, '--account', alice.address)).err).to.match(/^CLIENT_SHARES_ROOT_MISMATCH/);

    const forged = join(dir, 'forged.json');
    writeFileSync(forged, serializeSharesFile({ jobId, sharesRoot: tree.root, shares: otherShares }));
    expect((await run(forged, '--escrow', f.addresses.jobEscrow, '--key', relayKey, '--rpc', rpc)).err).to.match(/^CLIENT_JOB_INPUT_INVALID/);
    expect((await run(sharesPath, '--key', relayKey, '--rpc', rpc)).code).to.equal(2);
  });
});
