// The trust anchor a verification chains to: the built-in AWS Nitro root G1 unless the caller
// passes another (e.g. the dev CA's). A root is parsed and checked once, then reused.
import { createHash } from 'node:crypto';
import { OptionsInvalidError, VerifierError } from './errors.ts';
import { AWS_NITRO_ROOT_G1_PEM, AWS_NITRO_ROOT_G1_SHA256 } from './nitro-root.ts';
import { parseCertificate, type ParsedCertificate } from './parse-certificate.ts';

export interface TrustedRoot {
  der: Uint8Array;
  /** SHA-256 of `der`, hex. */
  sha256: string;
  certificate: ParsedCertificate;
  /** True only for the pinned AWS Nitro root G1. */
  isAwsNitroRoot: boolean;
}

const PEM_PATTERN = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** DER bytes of a certificate given as DER bytes, or PEM text or bytes. */
export function certificateDer(input: Uint8Array | string): Uint8Array {
  // DER starts with a SEQUENCE (0x30); anything else is read as PEM text.
  const text = typeof input === 'string' ? input : input[0] === 0x30 ? null : Buffer.from(input).toString('latin1');
  if (text === null) return input as Uint8Array;
  const match = PEM_PATTERN.exec(text);
  if (match === null) throw new OptionsInvalidError('root', 'a PEM or DER certificate', 'text without a PEM CERTIFICATE block');
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}

/** Parses a root certificate (PEM or DER); refuses one that cannot anchor a chain. */
export function loadTrustedRoot(input: Uint8Array | string): TrustedRoot {
  const der = certificateDer(input);
  const sha256 = createHash('sha256').update(der).digest('hex');
  let certificate: ParsedCertificate;
  try {
    certificate = parseCertificate(der, 'root');
  } catch (error) {
    if (error instanceof VerifierError) throw new OptionsInvalidError('root', 'a parsable X.509 certificate', error.message);
    throw error;
  }
  return { der, sha256, certificate, isAwsNitroRoot: sha256 === AWS_NITRO_ROOT_G1_SHA256 };
}

let awsRoot: TrustedRoot | undefined;

/** The pinned AWS Nitro Enclaves Root-G1, parsed on first use and then kept. */
export function awsNitroRoot(): TrustedRoot {
  awsRoot ??= loadTrustedRoot(AWS_NITRO_ROOT_G1_PEM);
  return awsRoot;
}
