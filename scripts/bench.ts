// Runs every benchmark file (`*.bench.ts` beside the code it measures), each in its own
// process so one benchmark's warm caches and garbage do not colour the next one's figures.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['wire', 'verifier', 'enclave', 'host', 'client', 'contracts'];
const filters = process.argv.slice(2);

function* benchFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) yield* benchFiles(path);
    else if (name.endsWith('.bench.ts')) yield path;
  }
}

const files = workspaces
  .flatMap((workspace) => [...benchFiles(join(root, workspace, 'src'))])
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)));

if (files.length === 0 && filters.length === 0) {
  console.log('No benchmarks yet.');
  process.exit(0);
}
if (files.length === 0) {
  console.error(`No benchmark matches ${filters.join(' ') || '(any)'}.`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  console.log(`\n## ${relative(root, file)}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) failed += 1;
}
if (failed > 0) {
  console.error(`\n${failed} benchmark(s) failed.`);
  process.exit(1);
}
