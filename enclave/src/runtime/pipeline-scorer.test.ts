import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { keccak256, toHex, type Hex } from 'viem';
import { FingerprintIndex } from '../audio/uniqueness.ts';
import { SileroVad } from '../audio/vad.ts';
import type { OpenedContribution } from '../envelope/open.ts';
import { canonicalJson, createPipelineScorer } from './pipeline-scorer.ts';

const fixture = new URL('../../test-vectors/audio/speech-16k.wav', import.meta.url);
const opened = (audio: Uint8Array, fileId: Hex): OpenedContribution => ({
  contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  manifestHash: keccak256(toHex(fileId)),
  audio,
  manifest: { ciphertextSha256: fileId, sealedKeySha256: fileId, datasetKey: fileId, termsHash: fileId, language: 'en', createdAt: 1n, nonce: fileId },
});

describe('pipeline scorer', function () {
  this.timeout(60_000);

  it('scores authenticated audio into basis points, and a second copy is not unique', async () => {
    const scorer = createPipelineScorer({ vad: await SileroVad.load(), index: new FingerprintIndex() });
    const audio = new Uint8Array(readFileSync(fixture));
    const first = await scorer.score(opened(audio.slice(), `0x${'01'.repeat(32)}`));
    expect(first.valid).to.equal(true);
    for (const key of ['score', 'authenticity', 'quality', 'uniqueness'] as const) {
      expect(first[key]).to.be.within(1, 10_000);
      expect(Number.isInteger(first[key])).to.equal(true);
    }
    expect(first.ownership).to.equal(10_000);
    const again = await scorer.score(opened(audio.slice(), `0x${'02'.repeat(32)}`));
    expect(again.uniqueness).to.be.below(first.uniqueness);
    expect(again.detailsHash).to.not.equal(first.detailsHash);
  });

  it('refuses audio it cannot decode with the decoder\'s typed error', async () => {
    const scorer = createPipelineScorer({ vad: await SileroVad.load(), index: new FingerprintIndex() });
    const error = await scorer.score(opened(new TextEncoder().encode('not audio at all, just text'), `0x${'03'.repeat(32)}`)).then(() => undefined, (e: { code?: string }) => e);
    expect(error?.code).to.match(/^AUDIO_/);
  });

  it('hashes details canonically', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).to.equal('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});
