// `audata proof`: checks a file's proof trusting nothing but the chain and the attestation:
// the on-chain record, the enclave's EIP-712 signature over the recorded proof, the signer's
// registration under an approved measurement, and the attestation document that binds it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeFunctionData, hashStruct, isAddressEqual, recoverTypedDataAddress, type Chain, type Hex, type PublicClient, type Transport } from 'viem';
import { proofTypes, registryDomain, type ContributionProof } from '@audata/wire';
import { contributionRegistryAbi, enclaveRegistryAbi, MEASUREMENT_APPROVED } from './chain.ts';
import type { ClientConfig } from './config.ts';
import { verifyEnclave } from './enclave-trust.ts';
import { readFileRecord, type FileRecord } from './contribute.ts';

export interface AuditCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProofAudit {
  fileId: Hex;
  ok: boolean;
  checks: AuditCheck[];
  record?: FileRecord;
  proof?: ContributionProof;
  txHash?: Hex;
}

export interface AuditParams {
  client: PublicClient<Transport, Chain>;
  config: Pick<ClientConfig, 'enclaveRegistry' | 'contributionRegistry'>;
  fileId: Hex;
  root?: Uint8Array;
  /** Fetches the registered attestation document (default: file:// and http(s):// URIs). */
  fetchDocument?: (uri: string) => Promise<Uint8Array>;
}

async function defaultFetchDocument(uri: string): Promise<Uint8Array> {
  if (uri.startsWith('file:')) return new Uint8Array(readFileSync(fileURLToPath(uri)));
  if (uri.startsWith('http://') || uri.startsWith('https://')) {
    const response = await fetch(uri);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new Error(`no way to fetch ${uri}`);
}

export async function auditProof(params: AuditParams): Promise<ProofAudit> {
  const { client, config, fileId } = params;
  const checks: AuditCheck[] = [];
  const audit: ProofAudit = { fileId, ok: false, checks };
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    return ok;
  };

  const record = await readFileRecord(client, config.contributionRegistry, fileId);
  audit.record = record;
  if (!check('recorded on chain', record.recordedAt !== 0n, record.recordedAt === 0n ? 'ContributionRegistry holds no proof for this file' : `recorded at ${new Date(Number(record.recordedAt) * 1000).toISOString()}${record.revoked ? ', REVOKED by its contributor since' : ''}`)) return audit;

  const logs = await client.getContractEvents({ address: config.contributionRegistry, abi: contributionRegistryAbi, eventName: 'ProofRecorded', args: { fileId }, fromBlock: 0n, toBlock: 'latest' });
  const log = logs[0];
  if (!check('proof event', logs.length === 1 && log?.args.proof !== undefined, `${logs.length} ProofRecorded event(s)`) || log === undefined) return audit;
  const proof = log.args.proof as ContributionProof;
  audit.proof = proof;
  audit.txHash = log.transactionHash;
  const proofHash = hashStruct({ types: proofTypes, primaryType: 'ContributionProof', data: proof });
  check('proof hash', proofHash === record.proofHash, `EIP-712 struct hash ${proofHash}${proofHash === record.proofHash ? ' matches the record' : ` differs from the record's ${record.proofHash}`}`);

  const tx = await client.getTransaction({ hash: log.transactionHash });
  const call = decodeFunctionData({ abi: contributionRegistryAbi, data: tx.input });
  const signature = call.functionName === 'submitProof' ? (call.args[1] as Hex) : undefined;
  let recovered: string = 'nothing';
  if (signature !== undefined) {
    try {
      recovered = await recoverTypedDataAddress({ domain: registryDomain(client.chain.id, config.contributionRegistry), types: proofTypes, primaryType: 'ContributionProof', message: proof, signature });
    } catch {
      recovered = 'no address (malformed signature)';
    }
  }
  check('enclave signature', recovered !== 'nothing' && recovered.startsWith('0x') && isAddressEqual(recovered as Hex, record.signer), `the proof's signature recovers ${recovered}; the record names ${record.signer}`);

  const registration = await client.readContract({ address: config.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'signer', args: [record.signer] });
  const measurement = await client.readContract({ address: config.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'measurement', args: [registration.measurementId] });
  const registeredOk = registration.registeredAt !== 0n && registration.registeredAt <= record.recordedAt && !registration.revoked && measurement.status === MEASUREMENT_APPROVED;
  check(
    'signer registration',
    registeredOk,
    registration.registeredAt === 0n
      ? 'the signer was never registered'
      : `registered under measurement ${registration.measurementId} (${measurement.status === MEASUREMENT_APPROVED ? 'approved' : 'NOT approved now'})${registration.revoked ? ', signer REVOKED' : ''}`,
  );
  if (registration.registeredAt === 0n) return audit;

  let document: Uint8Array | undefined;
  try {
    document = await (params.fetchDocument ?? defaultFetchDocument)(registration.attestationUri);
  } catch (error) {
    check('attestation document', false, `${registration.attestationUri} cannot be fetched: ${error instanceof Error ? error.message : String(error)}`);
    return audit;
  }
  const sha256 = `0x${createHash('sha256').update(document).digest('hex')}`;
  if (!check('attestation document', sha256 === registration.attestationSha256, `SHA-256 ${sha256}${sha256 === registration.attestationSha256 ? ' as registered' : `, registered ${registration.attestationSha256}`}`)) return audit;
  try {
    const trusted = await verifyEnclave({ document, client, enclaveRegistry: config.enclaveRegistry, ...(params.root === undefined ? {} : { root: params.root }), at: 'document-time' });
    const bound = isAddressEqual(trusted.binding.signer, record.signer) && trusted.measurementId === registration.measurementId;
    check('attestation binding', bound, `the document (checked at its own time) binds signer ${trusted.binding.signer} and pipeline ${trusted.binding.pipelineVersion} under measurement ${trusted.measurementId}`);
    check('pipeline version', trusted.binding.pipelineVersion === proof.pipelineVersion, `proof ${proof.pipelineVersion}, attested ${trusted.binding.pipelineVersion}`);
  } catch (error) {
    check('attestation binding', false, error instanceof Error ? ((error as { code?: string }).code ?? '') + ' ' + error.message : String(error));
  }
  audit.ok = checks.every((c) => c.ok);
  return audit;
}
