// `audata verify-attestation`: a thin shell over verifyAttestation for auditors and scripts.
// Exit 0 valid, 1 invalid (a malformed document is invalid), 2 usage error; `--json` prints
// exactly one object on stdout, warnings go to stderr.
import { readFile } from 'node:fs/promises';
import { CliUsageError, EXIT_INVALID, EXIT_OK, parseCli, runCliCommand, type CliCommand, type CliIo } from '@audata/wire';
import { VerifierError } from '../errors.ts';
import { loadTrustedRoot, type TrustedRoot } from '../trusted-root.ts';
import { verifyAttestation, type VerifiedAttestation, type VerifyAttestationOptions } from '../verify-attestation.ts';

export const VERIFY_ATTESTATION_USAGE =
  'audata verify-attestation FILE [--at MS|ISO | --at-document-time] [--root CERT] [--expect-pcr N=HEX]... [--allow-debug] [--nonce HEX] [--max-age-ms N] [--json]';

const HELP = `Usage: ${VERIFY_ATTESTATION_USAGE}

Verifies an AWS Nitro Enclaves attestation document (COSE_Sign1) against the AWS Nitro root G1.

  FILE                 the document: raw CBOR, base64 or hex (detected)
  --at MS|ISO          verification time (default: now), epoch milliseconds or ISO 8601
  --at-document-time   verify an archived document at its own timestamp
  --root CERT          trust this root (PEM or DER) instead of the AWS Nitro root G1
  --expect-pcr N=HEX   require PCR N to equal HEX (repeatable)
  --allow-debug        accept a debug-mode enclave (PCR0 all zero)
  --nonce HEX          require this nonce
  --max-age-ms N       refuse a document older than N ms at the verification time
  --json               print one JSON object: valid, error, moduleId, timestamp, pcrs, debug, publicKey, userData, nonce

Exit status: 0 valid, 1 invalid, 2 usage error.
`;

const OPTIONS = {
  at: { type: 'string' },
  'at-document-time': { type: 'boolean' },
  root: { type: 'string' },
  'expect-pcr': { type: 'string', multiple: true },
  'allow-debug': { type: 'boolean' },
  nonce: { type: 'string' },
  'max-age-ms': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usageError(message: string): CliUsageError {
  return new CliUsageError(message, VERIFY_ATTESTATION_USAGE);
}

function parseHex(value: string, what: string): Uint8Array {
  const text = value.startsWith('0x') ? value.slice(2) : value;
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw usageError(`${what} must be hex, received "${value}".`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function parseAt(value: string): Date {
  const at = /^\d+$/.test(value) ? new Date(Number(value)) : /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (!Number.isFinite(at.getTime())) throw usageError(`--at must be epoch milliseconds or an ISO 8601 time, received "${value}".`);
  return at;
}

function parsePcr(value: string): [number, Uint8Array] {
  const match = /^(\d{1,2})=(.*)$/.exec(value);
  const index = match === null ? Number.NaN : Number(match[1]);
  if (match === null || index > 31) throw usageError(`--expect-pcr must be N=HEX with N in 0..31, received "${value}".`);
  const bytes = parseHex(match[2]!, `--expect-pcr ${index}`);
  if (![32, 48, 64].includes(bytes.length)) throw usageError(`--expect-pcr ${index} must be 32, 48 or 64 bytes, received ${bytes.length}.`);
  return [index, bytes];
}

/**
 * The document bytes from a file holding raw CBOR, hex or base64. A COSE_Sign1 starts with
 * 0x84 (array of 4) or 0xd2 (tag 18), neither of which begins any hex or base64 text.
 */
export function decodeDocumentFile(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0 || bytes[0] === 0x84 || bytes[0] === 0xd2) return bytes;
  const text = Buffer.from(bytes).toString('latin1').replace(/\s+/g, '');
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (hex.length > 0 && /^([0-9a-fA-F]{2})+$/.test(hex)) return new Uint8Array(Buffer.from(hex, 'hex'));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return new Uint8Array(Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64'));
  return bytes;
}

const hexOf = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString('hex'));

export interface VerifyAttestationJson {
  valid: boolean;
  error: { code: string; message: string } | null;
  moduleId: string | null;
  timestamp: number | null;
  pcrs: Record<string, string>;
  debug: boolean;
  publicKey: string | null;
  userData: string | null;
  nonce: string | null;
}

/** The `--json` object; an invalid document reports no fields, since none of them is proven. */
export function attestationJson(result: VerifiedAttestation | null, error: VerifierError | null): VerifyAttestationJson {
  return {
    valid: result !== null,
    error: error === null ? null : { code: error.code, message: error.message },
    moduleId: result?.moduleId ?? null,
    timestamp: result?.timestamp ?? null,
    pcrs: result === null ? {} : Object.fromEntries([...result.pcrs].sort(([a], [b]) => a - b).map(([index, value]) => [String(index), hexOf(value)!])),
    debug: result?.debug ?? false,
    publicKey: hexOf(result?.publicKey ?? null),
    userData: hexOf(result?.userData ?? null),
    nonce: hexOf(result?.nonce ?? null),
  };
}

function describeResult(result: VerifiedAttestation): string {
  const lines = [
    'VALID attestation document',
    `  module:     ${result.moduleId}`,
    `  timestamp:  ${result.timestamp} (${new Date(result.timestamp).toISOString()})`,
    `  checked at: ${result.verifiedAt.toISOString()}${result.atDocumentTime ? ' (the document\'s own time, as asked)' : ''}`,
    `  root:       ${result.root.isAwsNitroRoot ? 'AWS Nitro root G1' : 'NON-AWS root'} (DER SHA-256 ${result.root.sha256})`,
    `  debug:      ${result.debug ? 'YES (debug-mode enclave, allowed by --allow-debug)' : 'no'}`,
    ...[...result.pcrs].sort(([a], [b]) => a - b).map(([index, value]) => `  PCR${String(index).padEnd(2)}      ${hexOf(value)}`),
    `  public_key: ${hexOf(result.publicKey) ?? '-'}`,
    `  user_data:  ${hexOf(result.userData) ?? '-'}`,
    `  nonce:      ${hexOf(result.nonce) ?? '-'}`,
  ];
  return `${lines.join('\n')}\n`;
}

function devRootWarning(root: TrustedRoot): string {
  return [
    '!!! WARNING: verifying against a root that is NOT the AWS Nitro root G1',
    `!!! (DER SHA-256 ${root.sha256}).`,
    '!!! A document it accepts does NOT prove a genuine Nitro enclave: use this only for development.',
    '',
  ].join('\n');
}

async function readArgumentFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw usageError(`Cannot read ${what} "${path}": ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
}

export interface VerifyAttestationCommandDeps {
  /** The clock for the default verification time. */
  now?: () => Date;
}

export function createVerifyAttestationCommand(deps: VerifyAttestationCommandDeps = {}): CliCommand {
  const now = deps.now ?? (() => new Date());
  return (argv: readonly string[], io: CliIo) =>
    runCliCommand(io, async () => {
      const { values, positionals } = parseCli(argv, OPTIONS, VERIFY_ATTESTATION_USAGE);
      if (values.help === true) {
        io.stdout(HELP);
        return EXIT_OK;
      }
      if (positionals.length !== 1) throw usageError(`Expected exactly one FILE, received ${positionals.length}.`);
      if (values.at !== undefined && values['at-document-time'] === true) throw usageError('Use either --at or --at-document-time, not both.');

      const options: VerifyAttestationOptions = {
        at: values['at-document-time'] === true ? 'document-time' : values.at !== undefined ? parseAt(values.at) : now(),
        allowDebug: values['allow-debug'] === true,
      };
      if (values['expect-pcr'] !== undefined) {
        const pcrs = new Map<number, Uint8Array>();
        for (const item of values['expect-pcr']) {
          const [index, bytes] = parsePcr(item);
          if (pcrs.has(index)) throw usageError(`--expect-pcr ${index} is given twice.`);
          pcrs.set(index, bytes);
        }
        options.expectedPcrs = pcrs;
      }
      if (values.nonce !== undefined) options.expectedNonce = parseHex(values.nonce, '--nonce');
      if (values['max-age-ms'] !== undefined) {
        if (!/^\d+$/.test(values['max-age-ms'])) throw usageError(`--max-age-ms must be a non-negative integer, received "${values['max-age-ms']}".`);
        options.maxAgeMs = Number(values['max-age-ms']);
      }
      if (values.root !== undefined) {
        let root: TrustedRoot;
        try {
          root = loadTrustedRoot(await readArgumentFile(values.root, 'root certificate'));
        } catch (error) {
          if (error instanceof VerifierError) throw usageError(`--root ${values.root}: ${error.message}`);
          throw error;
        }
        options.root = root.der;
        if (!root.isAwsNitroRoot) io.stderr(devRootWarning(root));
      }
      const document = decodeDocumentFile(await readArgumentFile(positionals[0]!, 'document'));

      let result: VerifiedAttestation | null = null;
      let failure: VerifierError | null = null;
      try {
        result = verifyAttestation(document, options);
      } catch (error) {
        if (!(error instanceof VerifierError)) throw error;
        failure = error;
      }
      if (values.json === true) io.stdout(`${JSON.stringify(attestationJson(result, failure))}\n`);
      else if (result !== null) io.stdout(describeResult(result));
      else io.stderr(`INVALID attestation document: ${failure!.describe()}\n`);
      return result === null ? EXIT_INVALID : EXIT_OK;
    });
}

export const verifyAttestationCommand: CliCommand = createVerifyAttestationCommand();
