// End to end on real processes (anvil, the measured enclave bundle under a simulated NSM, the dev
// KMS, the host), loopback only: the `make run` scenario, a host that tampers with what it
// stores, and an enclave killed mid-queue.
import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { keccak256, toHex, type Hex } from 'viem';
import type { CliIo } from '@audata/wire';
import { startDevnet, ROOT, type Devnet } from '../../../scripts/devnet/devnet.ts';
import { freePort } from '../../../scripts/devnet/ports.ts';
import { runScenario } from '../../../scripts/devnet/scenario.ts';
import { contributionRegistryAbi, enclaveRegistryAbi, publicClientFor } from '../sdk/chain.ts';
import { loadClientConfig, loadDevRoot } from '../sdk/config.ts';
import { attestEnclave, sealFile, type Contributor } from '../sdk/contribute.ts';
import { HostApi } from '../sdk/host-api.ts';
import { main } from '../cli/main.ts';

const SPEECH = join(ROOT, 'enclave', 'test-vectors', 'speech');

async function cli(...argv: string[]) {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) } satisfies CliIo & { out: string; err: string };
  return { code: await main(argv, io), out: io.out, err: io.err };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('end to end: devnet of real processes', function () {
  this.timeout(180_000);
  let devnet: Devnet;
  let dir: string;
  let contributor: Contributor;

  before(async () => {
    // Under the repository, so the enclave bundle resolves its native packages from node_modules.
    mkdirSync(join(ROOT, '.data'), { recursive: true });
    dir = mkdtempSync(join(ROOT, '.data', 'e2e-'));
    devnet = await startDevnet({ ports: { anvil: await freePort(), kms: await freePort(), enclave: await freePort(), host: await freePort() }, dataDir: join(dir, 'devnet') });
    const config = loadClientConfig(devnet.clientConfigPath);
    const root = loadDevRoot(config, () => undefined);
    contributor = { config, client: await publicClientFor(config.rpcUrl), host: new HostApi(config.hostUrl), ...(root === undefined ? {} : { root }) };
  });
  after(async () => {
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (fileId: Hex) =>
    contributor.client.readContract({ address: contributor.config.contributionRegistry, abi: contributionRegistryAbi, functionName: 'fileRecord', args: [fileId] });
  const proofEvents = (fileId: Hex) =>
    contributor.client.getContractEvents({ address: contributor.config.contributionRegistry, abi: contributionRegistryAbi, eventName: 'ProofRecorded', args: { fileId }, fromBlock: 0n });

  it('runs the scenario: every proof on chain and audited, the copy at zero uniqueness, the synthetic voice low, the revocation recorded, a buyer\'s job settled and claimed', async () => {
    const result = await runScenario(devnet, () => undefined);
    expect(result.steps.filter((s) => !s.ok)).to.deep.equal([]);
    expect(result.ok).to.equal(true);
    // The buyer's job ran through host and enclave processes: voted policy, a stranger's submission refused, paid signed DP-SGD steps, settled receipt, claims.
    for (const name of ['policy passed by vote', 'stranger refused', 'job accepted', 'held-out loss falls', 'receipt settled', 'contributors claimed', 'revoked file earns nothing']) {
      expect(result.steps.find((s) => s.name === name)?.ok, name).to.equal(true);
    }
    for (const f of result.files) {
      const onChain = await record(f.fileId);
      expect(onChain.recordedAt > 0n, f.upload.clip).to.equal(true);
      expect(onChain.contributor).to.equal(f.upload.account.address);
    }
    const copy = result.files.find((f) => f.upload.kind === 'duplicate')!;
    expect((await record(copy.fileId)).uniqueness).to.equal(0);
    const original = result.files.find((f) => f.upload.clip === 'ast-demo-nogo.wav')!;
    expect((await record(original.fileId)).uniqueness).to.equal(10_000);
    expect((await record(result.files.find((f) => f.upload.kind === 'synthetic')!.fileId)).authenticity).to.be.lessThan(2500);
    expect((await record(result.files.find((f) => f.upload.clip === 'ast-dir-nomore.wav')!.fileId)).revoked).to.equal(true);

    const verdict = await cli('proof', original.fileId, '--config', devnet.clientConfigPath);
    expect(verdict.code, verdict.out + verdict.err).to.equal(0);
    expect(verdict.out).to.contain(`VERIFIED: ${original.fileId}`);
    const unknown = await cli('proof', keccak256(toHex('nothing')), '--config', devnet.clientConfigPath);
    expect(unknown.code).to.equal(1);
    expect(unknown.out).to.contain('NOT VERIFIED');
  });

  it('refuses what a host swapped at rest: no proof for a replaced ciphertext or an altered manifest', async () => {
    const enclave = await attestEnclave(contributor);
    const [alice] = devnet.contributors;
    const swappedCiphertext = await sealFile(contributor, enclave, alice!, join(SPEECH, 'ast-vm-sorry.wav'), 'en');
    const swappedManifest = await sealFile(contributor, enclave, alice!, join(SPEECH, 'ast-demo-nomatch.wav'), 'en');
    // While the enclave is down the uploads wait in the queue, where the host can tamper with them.
    await devnet.killEnclave();
    for (const sealed of [swappedCiphertext, swappedManifest]) await contributor.host.upload(sealed.header, sealed.ciphertext);
    const hostDir = join(devnet.dataDir, 'host');
    const fileId = swappedCiphertext.header.manifest.ciphertextSha256;
    const blob = readdirSync(join(hostDir, 'blobs'), { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(fileId.slice(2)))!;
    const bytes = readFileSync(join(hostDir, 'blobs', blob));
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(join(hostDir, 'blobs', blob), bytes);
    const db = new Database(join(hostDir, 'host.sqlite'));
    db.pragma('busy_timeout = 5000');
    const id = swappedManifest.header.manifest.ciphertextSha256;
    const manifest = JSON.parse(db.prepare('SELECT manifest_json FROM contributions WHERE file_id = ?').pluck().get(id) as string) as Record<string, unknown>;
    db.prepare('UPDATE contributions SET manifest_json = ? WHERE file_id = ?').run(JSON.stringify({ ...manifest, language: 'fr' }), id);
    db.close();
    await devnet.startEnclave();

    for (const [sealed, expected] of [
      [swappedCiphertext, /^ENVELOPE_(CIPHERTEXT_INVALID|CIPHERTEXT_HASH_MISMATCH)$/],
      [swappedManifest, /^ENVELOPE_MANIFEST_SIGNATURE_INVALID$/],
    ] as const) {
      const fid = sealed.header.manifest.ciphertextSha256;
      const status = await until(`the refusal of ${fid}`, async () => {
        const s = await contributor.host.status(fid);
        return s.status === 'failed' ? s : undefined;
      });
      expect(status.errorCode).to.match(expected);
      expect((await record(fid)).recordedAt).to.equal(0n);
    }
  });

  it('completes every file exactly once when the enclave is killed mid-queue and restarted', async () => {
    const enclave = await attestEnclave(contributor);
    const [, , , , , frank] = devnet.contributors;
    const clips = ['ast-confbridge-dec-talk-vol-out.wav', 'ast-confbridge-inc-talk-vol-out.wav', 'ast-vm-newpassword.wav', 'ast-dir-nomore.wav', 'ast-agent-pass.wav'];
    const fileIds: Hex[] = [];
    for (const clip of clips) {
      const sealed = await sealFile(contributor, enclave, frank!, join(SPEECH, clip), 'en');
      await contributor.host.upload(sealed.header, sealed.ciphertext);
      fileIds.push(sealed.header.manifest.ciphertextSha256);
    }
    await until('the first proof', async () => ((await contributor.host.status(fileIds[0]!)).status === 'submitted' ? true : undefined));
    await devnet.killEnclave();
    const pending = (await Promise.all(fileIds.map((f) => contributor.host.status(f)))).filter((s) => s.status !== 'submitted');
    expect(pending.length, 'files left when the enclave died').to.be.greaterThan(0);
    await devnet.startEnclave();
    await until('every file on chain', async () => {
      const states = await Promise.all(fileIds.map((f) => contributor.host.status(f)));
      if (states.some((s) => s.status === 'failed')) throw new Error(`a file failed: ${JSON.stringify(states.map((s) => [s.status, s.errorCode]))}`);
      return states.every((s) => s.status === 'submitted') ? true : undefined;
    });
    for (const fileId of fileIds) expect(await proofEvents(fileId), fileId).to.have.length(1);

    // The enclave's sealed state, kept by the host, brought its fingerprint index through both
    // restarts: a band-limited copy of a file scored before them is still caught.
    const copy = await sealFile(contributor, await attestEnclave(contributor), frank!, join(SPEECH, 'copy-resampled11k-ast-demo-nogo.wav'), 'en');
    await contributor.host.upload(copy.header, copy.ciphertext);
    const copyId = copy.header.manifest.ciphertextSha256;
    await until('the copy on chain', async () => ((await contributor.host.status(copyId)).status === 'submitted' ? true : undefined));
    expect((await record(copyId)).uniqueness).to.equal(0);
    // Every restart booted a new signer, and the host registered each under the approved measurement.
    const signers = new Set((await Promise.all(fileIds.map(record))).map((r) => r.signer));
    for (const signer of signers) {
      const registration = await contributor.client.readContract({ address: contributor.config.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'signer', args: [signer] });
      expect(registration.measurementId).to.equal(devnet.deployment.measurementId);
    }
  });
});
