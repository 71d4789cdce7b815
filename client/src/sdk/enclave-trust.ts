// Decides whether an enclave may receive a recording: its attestation document must verify
// (AWS root, or a dev root the user pinned), carry the caller's fresh nonce, match a
// measurement the registry approved, and bind a dataset key and a signer registered for that
// measurement. Everything comes from the document and the chain; nothing from the host.
import { bytesToHex, type Address, type Chain, type Hex, type PublicClient, type Transport } from 'viem';
import { verifyAttestation, type VerifiedAttestation } from '@audata/verifier';
import { BindingPurpose, decodeAttestationBinding, type AttestationBinding } from '@audata/wire';
import { approvedMeasurements, enclaveRegistryAbi } from './chain.ts';
import { BindingMismatchError, MeasurementNotApprovedError, SignerNotRegisteredError } from './errors.ts';

export interface TrustedEnclave {
  binding: AttestationBinding;
  measurementId: Hex;
  document: VerifiedAttestation;
}

export interface EnclaveTrustParams {
  document: Uint8Array;
  /** The nonce this client chose; undefined only for an archived document (audits). */
  nonce?: Uint8Array;
  client: PublicClient<Transport, Chain>;
  enclaveRegistry: Address;
  /** Dev root (DER); undefined trusts only the AWS Nitro root. */
  root?: Uint8Array;
  /** 'document-time' for an archived document, whose leaf certificate has since expired. */
  at?: Date | 'document-time';
  maxAgeMs?: number;
  /** The purpose the binding must have (client-facing by default). */
  purpose?: BindingPurpose;
}

export async function verifyEnclave(params: EnclaveTrustParams): Promise<TrustedEnclave> {
  const document = verifyAttestation(params.document, {
    ...(params.root === undefined ? {} : { root: params.root }),
    ...(params.nonce === undefined ? {} : { expectedNonce: params.nonce }),
    ...(params.at === undefined ? {} : { at: params.at }),
    ...(params.maxAgeMs === undefined ? {} : { maxAgeMs: params.maxAgeMs }),
  });
  const pcrHex = (index: number) => {
    const value = document.pcrs.get(index);
    return value === undefined ? undefined : bytesToHex(value);
  };
  const approved = await approvedMeasurements(params.client, params.enclaveRegistry);
  const match = approved.find((m) => [...m.pcrs].every(([index, value]) => pcrHex(index) === value));
  if (match === undefined) throw new MeasurementNotApprovedError(pcrHex(0) ?? 'absent', approved.length);

  const binding = decodeAttestationBinding(document.userData);
  const purpose = params.purpose ?? BindingPurpose.client;
  if (binding.purpose !== purpose) throw new BindingMismatchError('binding purpose', String(purpose), String(binding.purpose));
  if (purpose === BindingPurpose.client) {
    const publicKey = document.publicKey === null ? 'absent' : bytesToHex(document.publicKey);
    if (publicKey !== binding.datasetKey.toLowerCase()) throw new BindingMismatchError('public_key', binding.datasetKey, publicKey);
  }
  const registration = await params.client.readContract({ address: params.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'signer', args: [binding.signer] });
  const active = await params.client.readContract({ address: params.enclaveRegistry, abi: enclaveRegistryAbi, functionName: 'isActiveSigner', args: [binding.signer] });
  if (registration.registeredAt === 0n || registration.measurementId !== match.id || !active) {
    throw new SignerNotRegisteredError(binding.signer, match.id, registration.registeredAt === 0n ? 'nothing' : `${registration.measurementId}${active ? '' : ' (inactive)'}`);
  }
  return { binding, measurementId: match.id, document };
}
