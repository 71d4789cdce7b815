// Conventions every `audata` subcommand shares, wherever it lives: how it is called,
// what its exit codes mean and how a failure is printed (one line, never a stack trace).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AudataError, isAudataError } from './errors.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export type CliCommand = (argv: readonly string[], io: CliIo) => Promise<number>;

/** The command did what was asked and, where it checks something, the check passed. */
export const EXIT_OK = 0;
/** The input was processed and found invalid (or could not be processed). */
export const EXIT_INVALID = 1;
/** The command line itself was wrong. */
export const EXIT_USAGE = 2;

export class CliUsageError extends AudataError {
  override name = 'CliUsageError';
  constructor(message: string, usage?: string) {
    super('CLI_USAGE', message, usage === undefined ? {} : { hint: `Usage: ${usage}` });
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `util.parseArgs` in strict mode, with its errors turned into CliUsageError. */
export function parseCli<T extends Options>(argv: readonly string[], options: T, usage: string) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error), usage);
  }
}

/**
 * Runs a command body and maps what it throws to an exit code: usage errors to 2, every
 * other failure to 1 with `CODE: cause` on stderr. Unknown errors are reported by message
 * only, since a stack trace helps no user and may leak paths.
 */
export async function runCliCommand(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr(`${error.describe()}\n`);
      return EXIT_USAGE;
    }
    if (isAudataError(error)) {
      io.stderr(`${error.describe()}\n`);
      return EXIT_INVALID;
    }
    io.stderr(`INTERNAL: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_INVALID;
  }
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};
