import { expect } from 'chai';
import { ciphertextLengthOf, envelopeHeaderToJson, parseEnvelopeHeader, plaintextLengthOf, STREAM_HEADER_BYTES, type EnvelopeHeader } from './envelope.ts';

describe('envelope layout', () => {
  it('ciphertext and plaintext lengths invert each other around chunk boundaries', () => {
    for (const log2 of [12, 16]) {
      const size = 1 << log2;
      for (const n of [0, 1, size - 1, size, size + 1, 3 * size, 3 * size + 5]) {
        expect(plaintextLengthOf(ciphertextLengthOf(n, log2), log2), `${n} bytes, 2^${log2}`).to.equal(n);
      }
    }
    expect(ciphertextLengthOf(0, 16)).to.equal(STREAM_HEADER_BYTES + 17);
    expect(plaintextLengthOf(STREAM_HEADER_BYTES + 16, 16)).to.equal(undefined);
    expect(plaintextLengthOf(STREAM_HEADER_BYTES + (1 << 12) + 17 + 5, 12)).to.equal(undefined);
  });

  it('parses a header from its JSON form and names the first bad field', () => {
    const header: EnvelopeHeader = {
      version: 1,
      manifest: { ciphertextSha256: `0x${'01'.repeat(32)}`, sealedKeySha256: `0x${'02'.repeat(32)}`, datasetKey: `0x${'03'.repeat(32)}`, termsHash: `0x${'04'.repeat(32)}`, language: 'pt-BR', createdAt: 1_700_000_000n, nonce: `0x${'05'.repeat(32)}` },
      signature: `0x${'06'.repeat(65)}`,
      contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      sealedKey: `0x${'07'.repeat(80)}`,
      ciphertextLength: 1000,
    };
    const json = JSON.parse(JSON.stringify(envelopeHeaderToJson(header)));
    const parsed = parseEnvelopeHeader(json);
    expect(parsed.ok && parsed.header).to.deep.equal(header);
    const bad = parseEnvelopeHeader({ ...json, manifest: { ...json.manifest, language: 'en_US!' } });
    expect(!bad.ok && bad.problem.field).to.equal('manifest.language');
    const big = parseEnvelopeHeader({ ...json, manifest: { ...json.manifest, createdAt: '18446744073709551616' } });
    expect(!big.ok && big.problem.field).to.equal('manifest.createdAt');
  });
});
