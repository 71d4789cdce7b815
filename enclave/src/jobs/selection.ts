// Which of the enclave's scored files a job may touch: those the policy's filter admits
// (valid proof, minimum score, language, consent terms) and that are not revoked on chain
// at the time of the job. Revocation is read from the chain, never from the host.
import type { Address, Hex } from 'viem';
import type { Policy } from './policy.ts';
import type { PolicySource } from './policy-source.ts';

/** What the enclave keeps about a file it scored (from the signed manifest and its proof). */
export interface CatalogueFile {
  fileId: Hex;
  contributor: Address;
  valid: boolean;
  /** Basis points. */
  score: number;
  /** BCP 47 tag from the signed manifest. */
  language: string;
  /** Consent terms hash from the signed manifest. */
  termsHash: Hex;
  durationSec: number;
}

export interface Selection {
  files: CatalogueFile[];
  /** Candidates the filter admitted but the chain says are revoked: counted, never used. */
  revoked: number;
}

/**
 * A policy tag selects a file tag equal to it or a subtag of it, case-insensitively
 * (RFC 4647 basic filtering): "en" selects "en" and "en-GB", "pt-BR" selects only "pt-BR...".
 */
export function languageMatches(policyTags: readonly string[], fileTag: string): boolean {
  if (policyTags.length === 0) return true;
  const tag = fileTag.toLowerCase();
  return policyTags.some((p) => {
    const range = p.toLowerCase();
    return tag === range || tag.startsWith(`${range}-`);
  });
}

/** The policy's static filter, without the chain. */
export function passesFilter(file: CatalogueFile, policy: Pick<Policy, 'minScore' | 'languages' | 'termsHash'>): boolean {
  return file.valid && file.score >= policy.minScore && languageMatches(policy.languages, file.language) && file.termsHash.toLowerCase() === policy.termsHash.toLowerCase();
}

/** Filters, then drops every file the chain reports revoked now; sorted by file id so runs repeat. */
export async function selectFiles(catalogue: Iterable<CatalogueFile>, policy: Pick<Policy, 'minScore' | 'languages' | 'termsHash'>, source: Pick<PolicySource, 'revoked'>): Promise<Selection> {
  const seen = new Set<string>();
  const candidates: CatalogueFile[] = [];
  for (const file of catalogue) {
    const key = file.fileId.toLowerCase();
    if (seen.has(key) || !passesFilter(file, policy)) continue;
    seen.add(key);
    candidates.push(file);
  }
  candidates.sort((a, b) => (a.fileId.toLowerCase() < b.fileId.toLowerCase() ? -1 : 1));
  const revoked = await source.revoked(candidates.map((f) => f.fileId));
  const lowered = new Set([...revoked].map((id) => id.toLowerCase()));
  const files = candidates.filter((f) => !lowered.has(f.fileId.toLowerCase()));
  return { files, revoked: candidates.length - files.length };
}
