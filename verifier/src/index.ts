// @audata/verifier: checks AWS Nitro Enclaves attestation documents (see README.md).
// Named exports only; importing this module has no side effects.
export { verifyAttestation, normalizeExpectedPcrs } from './verify-attestation.ts';
export type { ExpectedPcrs, VerifiedAttestation, VerifyAttestationOptions } from './verify-attestation.ts';
export { decodeCoseSign1 } from './decode-cose-sign1.ts';
export type { CoseSign1 } from './decode-cose-sign1.ts';
export { parseAttestationDocument } from './parse-attestation-document.ts';
export type { AttestationDocument } from './parse-attestation-document.ts';
export { verifyCertChain } from './verify-cert-chain.ts';
export { verifyCoseSignature } from './verify-cose-signature.ts';
export { checkPolicy, isDebugDocument } from './check-policy.ts';
export type { AttestationPolicy } from './check-policy.ts';
export { awsNitroRoot, certificateDer, loadTrustedRoot } from './trusted-root.ts';
export type { TrustedRoot } from './trusted-root.ts';
export { VerifierCache, defaultVerifierCache } from './verifier-cache.ts';
export { AWS_NITRO_ROOT_G1_PEM, AWS_NITRO_ROOT_G1_SHA256 } from './nitro-root.ts';
export { decodeCbor } from './cbor/decode-cbor.ts';
export { CborMap, CborTagged } from './cbor/types.ts';
export type { CborValue } from './cbor/types.ts';
export * from './errors.ts';
