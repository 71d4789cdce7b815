// Verifies an AWS Nitro Enclaves attestation document as an ordered chain of checks (AWS
// aws-nitro-enclaves-nsm-api docs/attestation_process.md): decode, structure, chain,
// signature, policy. The first failing check throws its own VerifierError subclass.
import { createHash } from 'node:crypto';
import { checkPolicy, isDebugDocument, type AttestationPolicy } from './check-policy.ts';
import { decodeCoseSign1 } from './decode-cose-sign1.ts';
import { OptionsInvalidError } from './errors.ts';
import { parseAttestationDocument } from './parse-attestation-document.ts';
import { awsNitroRoot, certificateDer, loadTrustedRoot, type TrustedRoot } from './trusted-root.ts';
import { verifyCertChain } from './verify-cert-chain.ts';
import { verifyCoseSignature } from './verify-cose-signature.ts';
import { defaultVerifierCache, VerifierCache } from './verifier-cache.ts';

export type ExpectedPcrs = ReadonlyMap<number, Uint8Array | string> | Readonly<Record<number, Uint8Array | string>>;

export interface VerifyAttestationOptions extends Omit<AttestationPolicy, 'expectedPcrs'> {
  /**
   * The verification time: certificates must be valid then and the age is measured from it.
   * Default: now. 'document-time' checks an archived document at its own timestamp (an
   * explicit choice: a genuine leaf certificate lives about 3 hours).
   */
  at?: Date | 'document-time';
  /** Trust anchor (DER bytes, or PEM): default the pinned AWS Nitro root G1. */
  root?: Uint8Array | string;
  /** PCR index -> expected value (bytes or hex). */
  expectedPcrs?: ExpectedPcrs;
  /** Where proven certificates are remembered; default a process-wide cache, null for none. */
  cache?: VerifierCache | null;
}

export interface VerifiedAttestation {
  moduleId: string;
  /** Milliseconds since the Unix epoch, as the NSM wrote it. */
  timestamp: number;
  digest: 'SHA384';
  pcrs: Map<number, Uint8Array>;
  /** DER of the signing certificate. */
  certificate: Uint8Array;
  caBundle: Uint8Array[];
  publicKey: Uint8Array | null;
  userData: Uint8Array | null;
  nonce: Uint8Array | null;
  /** PCR0 all zero: a debug-mode enclave (accepted only with allowDebug). */
  debug: boolean;
  /** The time the certificates were checked against. */
  verifiedAt: Date;
  atDocumentTime: boolean;
  root: { sha256: string; isAwsNitroRoot: boolean };
}

const PCR_LENGTHS = new Set([32, 48, 64]);

function pcrBytes(index: number, value: Uint8Array | string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw new OptionsInvalidError(`expectedPcrs[${index}]`, 'hex', JSON.stringify(value.slice(0, 20)));
    bytes = new Uint8Array(Buffer.from(value, 'hex'));
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    throw new OptionsInvalidError(`expectedPcrs[${index}]`, 'bytes or hex', typeof value);
  }
  if (!PCR_LENGTHS.has(bytes.length)) throw new OptionsInvalidError(`expectedPcrs[${index}]`, '32, 48 or 64 bytes', `${bytes.length} bytes`);
  return bytes;
}

export function normalizeExpectedPcrs(expected: ExpectedPcrs): Map<number, Uint8Array> {
  const entries: [unknown, Uint8Array | string][] = expected instanceof Map ? [...expected.entries()] : Object.entries(expected);
  const pcrs = new Map<number, Uint8Array>();
  for (const [key, value] of entries) {
    const index = typeof key === 'number' ? key : /^\d{1,2}$/.test(String(key)) ? Number(key) : Number.NaN;
    if (!Number.isInteger(index) || index < 0 || index > 31) throw new OptionsInvalidError('expectedPcrs', 'PCR indexes 0..31', String(key));
    pcrs.set(index, pcrBytes(index, value));
  }
  return pcrs;
}

function resolveRoot(root: Uint8Array | string | undefined, cache: VerifierCache | null): TrustedRoot {
  if (root === undefined) return awsNitroRoot();
  if (!(root instanceof Uint8Array) && typeof root !== 'string') throw new OptionsInvalidError('root', 'DER bytes or PEM text', typeof root);
  const der = certificateDer(root);
  const key = createHash('sha256').update(der).digest('hex');
  const cached = cache?.getRoot(key);
  if (cached !== undefined) return cached;
  const loaded = loadTrustedRoot(der);
  cache?.setRoot(key, loaded);
  return loaded;
}

function checkOptions(options: VerifyAttestationOptions): void {
  if (options.at !== undefined && options.at !== 'document-time' && !(options.at instanceof Date && Number.isFinite(options.at.getTime()))) {
    throw new OptionsInvalidError('at', "a valid Date or 'document-time'", String(options.at));
  }
  for (const name of ['maxAgeMs', 'clockToleranceMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new OptionsInvalidError(name, 'a non-negative number of ms', String(value));
  }
  for (const name of ['expectedNonce', 'expectedPublicKey', 'expectedUserData'] as const) {
    const value = options[name];
    if (value !== undefined && !(value instanceof Uint8Array)) throw new OptionsInvalidError(name, 'a Uint8Array', typeof value);
  }
}

function policyOf(options: VerifyAttestationOptions, expectedPcrs: Map<number, Uint8Array> | undefined): AttestationPolicy {
  const policy: AttestationPolicy = {};
  if (expectedPcrs !== undefined) policy.expectedPcrs = expectedPcrs;
  if (options.allowDebug !== undefined) policy.allowDebug = options.allowDebug;
  if (options.expectedNonce !== undefined) policy.expectedNonce = options.expectedNonce;
  if (options.expectedPublicKey !== undefined) policy.expectedPublicKey = options.expectedPublicKey;
  if (options.expectedUserData !== undefined) policy.expectedUserData = options.expectedUserData;
  if (options.maxAgeMs !== undefined) policy.maxAgeMs = options.maxAgeMs;
  if (options.clockToleranceMs !== undefined) policy.clockToleranceMs = options.clockToleranceMs;
  return policy;
}

export function verifyAttestation(document: Uint8Array, options: VerifyAttestationOptions = {}): VerifiedAttestation {
  if (!(document instanceof Uint8Array)) throw new OptionsInvalidError('document', 'a Uint8Array', typeof document);
  checkOptions(options);
  const cache = options.cache === undefined ? defaultVerifierCache() : options.cache;
  const root = resolveRoot(options.root, cache);
  const expectedPcrs = options.expectedPcrs === undefined ? undefined : normalizeExpectedPcrs(options.expectedPcrs);

  const cose = decodeCoseSign1(document);
  const fields = parseAttestationDocument(cose.fields);
  const atDocumentTime = options.at === 'document-time';
  const at = options.at instanceof Date ? options.at : atDocumentTime ? new Date(fields.timestamp) : new Date();
  const leaf = verifyCertChain(fields.certificate, fields.caBundle, { root, at, cache });
  verifyCoseSignature(cose.protectedHeader, cose.payload, cose.signature, leaf.publicKey);
  checkPolicy(fields, policyOf(options, expectedPcrs), at);

  return {
    ...fields,
    debug: isDebugDocument(fields),
    verifiedAt: at,
    atDocumentTime,
    root: { sha256: root.sha256, isAwsNitroRoot: root.isAwsNitroRoot },
  };
}
