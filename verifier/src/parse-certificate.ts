// Reads what the chain check needs from one DER certificate (RFC 5280): the signed TBS bytes,
// the signature, names, validity, basicConstraints, keyUsage, unknown critical extensions and
// the public key. Parsing never throws anything but CertMalformedError / CertUnsupportedKeyError.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, id_ce_basicConstraints, id_ce_keyUsage, KeyUsage, type Name } from '@peculiar/asn1-x509';
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
  signature: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  issuerText: string;
  subjectText: string;
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

function nameToText(name: Name): string {
  return name
    .map((rdn) => rdn.map((attribute) => `${NAME_LABELS[attribute.type] ?? attribute.type}=${attribute.value.toString()}`).join('+'))
    .join(', ');
}

/** Length of the outermost DER element, so trailing bytes after a certificate are refused. */
function derElementLength(bytes: Uint8Array): number | null {
  if (bytes.length < 2 || bytes[0] !== 0x30) return null;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 3 || bytes.length < 2 + count) return null;
  let length = 0;
  for (let index = 0; index < count; index += 1) length = length * 256 + bytes[2 + index]!;
  return 2 + count + length;
}

export function parseCertificate(der: Uint8Array, position: CertPosition): ParsedCertificate {
  if (derElementLength(der) !== der.length) throw new CertMalformedError(position, 'not exactly one DER SEQUENCE');
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw new CertMalformedError(position, error instanceof Error ? error.message : 'ASN.1 parse failure');
  }
  const tbs = certificate.tbsCertificate;
  const tbsRaw = certificate.tbsCertificateRaw;
  if (tbsRaw === undefined) throw new CertMalformedError(position, 'TBSCertificate bytes missing');
  const algorithm = certificate.signatureAlgorithm.algorithm;
  if (tbs.signature.algorithm !== algorithm) throw new CertMalformedError(position, 'signature algorithm differs inside and outside TBSCertificate');
  const signatureHash = ECDSA_HASHES[algorithm];
  if (signatureHash === undefined) throw new CertUnsupportedKeyError(position, 'an ECDSA signature algorithm', algorithm);

  let basicConstraints: ParsedCertificate['basicConstraints'] = null;
  let keyUsage: number | null = null;
  let unknownCriticalExtension: string | null = null;
  const seen = new Set<string>();
  try {
    for (const extension of tbs.extensions ?? []) {
      if (seen.has(extension.extnID)) throw new Error(`extension ${extension.extnID} appears twice`);
      seen.add(extension.extnID);
      if (extension.extnID === id_ce_basicConstraints) {
        const value = AsnConvert.parse(extension.extnValue, BasicConstraints);
        basicConstraints = { critical: extension.critical, ca: value.cA, pathLength: value.pathLenConstraint };
      } else if (extension.extnID === id_ce_keyUsage) {
        keyUsage = AsnConvert.parse(extension.extnValue, KeyUsage).toNumber();
      } else if (extension.critical && unknownCriticalExtension === null && !UNDERSTOOD_EXTENSIONS.has(extension.extnID)) {
        unknownCriticalExtension = extension.extnID;
      }
    }
  } catch (error) {
    throw new CertMalformedError(position, `bad extension: ${error instanceof Error ? error.message : String(error)}`);
  }

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(AsnConvert.serialize(tbs.subjectPublicKeyInfo)), format: 'der', type: 'spki' });
  } catch (error) {
    throw new CertUnsupportedKeyError(position, 'an EC public key', error instanceof Error ? error.message : 'unreadable key');
  }
  const curve = publicKey.asymmetricKeyType === 'ec' ? publicKey.asymmetricKeyDetails?.namedCurve : undefined;
  if (curve === undefined) throw new CertUnsupportedKeyError(position, 'an EC public key', publicKey.asymmetricKeyType ?? 'unknown key type');

  return {
    der,
    tbs: new Uint8Array(tbsRaw),
    signatureHash,
    signature: new Uint8Array(certificate.signatureValue),
    issuer: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
    subject: new Uint8Array(AsnConvert.serialize(tbs.subject)),
    issuerText: nameToText(tbs.issuer),
    subjectText: nameToText(tbs.subject),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    basicConstraints,
    keyUsage,
    unknownCriticalExtension,
    publicKey,
    curve,
  };
}
