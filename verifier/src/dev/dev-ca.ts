// A development certificate authority shaped like Nitro's (root, intermediate, short-lived
// leaf, all P-384), used by tests and by the simulated NSM. Its root is never trusted by
// default: a verifier accepts its documents only when given this root explicitly.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { generateDevKeyPair, issueDevCertificate, KEY_USAGE, toPem, type DevCertificate } from './issue-dev-certificate.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
const ROOT_NAME = 'C=US, O=Audata, OU=Development only, CN=audata-dev-root.invalid';
const INTERMEDIATE_NAME = 'C=US, O=Audata, OU=Development only, CN=audata-dev-intermediate.invalid';

export interface DevAuthority {
  /** Subject name, for display. */
  name: string;
  certificate: DevCertificate;
  privateKey: KeyObject;
}

export interface DevCa {
  root: DevAuthority;
  intermediate: DevAuthority;
  /** The trust anchor to hand to a verifier (`root` option / `--root`). */
  rootDer: Uint8Array;
  rootPem: string;
  /** The attestation document's `cabundle`, root first as in Nitro documents. */
  caBundle: readonly Uint8Array[];
}

/** What a DevCa persists as: PEM certificates and PKCS#8 PEM keys (JSON-serialisable). */
export interface DevCaMaterial {
  rootCertificatePem: string;
  rootPrivateKeyPem: string;
  intermediateCertificatePem: string;
  intermediatePrivateKeyPem: string;
}

export interface DevLeaf {
  certificate: DevCertificate;
  privateKey: KeyObject;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** X.509 times have whole seconds; flooring keeps `now` itself inside the validity window. */
function floorToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function assembleCa(root: DevAuthority, intermediate: DevAuthority): DevCa {
  return {
    root,
    intermediate,
    rootDer: root.certificate.der,
    rootPem: root.certificate.pem,
    caBundle: [root.certificate.der, intermediate.certificate.der],
  };
}

/** Creates a root (valid `validityDays`, default 10 years) and an intermediate (pathLen 0). */
export function createDevCa(params: { now: Date; validityDays?: number }): DevCa {
  const validityMs = (params.validityDays ?? 3650) * DAY_MS;
  if (!(validityMs > 0)) throw new RangeError(`validityDays must be positive, received ${params.validityDays}`);
  const notBefore = floorToSecond(params.now.getTime());
  const notAfter = floorToSecond(params.now.getTime() + validityMs);
  const rootKeys = generateDevKeyPair();
  const rootCertificate = issueDevCertificate({
    subject: ROOT_NAME,
    publicKey: rootKeys.publicKey,
    issuer: { name: ROOT_NAME, privateKey: rootKeys.privateKey },
    notBefore,
    notAfter,
    basicConstraints: { ca: true },
    keyUsage: KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign | KEY_USAGE.digitalSignature,
  });
  const intermediateKeys = generateDevKeyPair();
  const intermediateCertificate = issueDevCertificate({
    subject: INTERMEDIATE_NAME,
    publicKey: intermediateKeys.publicKey,
    issuer: { certificateDer: rootCertificate.der, privateKey: rootKeys.privateKey },
    notBefore,
    notAfter,
    basicConstraints: { ca: true, pathLength: 0 },
    keyUsage: KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign,
  });
  return assembleCa(
    { name: ROOT_NAME, certificate: rootCertificate, privateKey: rootKeys.privateKey },
    { name: INTERMEDIATE_NAME, certificate: intermediateCertificate, privateKey: intermediateKeys.privateKey },
  );
}

export function exportDevCa(ca: DevCa): DevCaMaterial {
  return {
    rootCertificatePem: ca.root.certificate.pem,
    rootPrivateKeyPem: ca.root.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    intermediateCertificatePem: ca.intermediate.certificate.pem,
    intermediatePrivateKeyPem: ca.intermediate.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

function importAuthority(certificatePem: string, privateKeyPem: string, label: string): DevAuthority {
  const certificate = new X509Certificate(certificatePem);
  const privateKey = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  if (!certificate.checkPrivateKey(privateKey)) throw new Error(`Dev CA material: the ${label} private key does not match its certificate.`);
  const der = new Uint8Array(certificate.raw);
  return { name: certificate.subject.replaceAll('\n', ', '), certificate: { der, pem: toPem(der) }, privateKey };
}

/** Rebuilds a DevCa from `exportDevCa` output; throws when a key does not match its certificate. */
export function importDevCa(material: DevCaMaterial): DevCa {
  return assembleCa(
    importAuthority(material.rootCertificatePem, material.rootPrivateKeyPem, 'root'),
    importAuthority(material.intermediateCertificatePem, material.intermediatePrivateKeyPem, 'intermediate'),
  );
}

/** Issues a signing (leaf) certificate like Nitro's: fresh P-384 key, 3 hours by default. */
export function issueLeaf(ca: DevCa, params: { now: Date; lifetimeMs?: number; commonName?: string }): DevLeaf {
  const lifetimeMs = params.lifetimeMs ?? 3 * HOUR_MS;
  const keys = generateDevKeyPair();
  const notBefore = floorToSecond(params.now.getTime());
  const notAfter = floorToSecond(params.now.getTime() + lifetimeMs);
  const certificate = issueDevCertificate({
    subject: `C=US, O=Audata, OU=Development only, CN=${params.commonName ?? 'audata-dev-enclave.invalid'}`,
    publicKey: keys.publicKey,
    issuer: { certificateDer: ca.intermediate.certificate.der, privateKey: ca.intermediate.privateKey },
    notBefore,
    notAfter,
    basicConstraints: { ca: false },
    keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.nonRepudiation,
  });
  return { certificate, privateKey: keys.privateKey, publicKey: keys.publicKey, notBefore, notAfter };
}
