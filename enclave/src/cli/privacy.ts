// `audata privacy`: the accountant's figures from the command line, so a DAO member can
// check what a policy's (q, sigma, steps) buys before voting on it.
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand } from '@audata/wire';
import { epsilonFor } from '../privacy/rdp.ts';

const USAGE = 'audata privacy epsilon --sample-rate Q --noise-multiplier S --steps N --delta D [--json]';

function number(name: string, raw: string | undefined, check: (x: number) => boolean, expected: string): number {
  if (raw === undefined) throw new CliUsageError(`--${name} is required.`, USAGE);
  const value = Number(raw);
  if (raw.trim() === '' || !check(value)) throw new CliUsageError(`--${name} must be ${expected}; received "${raw}".`, USAGE);
  return value;
}

export const privacy: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(
      argv,
      {
        'sample-rate': { type: 'string' },
        'noise-multiplier': { type: 'string' },
        steps: { type: 'string' },
        delta: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help === true) {
      io.stdout(`Usage: ${USAGE}\n\nEpsilon of DP-SGD (sampled Gaussian mechanism, RDP accountant, Opacus conversion).\n`);
      return EXIT_OK;
    }
    if (positionals.length !== 1 || positionals[0] !== 'epsilon') {
      throw new CliUsageError(`Expected the subcommand "epsilon"; received "${positionals.join(' ')}".`, USAGE);
    }
    const sampleRate = number('sample-rate', values['sample-rate'], (x) => x > 0 && x <= 1, 'in (0, 1]');
    const noiseMultiplier = number('noise-multiplier', values['noise-multiplier'], (x) => x > 0 && Number.isFinite(x), 'a number > 0');
    const steps = number('steps', values.steps, (x) => Number.isSafeInteger(x) && x >= 0, 'a non-negative integer');
    const delta = number('delta', values.delta, (x) => x > 0 && x < 1, 'in (0, 1)');
    const spent = epsilonFor({ sampleRate, noiseMultiplier, steps, delta });
    io.stdout(values.json === true ? `${JSON.stringify({ epsilon: spent.epsilon, order: spent.order })}\n` : `${spent.epsilon}\n`);
    return EXIT_OK;
  });

export default privacy;
