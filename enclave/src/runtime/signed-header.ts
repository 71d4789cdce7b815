// Checks an envelope header's manifest signature without opening anything, for requests that
// name a contribution by its header but carry no ciphertext (a proof signed again): the same
// first two checks openEnvelope makes (header shape and version, then the EIP-712 signature on
// this enclave's chain and registry), with the same errors.
import { hashTypedData, isAddressEqual, recoverTypedDataAddress, type Address, type Hex } from 'viem';
import { ENVELOPE_VERSION, manifestDomain, manifestTypes, parseEnvelopeHeader, type ContributionManifest } from '@audata/wire';
import { EnvelopeHeaderInvalidError, EnvelopeManifestSignatureInvalidError, EnvelopeVersionUnsupportedError } from '../envelope/errors.ts';

export interface SignedHeader {
  manifest: ContributionManifest;
  manifestHash: Hex;
  /** The manifest's recovered signer. */
  contributor: Address;
}

export async function checkSignedHeader(params: { header: unknown; chainId: number; registry: Address }): Promise<SignedHeader> {
  const value = params.header;
  if (typeof value === 'object' && value !== null && 'version' in value && value.version !== ENVELOPE_VERSION) {
    throw new EnvelopeVersionUnsupportedError('header', String(value.version));
  }
  const parsed = parseEnvelopeHeader(value);
  if (!parsed.ok) throw new EnvelopeHeaderInvalidError(parsed.problem.field, parsed.problem.problem);
  const { manifest, signature, contributor } = parsed.header;
  const typed = { domain: manifestDomain(params.chainId, params.registry), types: manifestTypes, primaryType: 'ContributionManifest', message: manifest } as const;
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({ ...typed, signature });
  } catch {
    throw new EnvelopeManifestSignatureInvalidError(contributor, 'no address (malformed signature)');
  }
  if (!isAddressEqual(signer, contributor)) throw new EnvelopeManifestSignatureInvalidError(contributor, signer);
  return { manifest, manifestHash: hashTypedData(typed), contributor: signer };
}
