// Development-only entry point (`@audata/verifier/dev`): a Nitro-shaped dev CA and the
// document signer of the simulated NSM. Nothing here is trusted by the verifier by default.
export { createDevCa, exportDevCa, importDevCa, issueLeaf } from './dev-ca.ts';
export type { DevAuthority, DevCa, DevCaMaterial, DevLeaf } from './dev-ca.ts';
export { generateDevKeyPair, issueDevCertificate, KEY_USAGE, parseDevName, toPem } from './issue-dev-certificate.ts';
export type { DevCertificate, DevCertificateParams, DevKeyPair } from './issue-dev-certificate.ts';
export {
  COSE_SIGN1_TAG,
  encodeAttestationPayload,
  ES384_PROTECTED_HEADER,
  signAttestationDocument,
  signAttestationPayload,
} from './sign-attestation-document.ts';
export type { AttestationFields, CoseSignOptions, PayloadEncoding, SignAttestationOptions } from './sign-attestation-document.ts';
export { CborMapEntries, encodeCbor } from '../cbor/encode-cbor.ts';
export type { Encodable } from '../cbor/encode-cbor.ts';
export { CborTagged } from '../cbor/types.ts';
