// CLI entry point of the verifier (`@audata/verifier/cli`), loaded lazily by the `audata` executable.
export { createVerifyAttestationCommand, verifyAttestationCommand, VERIFY_ATTESTATION_USAGE, attestationJson, decodeDocumentFile } from './verify-attestation.ts';
export type { VerifyAttestationCommandDeps, VerifyAttestationJson } from './verify-attestation.ts';
