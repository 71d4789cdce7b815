// Check 3, chain: the document's certificates must form a path from the trusted root to the
// signing certificate (AWS attestation_process.md 3.2.3 and 3.2.4, RFC 5280 6.1): cabundle[0]
// is the root itself, every certificate is valid at the verification time, CAs carry critical
// basicConstraints with cA and keyCertSign, path lengths hold, names link and signatures verify.
import { createHash, verify } from 'node:crypto';
import {
  CertCriticalExtensionError,
  CertExpiredError,
  CertIssuerMismatchError,
  CertKeyUsageError,
  CertLeafConstraintsError,
  CertNotCaError,
  CertNotYetValidError,
  CertPathLengthError,
  CertSignatureInvalidError,
  CertUnsupportedKeyError,
  RootMismatchError,
  type CertPosition,
} from './errors.ts';
import { nameText, parseCertificate, type ParsedCertificate } from './parse-certificate.ts';
import type { TrustedRoot } from './trusted-root.ts';
import type { VerifierCache } from './verifier-cache.ts';

const KEY_CERT_SIGN = 32;
const DIGITAL_SIGNATURE = 1;

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

export function checkValidity(certificate: ParsedCertificate, position: CertPosition, at: Date): void {
  if (at.getTime() < certificate.notBefore.getTime()) throw new CertNotYetValidError(position, certificate.notBefore, at);
  if (at.getTime() > certificate.notAfter.getTime()) throw new CertExpiredError(position, certificate.notAfter, at);
}

function describeConstraints(certificate: ParsedCertificate): string {
  const constraints = certificate.basicConstraints;
  if (constraints === null) return 'no basicConstraints';
  return `${constraints.critical ? 'critical' : 'non-critical'} basicConstraints cA=${constraints.ca}${constraints.pathLength === undefined ? '' : ` pathLen=${constraints.pathLength}`}`;
}

function describeKeyUsage(bits: number | null): string {
  if (bits === null) return 'no keyUsage extension';
  const names = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
  const set = names.filter((_, bit) => (bits & (1 << bit)) !== 0);
  return set.length === 0 ? 'no key usage bits' : set.join(', ');
}

/** The per-certificate checks that do not depend on time, with the issuer's key. */
function checkIssued(child: ParsedCertificate, position: CertPosition, issuer: ParsedCertificate, issuerPosition: CertPosition): void {
  if (child.unknownCriticalExtension !== null) throw new CertCriticalExtensionError(position, child.unknownCriticalExtension);
  if (!bytesEqual(child.issuer, issuer.subject)) throw new CertIssuerMismatchError(position, nameText(issuer.subject), nameText(child.issuer));
  let valid = false;
  try {
    valid = verify(child.signatureHash, child.tbs, { key: issuer.publicKey, dsaEncoding: 'der' }, child.signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new CertSignatureInvalidError(position, issuerPosition);
}

/** A CA certificate at `index` in [root, ...intermediates], followed by `following` more CAs. */
function checkCa(certificate: ParsedCertificate, position: CertPosition, following: number): void {
  if (certificate.unknownCriticalExtension !== null) throw new CertCriticalExtensionError(position, certificate.unknownCriticalExtension);
  const constraints = certificate.basicConstraints;
  if (constraints === null || !constraints.critical || !constraints.ca) throw new CertNotCaError(position, describeConstraints(certificate));
  if (constraints.pathLength !== undefined && constraints.pathLength < following) {
    throw new CertPathLengthError(position, `pathLenConstraint >= ${following} (CA certificates below it)`, `pathLenConstraint ${constraints.pathLength}`);
  }
  if (certificate.keyUsage === null || (certificate.keyUsage & KEY_CERT_SIGN) === 0) {
    throw new CertKeyUsageError(position, 'keyCertSign', describeKeyUsage(certificate.keyUsage));
  }
}

function checkLeaf(leaf: ParsedCertificate): void {
  const constraints = leaf.basicConstraints;
  if (constraints !== null && (constraints.ca || constraints.pathLength !== undefined)) throw new CertLeafConstraintsError(describeConstraints(leaf));
  if (leaf.keyUsage === null || (leaf.keyUsage & DIGITAL_SIGNATURE) === 0) {
    throw new CertKeyUsageError('certificate', 'digitalSignature', describeKeyUsage(leaf.keyUsage));
  }
  // ES384 (RFC 9053, 2.1) is ECDSA with SHA-384 on P-384.
  if (leaf.curve !== 'secp384r1') throw new CertUnsupportedKeyError('certificate', 'a P-384 (secp384r1) key for ES384', leaf.curve);
}

function chainKey(root: TrustedRoot, caBundle: readonly Uint8Array[]): string {
  const hash = createHash('sha256').update(root.sha256);
  for (const der of caBundle) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(der.length);
    hash.update(length).update(der);
  }
  return hash.digest('hex');
}

function positionOf(index: number): CertPosition {
  return index === 0 ? 'cabundle[0] (root)' : `cabundle[${index}]`;
}

/** Proves [root, ...intermediates]: everything but validity, which depends on the time. */
function proveCaPath(root: TrustedRoot, caBundle: readonly Uint8Array[]): ParsedCertificate[] {
  const path: ParsedCertificate[] = [root.certificate];
  for (let index = 1; index < caBundle.length; index += 1) path.push(parseCertificate(caBundle[index]!, positionOf(index)));
  path.forEach((certificate, index) => {
    if (index > 0) checkIssued(certificate, positionOf(index), path[index - 1]!, positionOf(index - 1));
    checkCa(certificate, positionOf(index), path.length - 1 - index);
  });
  return path;
}

export interface ChainParams {
  root: TrustedRoot;
  at: Date;
  cache: VerifierCache | null;
}

/**
 * Verifies the path and returns the parsed signing certificate. What is immutable (a path
 * or leaf already proven, keyed by a hash of its DER bytes) comes from `cache`; validity
 * windows are checked against `at` on every call.
 */
export function verifyCertChain(certificate: Uint8Array, caBundle: readonly Uint8Array[], params: ChainParams): ParsedCertificate {
  const { root, at, cache } = params;
  const first = caBundle[0];
  if (first === undefined || !bytesEqual(first, root.der)) {
    throw new RootMismatchError(root.sha256, first === undefined ? 'nothing' : sha256Hex(first));
  }
  const key = chainKey(root, caBundle);
  let path = cache?.getPath(key);
  if (path === undefined) {
    path = proveCaPath(root, caBundle);
    path.forEach((ca, index) => checkValidity(ca, positionOf(index), at));
    cache?.setPath(key, path);
  } else {
    path.forEach((ca, index) => checkValidity(ca, positionOf(index), at));
  }

  const leafKey = `${key}:${sha256Hex(certificate)}`;
  let leaf = cache?.getLeaf(leafKey);
  if (leaf === undefined) {
    leaf = parseCertificate(certificate, 'certificate');
    checkValidity(leaf, 'certificate', at);
    checkIssued(leaf, 'certificate', path[path.length - 1]!, positionOf(path.length - 1));
    checkLeaf(leaf);
    cache?.setLeaf(leafKey, leaf);
  } else {
    checkValidity(leaf, 'certificate', at);
  }
  return leaf;
}
