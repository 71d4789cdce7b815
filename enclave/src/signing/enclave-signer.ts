// The enclave's per-boot secp256k1 signing key: it signs contribution proofs, job receipts and
// state anchors as EIP-712 typed data (domains from wire/src/eip712.ts), so contracts can ecrecover them.
// The key is drawn from randomness passed in and never leaves this object.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { bytesToHex, type Address, type Hex, type TypedDataDomain } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { auditHeadTypes } from '@audata/verifier/audit';
import { AudataError, anchorDomain, escrowDomain, proofTypes, receiptTypes, registryDomain, stateAnchorTypes, type ContributionProof, type JobReceipt, type StateAnchorMessage } from '@audata/wire';

export class SigningKeyError extends AudataError {
  override name = 'SigningKeyError' as const;
  constructor(reason: string) {
    super('ENCLAVE_SIGNING_KEY_INVALID', `Cannot make the enclave signing key: ${reason}.`, { details: { reason }, hint: 'Pass a randomBytes source that returns uniform bytes.' });
  }
}

/** Where a signature is valid: one contract on one chain. */
export interface SigningTarget {
  chainId: number;
  contract: Address;
}

export interface EnclaveSigner {
  /** The address the EnclaveRegistry records and the attestation document binds. */
  readonly address: Address;
  signProof(target: SigningTarget, proof: ContributionProof): Promise<Hex>;
  signReceipt(target: SigningTarget, receipt: JobReceipt): Promise<Hex>;
  /** Signs an audit log head (verifier/src/audit), and nothing else, for the log's anchors. */
  signAuditHead(domain: TypedDataDomain, message: { head: Hex; seq: bigint }): Promise<Hex>;
  /** Signs the latest sealed state and audit head for AuditAnchor (contracts/solidity/AuditAnchor.sol). */
  signStateAnchor(target: SigningTarget, anchor: StateAnchorMessage): Promise<Hex>;
}

/** A fresh key per boot: a restart invalidates nothing but the old registration. */
export function createEnclaveSigner(randomBytes: (length: number) => Uint8Array = (n) => new Uint8Array(nodeRandomBytes(n))): EnclaveSigner {
  let account: PrivateKeyAccount | undefined;
  // A 32-byte draw lies outside [1, n-1] with probability about 2^-128; a second draw is the fix, not a failure.
  for (let attempt = 0; attempt < 4 && account === undefined; attempt += 1) {
    const secret = randomBytes(32);
    if (secret.length !== 32) throw new SigningKeyError(`randomBytes returned ${secret.length} bytes, expected 32`);
    try {
      account = privateKeyToAccount(bytesToHex(secret));
    } catch {
      account = undefined;
    } finally {
      secret.fill(0);
    }
  }
  if (account === undefined) throw new SigningKeyError('four draws in a row were not valid secp256k1 scalars');
  const signer = account;
  return {
    address: signer.address,
    signProof: (target, proof) =>
      signer.signTypedData({ domain: registryDomain(target.chainId, target.contract), types: proofTypes, primaryType: 'ContributionProof', message: proof }),
    signReceipt: (target, receipt) =>
      signer.signTypedData({ domain: escrowDomain(target.chainId, target.contract), types: receiptTypes, primaryType: 'JobReceipt', message: receipt }),
    signAuditHead: (domain, message) => signer.signTypedData({ domain, types: auditHeadTypes, primaryType: 'AuditHead', message }),
    signStateAnchor: (target, anchor) =>
      signer.signTypedData({ domain: anchorDomain(target.chainId, target.contract), types: stateAnchorTypes, primaryType: 'StateAnchor', message: anchor }),
  };
}
