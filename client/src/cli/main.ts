// Entry point of the `audata` executable: finds the subcommand and runs it.
import { EXIT_OK, EXIT_USAGE, type CliIo } from '@audata/wire';
import { commands } from './commands.ts';

export function usage(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(0, ...names.map((name) => name.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${commands[name]!.summary}`);
  return ['Usage: audata <command> [options]', '', 'Commands:', ...lines, '', 'Run `audata <command> --help` for its options.', ''].join('\n');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (entry === undefined) {
    io.stderr(`CLI_USAGE: Unknown command "${name}".\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  return command(rest, io);
}
