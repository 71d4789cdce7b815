// `audata audit verify LOG_FILE | --host URL`: replays the enclave's hash-chained audit log (from
// a file, or every page of the host's GET /v1/audit) and checks its links, order, signed heads
// against the enclave signers, and the anchors: from a file offline, or read from AuditAnchor's
// events on chain (each by a registered enclave signer). The host is not trusted for the log.
import { readFileSync } from 'node:fs';
import { isAddress, isHex, type Address, type Hex } from 'viem';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand } from '@audata/wire';
import { auditAnchorsOf, auditDomain, readStateAnchors, registeredSigners, verifyAuditLog, type AuditAnchor, type AuditLogExport } from '@audata/verifier/audit';
import { JobInputError } from '../jobs/errors.ts';
import { publicClientFor } from '../sdk/chain.ts';
import { HostApi } from '../sdk/host-api.ts';

const USAGE =
  'audata audit verify (LOG_FILE | --host URL) --signer ADDR [--signer ADDR ...] --chain-id N [--anchors FILE] [--rpc URL --audit-anchor ADDR --dataset-key HEX [--enclave-registry ADDR] [--from-block N]] [--json]';
/** An audit log is a few hundred bytes per entry; a file far past this is not one to replay. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new JobInputError(`${what} ${path}`, `is ${bytes.length} bytes, over the ${MAX_FILE_BYTES}-byte cap`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof JobInputError) throw error;
    throw new JobInputError(`${what} ${path}`, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new JobInputError(`${what} ${path}`, 'is not JSON');
  }
}

function anchorsOf(raw: unknown, path: string): AuditAnchor[] {
  if (!Array.isArray(raw)) throw new JobInputError(`The anchors file ${path}`, 'is not a JSON list of { seq, head }');
  return raw.map((a: unknown, i) => {
    const r = a as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r['seq']) || typeof r['head'] !== 'string') {
      throw new JobInputError(`The anchors file ${path}`, `has entry ${i} that is not { seq, head }`);
    }
    return { seq: r['seq'] as number, head: r['head'] as `0x${string}` };
  });
}

export const audit: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(
      argv,
      {
        signer: { type: 'string', multiple: true }, 'chain-id': { type: 'string' }, host: { type: 'string' }, anchors: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        rpc: { type: 'string' }, 'audit-anchor': { type: 'string' }, 'dataset-key': { type: 'string' }, 'enclave-registry': { type: 'string' }, 'from-block': { type: 'string' },
      },
      USAGE,
    );
    if (values.help === true) {
      io.stdout(
        `Usage: ${USAGE}\n\nReplays an exported audit log ({ entries, heads }) from LOG_FILE, or the one the host at --host keeps\n(GET /v1/audit, every page): entry form, order, hash links, time order,\nsigned heads (EIP-712, domain "Audata AuditLog" on --chain-id) by one of the --signer addresses,\nand each (seq, head) anchor from --anchors. With --audit-anchor, also every anchor of --dataset-key\nfrom AuditAnchor's StateAnchored events over --rpc: its head must be the replayed log's at its\nentry count, and its signer one of the --signer addresses or, with --enclave-registry, any signer\nthe EnclaveRegistry registered. Exit 0 only when every check passes.\n`,
      );
      return EXIT_OK;
    }
    const fromHost = values.host;
    if (positionals[0] !== 'verify' || positionals.length !== (fromHost === undefined ? 2 : 1)) throw new CliUsageError('Expected: verify LOG_FILE, or verify --host URL.', USAGE);
    if (fromHost !== undefined && !/^https?:\/\/[^\s]+$/.test(fromHost)) throw new CliUsageError('--host must be an http(s) URL.', USAGE);
    const signers = values.signer ?? [];
    if (signers.length === 0 || !signers.every((s) => isAddress(s))) throw new CliUsageError('Pass at least one --signer, each a 20-byte hex address.', USAGE);
    const chainId = Number(values['chain-id']);
    if (values['chain-id'] === undefined || !Number.isSafeInteger(chainId) || chainId < 1) throw new CliUsageError('--chain-id must be a positive integer.', USAGE);
    const log = fromHost === undefined ? (readJson(positionals[1]!, 'The audit log') as AuditLogExport) : await new HostApi(fromHost.replace(/\/+$/, '')).auditLog();
    const anchors: AuditAnchor[] = values.anchors === undefined ? [] : anchorsOf(readJson(values.anchors, 'The anchors file'), values.anchors);
    let anchorSigners: Address[] = signers as Address[];
    let onChain = 0;
    if (values['audit-anchor'] !== undefined) {
      const contract = values['audit-anchor'];
      const datasetKey = values['dataset-key'];
      const registry = values['enclave-registry'];
      if (!isAddress(contract)) throw new CliUsageError('--audit-anchor must be a 20-byte hex address.', USAGE);
      if (datasetKey === undefined || !isHex(datasetKey) || datasetKey.length !== 66) throw new CliUsageError('--dataset-key must be the 32-byte hex dataset key.', USAGE);
      if (values.rpc === undefined) throw new CliUsageError('--audit-anchor needs --rpc.', USAGE);
      if (registry !== undefined && !isAddress(registry)) throw new CliUsageError('--enclave-registry must be a 20-byte hex address.', USAGE);
      const fromBlock = values['from-block'] === undefined ? 0n : /^[0-9]{1,20}$/.test(values['from-block']) ? BigInt(values['from-block']) : undefined;
      if (fromBlock === undefined) throw new CliUsageError('--from-block must be a block number.', USAGE);
      const client = await publicClientFor(values.rpc);
      const chainAnchors = await readStateAnchors(client, { contract, datasetKey: datasetKey as Hex, fromBlock });
      onChain = chainAnchors.length;
      anchors.push(...auditAnchorsOf(chainAnchors));
      if (registry !== undefined) anchorSigners = [...anchorSigners, ...(await registeredSigners(client, registry, chainAnchors.map((a) => a.signer)))];
    }
    const verdict = await verifyAuditLog(log, { signers: signers as Address[], anchorSigners, domain: auditDomain(chainId), anchors });
    if (values.json === true) io.stdout(`${JSON.stringify(values['audit-anchor'] === undefined ? verdict : { ...verdict, chainAnchors: onChain })}\n`);
    else {
      io.stdout(`audit log OK: ${verdict.entries} entries, head ${verdict.head}\n`);
      io.stdout(`signed through seq ${verdict.signedThrough}, anchored through seq ${verdict.anchoredThrough}\n`);
      if (values['audit-anchor'] !== undefined) io.stdout(`${onChain} anchor(s) read from AuditAnchor, each matching the log and signed by a registered enclave key\n`);
      if (verdict.signedThrough < verdict.entries - 1) io.stdout(`entries after seq ${verdict.signedThrough} are covered by the hash chain only, not yet by a signature\n`);
    }
    return EXIT_OK;
  });
