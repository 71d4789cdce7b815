// `make run`: brings up the devnet (anvil, the measured enclave bundle, contracts with that
// measurement approved, dev KMS, enclave, host, each a real process on loopback), runs the
// scenario with real recorded speech and prints what happened. ONCE=1 exits after the scenario
// (status 0 only if every step verified); otherwise it keeps serving until Ctrl-C.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isAudataError } from '@audata/wire';
import { devKey, ROOT, startDevnet, type Devnet } from './devnet/devnet.ts';
import { portsFromEnv } from './devnet/ports.ts';
import { renderReport } from './devnet/report.ts';
import { runScenario } from './devnet/scenario.ts';

const print = (line: string) => void process.stdout.write(`${line}\n`);
let devnet: Devnet | undefined;
const once = process.env.ONCE === '1';
let status = 1;
try {
  const started = performance.now();
  devnet = await startDevnet({ ports: portsFromEnv(), log: (line) => print(`· ${line}`) });
  print(`· devnet up in ${((performance.now() - started) / 1000).toFixed(1)} s; logs in ${relative(ROOT, devnet.dataDir)}/logs\n`);
  const result = await runScenario(devnet, print);
  const failed = result.steps.filter((s) => !s.ok);
  print(`\n${result.ok ? 'SCENARIO VERIFIED' : 'SCENARIO FAILED'}: ${result.steps.length - failed.length}/${result.steps.length} steps held${failed.length === 0 ? '' : `; failed: ${failed.map((s) => s.name).join(', ')}`}`);
  status = result.ok ? 0 : 1;
  const page = join(devnet.dataDir, 'report.html');
  writeFileSync(
    page,
    renderReport({
      generatedAt: new Date(),
      chainId: devnet.chain.id,
      steps: result.steps,
      files: result.files.map((f) => ({ who: f.upload.who, clip: f.upload.clip, kind: f.upload.kind, fileId: f.fileId, ...f.record, revoked: f.fileId === result.revokedFile })),
      ...(result.buyer === undefined ? {} : { training: result.buyer, claims: result.buyer.claims }),
    }),
  );
  print(`· the scenario as a page: ${relative(process.cwd(), page)}`);
  if (!once) {
    const config = relative(process.cwd(), devnet.clientConfigPath);
    const fileId = result.files[0]?.fileId ?? '0x...';
    print(`
The devnet keeps serving (Ctrl-C stops it). Try the CLI against it:

  npx audata contribute YOUR.wav --key ${devKey(devnet.contributors[5]!)} --config ${config}
  npx audata proof ${fileId} --config ${config}
  npx audata revoke FILE_ID --key ${devKey(devnet.contributors[5]!)} --config ${config}

  host ${devnet.hostUrl}   chain ${devnet.rpcUrl} (id ${devnet.chain.id})   enclave 127.0.0.1:${devnet.ports.enclave}
  (the key above is anvil's public development key #8: never use it anywhere real)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (error) {
  print(isAudataError(error) ? error.describe() : `INTERNAL: ${error instanceof Error ? error.message : String(error)}`);
  status = 1;
} finally {
  await devnet?.stop();
}
process.exit(status);
