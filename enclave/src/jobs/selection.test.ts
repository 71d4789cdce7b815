import { expect } from 'chai';
import { keccak256, toHex, type Address, type Hex } from 'viem';
import { languageMatches, passesFilter, selectFiles, type CatalogueFile } from './selection.ts';

const terms: Hex = keccak256(toHex('CC-BY-4.0 consent'));
const id = (n: number): Hex => keccak256(toHex(`file ${n}`));
const alice: Address = '0x00000000000000000000000000000000000000a1';

const file = (n: number, overrides: Partial<CatalogueFile> = {}): CatalogueFile => ({
  fileId: id(n),
  contributor: alice,
  valid: true,
  score: 8_000,
  language: 'en',
  termsHash: terms,
  durationSec: 5,
  ...overrides,
});
const policy = { minScore: 5_000, languages: ['en', 'pt-BR'], termsHash: terms };
const noRevocations = { revoked: async () => new Set<Hex>() };

describe('file selection', () => {
  it('matches languages by RFC 4647 basic filtering', () => {
    expect(languageMatches([], 'fr')).to.equal(true);
    expect(languageMatches(['en'], 'en-GB')).to.equal(true);
    expect(languageMatches(['en'], 'EN')).to.equal(true);
    expect(languageMatches(['en'], 'eng')).to.equal(false);
    expect(languageMatches(['pt-BR'], 'pt')).to.equal(false);
  });

  it('admits only valid files at or above the minimum score, in a listed language, under the policy terms', () => {
    expect(passesFilter(file(1), policy)).to.equal(true);
    expect(passesFilter(file(1, { score: 5_000 }), policy)).to.equal(true);
    expect(passesFilter(file(1, { score: 4_999 }), policy)).to.equal(false);
    expect(passesFilter(file(1, { valid: false }), policy)).to.equal(false);
    expect(passesFilter(file(1, { language: 'de' }), policy)).to.equal(false);
    expect(passesFilter(file(1, { termsHash: keccak256(toHex('other terms')) }), policy)).to.equal(false);
  });

  it('never selects a revoked file, even one that passes every other rule', async () => {
    const catalogue = [1, 2, 3, 4].map((n) => file(n));
    const revokedIds = new Set([id(2), id(4)]);
    const asked: Hex[][] = [];
    const source = { revoked: async (ids: readonly Hex[]) => (asked.push([...ids]), new Set(ids.filter((x) => revokedIds.has(x)))) };
    const selection = await selectFiles(catalogue, policy, source);
    expect(selection.revoked).to.equal(2);
    expect(selection.files.map((f) => f.fileId).sort()).to.deep.equal([id(1), id(3)].sort());
    expect(asked.flat().sort()).to.deep.equal(catalogue.map((f) => f.fileId).sort());
  });

  it('drops filtered files before asking the chain, ignores duplicates and sorts by file id', async () => {
    const catalogue = [file(3), file(1), file(1), file(2, { score: 100 })];
    const selection = await selectFiles(catalogue, policy, noRevocations);
    expect(selection.files.map((f) => f.fileId)).to.deep.equal([id(1), id(3)].sort());
  });
});
