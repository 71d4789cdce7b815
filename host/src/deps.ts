// The seams between the host and the parts built elsewhere: the enclave channel client and
// the chain writer. The host is written against these interfaces only; the integration
// supplies the real implementations (over @audata/wire's channel, and viem).
import type { Readable } from 'node:stream';
import type { Address, Hex } from 'viem';
import type { ContributionManifest, ContributionProof, JobStatusJson } from '@audata/wire';

/** A contribution proof and the enclave's EIP-712 signature over it. */
export interface SignedProof {
  proof: ContributionProof;
  signature: Hex;
}

export interface AttestationResult {
  /** The NSM attestation document (COSE_Sign1, CBOR) exactly as the enclave produced it. */
  document: Uint8Array;
  /**
   * Convenience copies of what the document binds, as the enclave reports them. Clients
   * must read these from the verified document, never trust them from here.
   */
  enclaveSigner?: Address;
  datasetPublicKey?: Hex;
  pipelineVersion?: Hex;
}

/** What the enclave needs to score one file; all of it is checked again inside. */
export interface ScoreRequest {
  fileId: Hex;
  manifest: ContributionManifest;
  manifestSignature: Hex;
  sealedKey: Uint8Array;
  ciphertext: Readable;
  /** The manifest's signer as recovered at upload, and the stored ciphertext's length (the envelope header carries both). */
  contributor?: Address | null;
  ciphertextLength?: number;
}

export interface EnclaveClient {
  /** Asks the enclave for an attestation document that embeds `nonce` (32 bytes). */
  attest(nonce: Uint8Array): Promise<AttestationResult>;
  /** Sends one file through the enclave's pipeline; resolves with its signed proof. */
  score(request: ScoreRequest): Promise<SignedProof>;
}

export interface ChainWriter {
  /** The transaction that recorded a proof for `fileId`, if the registry holds one. */
  findProof(fileId: Hex): Promise<{ txHash: Hex } | undefined>;
  /** Submits a proof; the registry refuses a second proof for the same file. */
  submitProof(signed: SignedProof): Promise<{ txHash: Hex }>;
  /** Registers the enclave's signer from its attestation document on EnclaveRegistry. */
  registerEnclaveSigner(attestation: AttestationResult): Promise<{ txHash: Hex }>;
}

/**
 * Buyer jobs relayed to the enclave's job engine. Request bodies go through as the bytes the
 * buyer sent (the enclave parses and checks them); releases come back sealed to the buyer.
 */
export interface JobRelay {
  submit(body: Uint8Array): Promise<JobStatusJson>;
  status(jobId: Hex): Promise<JobStatusJson>;
  result(jobId: Hex): Promise<{ sealed: Uint8Array; epsilonSpent: number }>;
  step(jobId: Hex, body: Uint8Array): Promise<{ sealed: Uint8Array; epsilonSpent: number }>;
  /** `body` is the buyer's signed finish request (JSON); the answer is the enclave's JSON bytes: the signed receipt and the shares. */
  finish(jobId: Hex, body: Uint8Array): Promise<Uint8Array>;
}
