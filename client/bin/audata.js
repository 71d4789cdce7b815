#!/usr/bin/env node
// The `audata` executable. TypeScript sources run through tsx, so there is no build step
// between a change and the command a user runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const { processIo } = await import('@audata/wire');
process.exitCode = await main(process.argv.slice(2), processIo);
