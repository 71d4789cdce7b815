// Stored form of signed proofs and manifests: JSON with uint64 fields as decimal strings,
// keys in the EIP-712 field order, so the same value always serialises to the same text.
import { manifestTypes, proofTypes, type ContributionManifest, type ContributionProof } from '@audata/wire';
import type { Hex } from 'viem';
import type { SignedProof } from './deps.ts';

function ordered(fields: readonly { name: string }[], value: object): Record<string, unknown> {
  const source = value as Record<string, unknown>;
  return Object.fromEntries(fields.map(({ name }) => [name, typeof source[name] === 'bigint' ? String(source[name]) : source[name]]));
}

export function manifestToJson(manifest: ContributionManifest): string {
  return JSON.stringify(ordered(manifestTypes.ContributionManifest, manifest));
}

export function manifestFromJson(text: string): ContributionManifest {
  const raw = JSON.parse(text) as Record<string, string>;
  return { ...(raw as unknown as ContributionManifest), createdAt: BigInt(raw['createdAt']!) };
}

export function signedProofToJson(signed: SignedProof): string {
  return JSON.stringify({ proof: ordered(proofTypes.ContributionProof, signed.proof), signature: signed.signature });
}

export function signedProofFromJson(text: string): SignedProof {
  const raw = JSON.parse(text) as { proof: Record<string, unknown>; signature: Hex };
  return {
    proof: { ...(raw.proof as unknown as ContributionProof), deadline: BigInt(raw.proof['deadline'] as string) },
    signature: raw.signature,
  };
}

/** The API's JSON view of a proof: uint64 as decimal strings, since JSON numbers lose them. */
export function proofForJson(signed: SignedProof): { proof: Record<string, unknown>; signature: Hex } {
  return JSON.parse(signedProofToJson(signed)) as { proof: Record<string, unknown>; signature: Hex };
}
