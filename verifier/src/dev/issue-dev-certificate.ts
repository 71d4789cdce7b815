// Issues one X.509 certificate (RFC 5280) on P-384 / ecdsa-with-SHA384 with exactly the
// extensions asked for, so the dev CA can mirror Nitro's chain and tests can build every
// malformed variant. Built from @peculiar/asn1-x509 structures and signed with node:crypto.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  KeyUsage,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

export interface DevKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A fresh P-384 key pair (the curve Nitro uses for every certificate and for ES384). */
export function generateDevKeyPair(): DevKeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
}

/** RFC 5280 KeyUsage bits (4.2.1.3), as numbered by @peculiar/asn1-x509's KeyUsageFlags. */
export const KEY_USAGE = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

const ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
const NAME_OIDS: Readonly<Record<string, string>> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
};

export interface DevCertificateParams {
  /** Distinguished name, e.g. "C=US, O=Audata, CN=dev.invalid" (C, ST, L, O, OU, CN; no commas in values). */
  subject: string;
  /** The key the certificate certifies. */
  publicKey: KeyObject;
  /**
   * Who signs. `certificateDer`: copy the issuer's subject name from its certificate byte for
   * byte; `name`: write this name (self-signed certificates, or a deliberately wrong issuer).
   */
  issuer: { certificateDer: Uint8Array; privateKey: KeyObject } | { name: string; privateKey: KeyObject };
  notBefore: Date;
  notAfter: Date;
  /** null leaves the extension out; critical by default. */
  basicConstraints: { ca: boolean; pathLength?: number; critical?: boolean } | null;
  /** OR of KEY_USAGE bits, a critical extension; null leaves it out. */
  keyUsage: number | null;
  /** Further extensions as DER values, e.g. an unknown critical one. */
  extraExtensions?: readonly { oid: string; critical: boolean; value: Uint8Array }[];
  /** Hex serial number; random (positive, 16 bytes) by default. */
  serialNumber?: string;
}

export interface DevCertificate {
  der: Uint8Array;
  pem: string;
}

export function parseDevName(text: string): Name {
  const rdns = text.split(',').map((part) => {
    const [key, ...rest] = part.trim().split('=');
    const oid = key === undefined ? undefined : NAME_OIDS[key.trim()];
    const value = rest.join('=').trim();
    if (oid === undefined || value === '') throw new RangeError(`Unsupported name component "${part.trim()}" in "${text}"`);
    const attribute = key!.trim() === 'C' ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value });
    return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: attribute })]);
  });
  return new Name(rdns);
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function extension(oid: string, critical: boolean, value: ArrayBuffer | Uint8Array): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(value) });
}

export function issueDevCertificate(params: DevCertificateParams): DevCertificate {
  const extensions: Extension[] = [];
  if (params.basicConstraints !== null) {
    const { ca, pathLength, critical = true } = params.basicConstraints;
    const value = new BasicConstraints({ cA: ca, ...(pathLength === undefined ? {} : { pathLenConstraint: pathLength }) });
    extensions.push(extension(id_ce_basicConstraints, critical, AsnConvert.serialize(value)));
  }
  if (params.keyUsage !== null) {
    const usage = new KeyUsage();
    usage.fromNumber(params.keyUsage);
    extensions.push(extension(id_ce_keyUsage, true, AsnConvert.serialize(usage)));
  }
  for (const extra of params.extraExtensions ?? []) extensions.push(extension(extra.oid, extra.critical, extra.value));

  const serial = params.serialNumber === undefined ? randomBytes(16) : Buffer.from(params.serialNumber, 'hex');
  if (params.serialNumber === undefined) serial[0] = (serial[0]! & 0x7f) | 0x01;
  const issuerName =
    'certificateDer' in params.issuer
      ? AsnConvert.parse(params.issuer.certificateDer, Certificate).tbsCertificate.subject
      : parseDevName(params.issuer.name);
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA384 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: algorithm,
    issuer: issuerName,
    validity: new Validity({ notBefore: params.notBefore, notAfter: params.notAfter }),
    subject: parseDevName(params.subject),
    subjectPublicKeyInfo: AsnConvert.parse(params.publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
    ...(extensions.length === 0 ? {} : { extensions: new Extensions(extensions) }),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = sign('sha384', tbsDer, { key: params.issuer.privateKey, dsaEncoding: 'der' });
  const certificate = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer });
  const der = new Uint8Array(AsnConvert.serialize(certificate));
  return { der, pem: toPem(der) };
}
