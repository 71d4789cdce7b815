// The `make run` scenario: several contributors send real recorded speech through the whole
// system, one sends a re-encoded copy of an earlier file and one a synthetic (espeak) clip, a
// file is revoked, and every proof is audited as `audata proof` does. Each step says what it
// checked; the scenario passes only if every check held.
import { join } from 'node:path';
import { createWalletClient, http, type Hex } from 'viem';
import type { HDAccount } from 'viem/accounts';
import { auditProof } from '../../client/src/sdk/audit-proof.ts';
import { publicClientFor, contributionRegistryAbi } from '../../client/src/sdk/chain.ts';
import { loadClientConfig, loadDevRoot } from '../../client/src/sdk/config.ts';
import { attestEnclave, awaitRecord, readFileRecord, scoreBreakdown, sealFile, percent, type FileRecord } from '../../client/src/sdk/contribute.ts';
import { HostApi } from '../../client/src/sdk/host-api.ts';
import { main as audataCli } from '../../client/src/cli/main.ts';
import { registeredSigners } from '@audata/verifier/audit';
import { runBuyer, type BuyerOutcome } from './buyer.ts';
import { ROOT, type Devnet } from './devnet.ts';

const SPEECH = join(ROOT, 'enclave', 'test-vectors', 'speech');

export interface Upload {
  who: string;
  account: HDAccount;
  clip: string;
  kind: 'speech' | 'duplicate' | 'synthetic';
  /** The language the contributor declares in the signed manifest (default en). */
  language?: string;
}

export interface StepResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  ok: boolean;
  steps: StepResult[];
  files: { upload: Upload; fileId: Hex; record: FileRecord; ms: number }[];
  /** The file the scenario revoked, once the chain says it is. */
  revokedFile?: Hex;
  /** The buyer's run, when it got to the end. */
  buyer?: BuyerOutcome;
}

export function scenarioUploads(contributors: readonly HDAccount[]): Upload[] {
  const [alice, bob, carol, dave, erin, frank] = contributors as [HDAccount, HDAccount, HDAccount, HDAccount, HDAccount, HDAccount];
  return [
    { who: 'alice', account: alice, clip: 'ast-demo-nogo.wav', kind: 'speech' },
    { who: 'alice', account: alice, clip: 'ast-vm-newpassword.wav', kind: 'speech' },
    { who: 'bob', account: bob, clip: 'ast-agent-pass.wav', kind: 'speech' },
    { who: 'bob', account: bob, clip: 'ast-dir-nomore.wav', kind: 'speech' },
    { who: 'carol', account: carol, clip: 'ast-conf-onlyperson.wav', kind: 'speech' },
    { who: 'dave', account: dave, clip: 'copy-opus16k-ast-demo-nogo.wav', kind: 'duplicate' },
    { who: 'erin', account: erin, clip: 'espeak-1.wav', kind: 'synthetic' },
    // German (eSpeak NG's de voice): the second class of the buyer's language classifier.
    { who: 'frank', account: frank, clip: 'espeak-de-1.wav', kind: 'synthetic', language: 'de' },
    { who: 'frank', account: frank, clip: 'espeak-de-2.wav', kind: 'synthetic', language: 'de' },
    { who: 'frank', account: frank, clip: 'espeak-de-3.wav', kind: 'synthetic', language: 'de' },
  ];
}

export async function runScenario(devnet: Devnet, print: (line: string) => void, options: { uploads?: Upload[]; revoke?: boolean; buyer?: boolean } = {}): Promise<ScenarioResult> {
  const steps: StepResult[] = [];
  const step = (name: string, ok: boolean, detail: string) => {
    steps.push({ name, ok, detail });
    print(`${ok ? '  ✔' : '  ✘'} ${name}: ${detail}`);
    return ok;
  };
  const config = loadClientConfig(devnet.clientConfigPath);
  const root = loadDevRoot(config, () => undefined);
  const client = await publicClientFor(config.rpcUrl);
  const contributor = { config, client, host: new HostApi(config.hostUrl), ...(root === undefined ? {} : { root }) };

  print('1. A contributor device checks the enclave (fresh nonce; measurement and signer read from the chain, not from the host)');
  const enclave = await attestEnclave(contributor);
  step('attestation', true, `measurement ${enclave.measurementId.slice(0, 18)}... approved on chain; signer ${enclave.binding.signer} registered; dataset key ${enclave.binding.datasetKey.slice(0, 18)}...`);

  const uploads = options.uploads ?? scenarioUploads(devnet.contributors);
  const files: ScenarioResult['files'] = [];
  print(`2. ${uploads.length} recordings are sealed on their owners' devices, uploaded, scored in the enclave and recorded on chain`);
  for (const [i, upload] of uploads.entries()) {
    const started = performance.now();
    const sealed = await sealFile(contributor, enclave, upload.account, join(SPEECH, upload.clip), upload.language ?? 'en');
    const fileId = sealed.header.manifest.ciphertextSha256;
    await contributor.host.upload(sealed.header, sealed.ciphertext);
    try {
      const { record } = await awaitRecord(contributor, enclave, sealed, { timeoutMs: 60_000 });
      const ms = performance.now() - started;
      files.push({ upload, fileId, record, ms });
      step(`[${i + 1}/${uploads.length}] ${upload.who} ${upload.clip}`, record.recordedAt !== 0n, `${scoreBreakdown(record)} (${Math.round(ms)} ms)`);
    } catch (error) {
      step(`[${i + 1}/${uploads.length}] ${upload.who} ${upload.clip}`, false, error instanceof Error ? error.message : String(error));
    }
  }

  print('3. What the pipeline found, as the chain records it');
  const speech = files.filter((f) => f.upload.kind === 'speech');
  for (const f of files.filter((x) => x.upload.kind === 'duplicate')) {
    step('re-encoded copy scores zero uniqueness', f.record.uniqueness === 0, `${f.upload.clip}: uniqueness ${percent(f.record.uniqueness)}, reward score ${percent(f.record.score)}`);
  }
  for (const f of files.filter((x) => x.upload.kind === 'synthetic')) {
    const lowest = Math.min(...speech.map((s) => s.record.authenticity));
    step('synthetic voice scores low authenticity', f.record.authenticity < 2500 && f.record.authenticity < lowest, `${f.upload.clip}: authenticity ${percent(f.record.authenticity)}, real speech at least ${percent(lowest)}`);
  }
  step('real speech is valid and unique', speech.length > 0 && speech.every((s) => s.record.valid && s.record.uniqueness > 5000), speech.map((s) => `${s.upload.clip} ${percent(s.record.score)}`).join(', '));

  let revokedFile: Hex | undefined;
  if (options.revoke !== false) {
    const target = files.find((f) => f.upload.who === 'bob' && f.upload.clip === 'ast-dir-nomore.wav') ?? files[0];
    if (target !== undefined) {
      print(`4. ${target.upload.who} revokes ${target.upload.clip}`);
      const wallet = createWalletClient({ chain: client.chain, transport: http(config.rpcUrl), account: target.upload.account });
      const hash = await wallet.writeContract({ address: config.contributionRegistry, abi: contributionRegistryAbi, functionName: 'revokeFile', args: [target.fileId] });
      await client.waitForTransactionReceipt({ hash });
      const after = await readFileRecord(client, config.contributionRegistry, target.fileId);
      if (after.revoked) revokedFile = target.fileId;
      step('revocation on chain', after.revoked, `${target.fileId.slice(0, 18)}... revoked in ${hash.slice(0, 18)}...`);
    }
  }

  print('5. An auditor checks every proof from the chain and the attestation alone (audata proof)');
  for (const f of files) {
    const audit = await auditProof({ client, config, fileId: f.fileId, ...(root === undefined ? {} : { root }) });
    const failed = audit.checks.filter((c) => !c.ok);
    step(`audit ${f.upload.clip}`, audit.ok, audit.ok ? `${audit.checks.length} checks passed` : failed.map((c) => `${c.name}: ${c.detail}`).join('; '));
  }
  let buyer: BuyerOutcome | undefined;
  if (options.buyer !== false && files.length === uploads.length) {
    const used = files.map((f) => ({ who: f.upload.who, account: f.upload.account, fileId: f.fileId, language: f.upload.language ?? 'en', revoked: f.fileId === revokedFile }));
    try {
      buyer = await runBuyer(devnet, used, devnet.contributors[6]!, print, step);
    } catch (error) {
      step('buyer job', false, error instanceof Error ? error.message : String(error));
    }
  }

  print('9. An auditor replays the enclave\'s audit log against the heads anchored on chain (audata audit verify)');
  await auditAnchoredLog(devnet, enclave.binding, step);
  return { ok: steps.every((s) => s.ok) && files.length === uploads.length, steps, files, ...(revokedFile === undefined ? {} : { revokedFile }), ...(buyer === undefined ? {} : { buyer }) };
}

const auditAnchorLatestAbi = [
  {
    type: 'function', name: 'latest', stateMutability: 'view', inputs: [{ name: 'datasetKey', type: 'bytes32' }],
    outputs: [{ type: 'tuple', components: [{ name: 'stateSha256', type: 'bytes32' }, { name: 'auditHead', type: 'bytes32' }, { name: 'stateCounter', type: 'uint64' }, { name: 'auditEntries', type: 'uint64' }, { name: 'anchoredAt', type: 'uint64' }] }],
  },
] as const;

/**
 * The host anchors every state (devnet cadence); once the anchors reach the end of the log the
 * host keeps (it arrives with the enclave's states, GET /v1/audit), the log is replayed as an
 * auditor would, with `audata audit verify --host`: hash links, signed heads by a registered
 * enclave key, and every anchored head of this dataset at its entry count.
 */
async function auditAnchoredLog(devnet: Devnet, binding: { datasetKey: Hex; signer: Hex }, step: (name: string, ok: boolean, detail: string) => boolean): Promise<void> {
  const { datasetKey } = binding;
  const host = new HostApi(devnet.hostUrl);
  const contract = devnet.deployment.addresses.auditAnchor;
  // Anchoring runs after each stored state; wait until the latest anchor stops moving. Every
  // reply that logs an entry carries a state, so the anchors reach the last entry (the receipt).
  let anchored = -1n;
  let entries = 0;
  for (let stable = 0, tries = 0; stable < 5 && tries < 100; tries++, await new Promise((r) => setTimeout(r, 200))) {
    entries = (await host.auditLog()).entries.length;
    const now = (await devnet.publicClient.readContract({ address: contract, abi: auditAnchorLatestAbi, functionName: 'latest', args: [datasetKey] })).auditEntries;
    stable = now === anchored ? stable + 1 : 0;
    anchored = now;
    if (anchored >= BigInt(entries)) break;
  }
  step('state anchored on chain', anchored > 0n, `latest anchor covers ${anchored} of ${entries} audit entries${anchored < BigInt(entries) ? ` (${BigInt(entries) - anchored} not anchored)` : ''}`);
  const log = await host.auditLog();
  const signers = await registeredSigners(devnet.publicClient, devnet.deployment.addresses.enclaveRegistry, [binding.signer, ...log.heads.map((h) => h.signer)]);
  let out = '';
  let err = '';
  const code = await audataCli(
    [
      'audit', 'verify', '--host', devnet.hostUrl, ...signers.flatMap((s) => ['--signer', s]), '--chain-id', String(devnet.chain.id),
      '--rpc', devnet.rpcUrl, '--audit-anchor', contract, '--dataset-key', datasetKey, '--enclave-registry', devnet.deployment.addresses.enclaveRegistry, '--json',
    ],
    { stdout: (t) => void (out += t), stderr: (t) => void (err += t) },
  );
  if (code !== 0) {
    step('audit log replay', false, err.trim());
    return;
  }
  const verdict = JSON.parse(out) as { entries: number; signedThrough: number; anchoredThrough: number; chainAnchors: number };
  const kinds = [...new Set(log.entries.map((e) => e.kind))].join(', ');
  step(
    'audit log replay',
    verdict.chainAnchors > 0 && verdict.anchoredThrough === Number(anchored) - 1 && verdict.anchoredThrough === verdict.entries - 1,
    `${verdict.entries} entries (${kinds}) read from the host, signed through seq ${verdict.signedThrough}, ${verdict.chainAnchors} anchors on chain, anchored through seq ${verdict.anchoredThrough}`,
  );
}
