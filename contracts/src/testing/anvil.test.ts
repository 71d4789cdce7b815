import { expect } from 'chai';
import { AnvilStartError } from '../errors.ts';
import { freePort, startAnvil } from './anvil.ts';

describe('anvil harness', function () {
  this.timeout(30_000);

  it('starts on a free loopback port, answers, and stops', async () => {
    const anvil = await startAnvil({ accounts: 2 });
    try {
      expect(anvil.rpcUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await anvil.publicClient.getChainId()).to.equal(31337);
      expect(anvil.accounts).to.have.length(2);
      expect(await anvil.publicClient.getBalance({ address: anvil.accounts[0]!.address }) > 0n).to.equal(true);
    } finally {
      await anvil.stop();
    }
    let reachable = true;
    try {
      await anvil.publicClient.getChainId();
    } catch {
      reachable = false;
    }
    expect(reachable).to.equal(false);
  });

  it('reports a binary that cannot start as CONTRACTS_ANVIL_START_FAILED', async () => {
    let failure: unknown;
    try {
      await startAnvil({ binary: '/nonexistent/anvil' });
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(AnvilStartError);
    expect((failure as AnvilStartError).code).to.equal('CONTRACTS_ANVIL_START_FAILED');
  });

  it('finds distinct free ports', async () => {
    const port = await freePort();
    expect(port).to.be.within(1, 65_535);
  });
});
