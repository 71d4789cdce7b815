// Reads what the chain check needs from one DER certificate (RFC 5280): the signed TBS bytes,
// the signature, names, validity, basicConstraints, keyUsage, unknown critical extensions and
// the public key. The skeleton is walked with a small DER reader (the exact signed bytes are
// needed, and it is several times faster than a full ASN.1 object parse); extension values
// are parsed with @peculiar/asn1-x509. Only CertMalformedError / CertUnsupportedKeyError escape.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, id_ce_basicConstraints, id_ce_keyUsage, KeyUsage, Name } from '@peculiar/asn1-x509';
import { decodeOid, decodeTime, derChildren, derContent, derWhole, DerError, expectTag, readDer, type DerElement } from './der.ts';
import { CertMalformedError, CertUnsupportedKeyError, type CertPosition } from './errors.ts';

/** ECDSA signature algorithms (RFC 5758, 3.2) and the hash each uses. */
const ECDSA_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Extensions this verifier understands, so a critical one does not fail RFC 5280, 4.2. */
const UNDERSTOOD_EXTENSIONS = new Set([id_ce_basicConstraints, id_ce_keyUsage]);

const NAME_LABELS: Readonly<Record<string, string>> = {
  '2.5.4.6': 'C',
  '2.5.4.8': 'ST',
  '2.5.4.7': 'L',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
};

export interface ParsedCertificate {
  der: Uint8Array;
  tbs: Uint8Array;
  /** Node hash name for the signature over `tbs`. */
  signatureHash: string;
  /** DER ECDSA-Sig-Value. */
  signature: Uint8Array;
  /** DER of the issuer and subject Names, compared byte for byte. */
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  basicConstraints: { critical: boolean; ca: boolean; pathLength: number | undefined } | null;
  /** KeyUsage bits as @peculiar/asn1-x509 numbers them (digitalSignature = 1, keyCertSign = 32), or null. */
  keyUsage: number | null;
  /** The first critical extension not understood here, or null. */
  unknownCriticalExtension: string | null;
  publicKey: KeyObject;
  /** OpenSSL curve name, e.g. "secp384r1". */
  curve: string;
}

/** A readable form of a DER Name, for error messages only (parsed on demand). */
export function nameText(der: Uint8Array): string {
  try {
    const name = AsnConvert.parse(der, Name);
    return name.map((rdn) => rdn.map((attribute) => `${NAME_LABELS[attribute.type] ?? attribute.type}=${attribute.value.toString()}`).join('+')).join(', ');
  } catch {
    return Buffer.from(der).toString('hex');
  }
}

/**
 * Parsed extension values by OID and DER bytes. Every Nitro leaf carries the same few
 * basicConstraints and keyUsage encodings, so each is parsed once; the map stays small
 * because only values that parsed are kept, and it is bounded.
 */
const extensionValues = new Map<string, unknown>();
const MAX_EXTENSION_VALUES = 64;

function parseExtensionValue<T>(oid: string, value: Uint8Array, parse: (bytes: Uint8Array) => T): T {
  if (value.length > 64) return parse(value);
  const key = `${oid}:${Buffer.from(value).toString('hex')}`;
  if (extensionValues.has(key)) return extensionValues.get(key) as T;
  const parsed = parse(value);
  if (extensionValues.size >= MAX_EXTENSION_VALUES) extensionValues.delete(extensionValues.keys().next().value as string);
  extensionValues.set(key, parsed);
  return parsed;
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** Named curves (RFC 5480, 2.1.1.1) by OID, with OpenSSL's names. */
const CURVES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'prime256v1',
  '1.3.132.0.34': 'secp384r1',
  '1.3.132.0.35': 'secp521r1',
};

/** The named curve of an EC SubjectPublicKeyInfo (RFC 5480), read from its DER. */
function namedCurveOf(spki: Uint8Array, position: CertPosition): string {
  let algorithm: string;
  let parameters: string | null = null;
  try {
    const [identifier] = derChildren(spki, readDer(spki, 0));
    const [oid, params] = derChildren(spki, expectTag(identifier, 0x30, 'SubjectPublicKeyInfo.algorithm'));
    algorithm = decodeOid(derContent(spki, expectTag(oid, 0x06, 'algorithm OID')));
    if (params?.tag === 0x06) parameters = decodeOid(derContent(spki, params));
  } catch (error) {
    if (error instanceof DerError) throw new CertMalformedError(position, error.message);
    throw error;
  }
  if (algorithm !== EC_PUBLIC_KEY) throw new CertUnsupportedKeyError(position, 'an EC public key', algorithm);
  const curve = parameters === null ? undefined : CURVES[parameters];
  if (curve === undefined) throw new CertUnsupportedKeyError(position, 'a named curve P-256, P-384 or P-521', parameters ?? 'explicit parameters');
  return curve;
}

interface Skeleton {
  tbs: Uint8Array;
  algorithm: string;
  innerAlgorithm: string;
  signature: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: { oid: string; critical: boolean; value: Uint8Array }[];
}

function algorithmOid(bytes: Uint8Array, element: DerElement | undefined, what: string): string {
  const sequence = expectTag(element, 0x30, what);
  const [oid] = derChildren(bytes, sequence);
  return decodeOid(derContent(bytes, expectTag(oid, 0x06, `${what} OID`)));
}

function readExtensions(der: Uint8Array, wrapper: DerElement): Skeleton['extensions'] {
  const [list, more] = derChildren(der, wrapper);
  if (more !== undefined) throw new DerError('extensions wrapper holds more than one element');
  return derChildren(der, expectTag(list, 0x30, 'extensions')).map((extension) => {
    const parts = derChildren(der, expectTag(extension, 0x30, 'extension'));
    const oid = decodeOid(derContent(der, expectTag(parts[0], 0x06, 'extnID')));
    let critical = false;
    let valueIndex = 1;
    if (parts[1]?.tag === 0x01) {
      const flag = derContent(der, parts[1]);
      if (flag.length !== 1) throw new DerError('bad critical flag');
      critical = flag[0] !== 0;
      valueIndex = 2;
    }
    const value = derContent(der, expectTag(parts[valueIndex], 0x04, 'extnValue'));
    if (parts.length !== valueIndex + 1) throw new DerError('extension has extra elements');
    return { oid, critical, value };
  });
}

/** Certificate and TBSCertificate (RFC 5280, 4.1), located element by element. */
function readSkeleton(der: Uint8Array): Skeleton {
  const outer = readDer(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new DerError('not exactly one DER SEQUENCE');
  const [tbsElement, algorithmElement, signatureElement, extra] = derChildren(der, outer);
  if (extra !== undefined) throw new DerError('Certificate has more than 3 elements');
  const tbsSequence = expectTag(tbsElement, 0x30, 'TBSCertificate');
  const signatureBits = derContent(der, expectTag(signatureElement, 0x03, 'signatureValue'));
  if (signatureBits.length < 2 || signatureBits[0] !== 0) throw new DerError('signatureValue is not a whole-byte BIT STRING');

  const fields = derChildren(der, tbsSequence);
  let index = 0;
  const version = fields[index]?.tag === 0xa0 ? derChildren(der, fields[index++]!)[0] : undefined;
  const versionValue = version === undefined ? undefined : derContent(der, expectTag(version, 0x02, 'version'));
  if (versionValue === undefined || versionValue.length !== 1 || versionValue[0] !== 2) throw new DerError('only X.509 v3 certificates are accepted');
  expectTag(fields[index++], 0x02, 'serialNumber');
  const innerAlgorithm = algorithmOid(der, fields[index++], 'TBSCertificate.signature');
  const issuer = derWhole(der, expectTag(fields[index++], 0x30, 'issuer'));
  const validity = derChildren(der, expectTag(fields[index++], 0x30, 'validity'));
  if (validity.length !== 2) throw new DerError('validity must hold notBefore and notAfter');
  const subject = derWhole(der, expectTag(fields[index++], 0x30, 'subject'));
  const spki = derWhole(der, expectTag(fields[index++], 0x30, 'subjectPublicKeyInfo'));
  while (fields[index]?.tag === 0x81 || fields[index]?.tag === 0x82) index += 1;
  const extensions = fields[index]?.tag === 0xa3 ? readExtensions(der, fields[index++]!) : [];
  if (index !== fields.length) throw new DerError('TBSCertificate has unexpected elements');
  return {
    tbs: derWhole(der, tbsSequence),
    algorithm: algorithmOid(der, algorithmElement, 'signatureAlgorithm'),
    innerAlgorithm,
    signature: signatureBits.subarray(1),
    issuer,
    subject,
    notBefore: decodeTime(der, validity[0]!),
    notAfter: decodeTime(der, validity[1]!),
    spki,
    extensions,
  };
}

export function parseCertificate(der: Uint8Array, position: CertPosition): ParsedCertificate {
  let skeleton: Skeleton;
  try {
    skeleton = readSkeleton(der);
  } catch (error) {
    if (error instanceof DerError) throw new CertMalformedError(position, error.message);
    throw error;
  }
  if (skeleton.innerAlgorithm !== skeleton.algorithm) throw new CertMalformedError(position, 'signature algorithm differs inside and outside TBSCertificate');
  const signatureHash = ECDSA_HASHES[skeleton.algorithm];
  if (signatureHash === undefined) throw new CertUnsupportedKeyError(position, 'an ECDSA signature algorithm', skeleton.algorithm);

  let basicConstraints: ParsedCertificate['basicConstraints'] = null;
  let keyUsage: number | null = null;
  let unknownCriticalExtension: string | null = null;
  const seen = new Set<string>();
  try {
    for (const extension of skeleton.extensions) {
      if (seen.has(extension.oid)) throw new Error(`extension ${extension.oid} appears twice`);
      seen.add(extension.oid);
      if (extension.oid === id_ce_basicConstraints) {
        const value = parseExtensionValue(extension.oid, extension.value, (bytes) => {
          const parsed = AsnConvert.parse(bytes, BasicConstraints);
          return { ca: parsed.cA, pathLength: parsed.pathLenConstraint };
        });
        basicConstraints = { critical: extension.critical, ...value };
      } else if (extension.oid === id_ce_keyUsage) {
        keyUsage = parseExtensionValue(extension.oid, extension.value, (bytes) => AsnConvert.parse(bytes, KeyUsage).toNumber());
      } else if (extension.critical && unknownCriticalExtension === null && !UNDERSTOOD_EXTENSIONS.has(extension.oid)) {
        unknownCriticalExtension = extension.oid;
      }
    }
  } catch (error) {
    throw new CertMalformedError(position, `bad extension: ${error instanceof Error ? error.message : String(error)}`);
  }

  const curve = namedCurveOf(skeleton.spki, position);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(skeleton.spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new CertUnsupportedKeyError(position, 'an EC public key', error instanceof Error ? error.message : 'unreadable key');
  }

  return {
    der,
    tbs: skeleton.tbs,
    signatureHash,
    signature: skeleton.signature,
    issuer: skeleton.issuer,
    subject: skeleton.subject,
    notBefore: skeleton.notBefore,
    notAfter: skeleton.notAfter,
    basicConstraints,
    keyUsage,
    unknownCriticalExtension,
    publicKey,
    curve,
  };
}
