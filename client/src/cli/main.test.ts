import { expect } from 'chai';
import { EXIT_OK, EXIT_USAGE } from '@audata/wire';
import { main } from './main.ts';

function capture() {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('audata', () => {
  it('prints usage for --help and exits 0', async () => {
    const io = capture();
    expect(await main(['--help'], io)).to.equal(EXIT_OK);
    expect(io.out).to.contain('Usage: audata <command>');
  });

  it('refuses an unknown command with exit 2', async () => {
    const io = capture();
    expect(await main(['no-such-command'], io)).to.equal(EXIT_USAGE);
    expect(io.err).to.contain('Unknown command "no-such-command"');
  });

  it('treats inherited object keys as unknown commands', async () => {
    const io = capture();
    expect(await main(['toString'], io)).to.equal(EXIT_USAGE);
  });
});
