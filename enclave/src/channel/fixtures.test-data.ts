// A well-formed envelope header (shape only; its signature checks nothing), for channel schema tests.
import type { EnvelopeHeaderJson } from '@audata/wire';

export const header: EnvelopeHeaderJson = {
  version: 1,
  manifest: {
    ciphertextSha256: `0x${'01'.repeat(32)}`,
    sealedKeySha256: `0x${'02'.repeat(32)}`,
    datasetKey: `0x${'03'.repeat(32)}`,
    termsHash: `0x${'04'.repeat(32)}`,
    language: 'en',
    createdAt: '1700000000',
    nonce: `0x${'05'.repeat(32)}`,
  },
  signature: `0x${'06'.repeat(65)}`,
  contributor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  sealedKey: `0x${'07'.repeat(80)}`,
  ciphertextLength: 1000,
};
