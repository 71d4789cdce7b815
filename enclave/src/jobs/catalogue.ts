// The enclave's catalogue of files it scored, the only source a job selects from: each
// entry joins what the contributor signed (language, consent terms) to what the enclave
// proved (validity, score), so neither the host nor a buyer can relabel a file.
import type { ContributionManifest, ContributionProof } from '@audata/wire';
import { JobParameterError } from './errors.ts';
import type { CatalogueFile } from './selection.ts';

/** A catalogue entry from a signed proof and the manifest it was made for. */
export function catalogueEntry(proof: ContributionProof, manifest: ContributionManifest, durationSec: number): CatalogueFile {
  if (proof.fileId.toLowerCase() !== manifest.ciphertextSha256.toLowerCase()) {
    throw new JobParameterError('proof.fileId', `the manifest's ciphertextSha256 ${manifest.ciphertextSha256}`, proof.fileId);
  }
  if (!(durationSec >= 0) || !Number.isFinite(durationSec)) throw new JobParameterError('durationSec', 'a finite number >= 0', durationSec);
  return { fileId: proof.fileId, contributor: proof.contributor, valid: proof.valid, score: proof.score, language: manifest.language, termsHash: manifest.termsHash, durationSec };
}

/** A catalogue entry from a result the sealed state recorded (a superset of its fields): rebuilds the catalogue at boot. */
export function catalogueFileOf(recorded: CatalogueFile): CatalogueFile {
  const { fileId, contributor, valid, score, language, termsHash, durationSec } = recorded;
  return { fileId, contributor, valid, score, language, termsHash, durationSec };
}

/** Files by id; a file scored again replaces its entry (a proof is per file, so it is the same file). */
export class FileCatalogue {
  readonly #files = new Map<string, CatalogueFile>();

  add(file: CatalogueFile): void {
    this.#files.set(file.fileId.toLowerCase(), { ...file });
  }

  get size(): number {
    return this.#files.size;
  }

  /** A snapshot, so a job's selection is not changed by files scored while it runs. */
  files(): CatalogueFile[] {
    return [...this.#files.values()].map((f) => ({ ...f }));
  }
}
