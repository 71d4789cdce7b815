import { expect } from 'chai';
import { keccak256, toHex, type Hex } from 'viem';
import type { ContributionManifest, ContributionProof } from '@audata/wire';
import { catalogueEntry, FileCatalogue } from './catalogue.ts';

const fileId: Hex = keccak256(toHex('cipher'));
const manifest: ContributionManifest = {
  ciphertextSha256: fileId,
  sealedKeySha256: keccak256(toHex('sealed')),
  datasetKey: keccak256(toHex('dataset')),
  termsHash: keccak256(toHex('terms')),
  language: 'pt-BR',
  createdAt: 1n,
  nonce: keccak256(toHex('nonce')),
};
const proof: ContributionProof = {
  fileId,
  contributor: '0x00000000000000000000000000000000000000A1',
  manifestHash: keccak256(toHex('m')),
  valid: true,
  score: 7_300,
  authenticity: 1,
  ownership: 1,
  quality: 1,
  uniqueness: 1,
  pipelineVersion: keccak256(toHex('p')),
  detailsHash: keccak256(toHex('d')),
  deadline: 9n,
};

describe('file catalogue', () => {
  it('joins the signed manifest and the proof, and snapshots its files', () => {
    const entry = catalogueEntry(proof, manifest, 4.5);
    expect(entry).to.deep.equal({ fileId, contributor: proof.contributor, valid: true, score: 7_300, language: 'pt-BR', termsHash: manifest.termsHash, durationSec: 4.5 });
    const catalogue = new FileCatalogue();
    catalogue.add(entry);
    catalogue.add({ ...entry, score: 7_400 });
    const snapshot = catalogue.files();
    catalogue.add({ ...entry, fileId: keccak256(toHex('other')) });
    expect(snapshot.map((f) => f.score)).to.deep.equal([7_400]);
    expect(catalogue.size).to.equal(2);
  });

  it('refuses a proof for another file than the manifest, and a bad duration', () => {
    expect(() => catalogueEntry({ ...proof, fileId: keccak256(toHex('x')) }, manifest, 1)).to.throw().with.property('code', 'JOB_INVALID_PARAMETER');
    expect(() => catalogueEntry(proof, manifest, Number.NaN)).to.throw().with.property('code', 'JOB_INVALID_PARAMETER');
  });
});
