import { expect } from 'chai';
import { AudataError } from './errors.ts';
import { CliUsageError, EXIT_INVALID, EXIT_OK, EXIT_USAGE, parseCli, runCliCommand, type CliIo } from './cli.ts';

function capture(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('cli conventions', () => {
  it('maps a usage error to exit 2 with the usage line', async () => {
    const io = capture();
    const code = await runCliCommand(io, async () => {
      parseCli(['--nope'], { json: { type: 'boolean' } }, 'audata thing [--json]');
      return EXIT_OK;
    });
    expect(code).to.equal(EXIT_USAGE);
    expect(io.err).to.match(/^CLI_USAGE: .*--nope.* Usage: audata thing \[--json\]\n$/);
  });

  it('maps a typed failure to exit 1 with one line naming its code', async () => {
    const io = capture();
    const code = await runCliCommand(io, async () => {
      throw new AudataError('THING_BROKEN', 'The thing is broken.');
    });
    expect(code).to.equal(EXIT_INVALID);
    expect(io.err).to.equal('THING_BROKEN: The thing is broken.\n');
  });

  it('reports an unexpected failure without a stack trace', async () => {
    const io = capture();
    const code = await runCliCommand(io, async () => {
      throw new TypeError('boom');
    });
    expect(code).to.equal(EXIT_INVALID);
    expect(io.err).to.equal('INTERNAL: boom\n');
  });

  it('passes a command result through', async () => {
    const io = capture();
    expect(await runCliCommand(io, async () => EXIT_OK)).to.equal(EXIT_OK);
    expect(new CliUsageError('x').code).to.equal('CLI_USAGE');
  });
});
