import { expect } from 'chai';
import { checkPolicy, isDebugDocument } from './check-policy.ts';
import type { AttestationDocument } from './parse-attestation-document.ts';
import { codeOf, PCR0, PCR1 } from './testing/fixtures.ts';

const AT = new Date('2026-03-01T12:00:00.000Z');

function document(overrides: Partial<AttestationDocument> = {}): AttestationDocument {
  return {
    moduleId: 'i-0',
    digest: 'SHA384',
    timestamp: AT.getTime() - 5_000,
    pcrs: new Map([
      [0, PCR0],
      [1, PCR1],
    ]),
    certificate: new Uint8Array(1),
    caBundle: [new Uint8Array(1)],
    publicKey: Uint8Array.of(1),
    userData: Uint8Array.of(2),
    nonce: Uint8Array.of(3),
    ...overrides,
  };
}

const debugPcrs = new Map([
  [0, new Uint8Array(48)],
  [1, new Uint8Array(48)],
]);

describe('checkPolicy', () => {
  it('accepts a document that meets every expectation', () => {
    expect(() =>
      checkPolicy(document(), { expectedPcrs: new Map([[1, PCR1]]), expectedNonce: Uint8Array.of(3), expectedPublicKey: Uint8Array.of(1), expectedUserData: Uint8Array.of(2), maxAgeMs: 5_000 }, AT),
    ).not.to.throw();
  });

  it('refuses a PCR that differs or is absent', () => {
    expect(codeOf(() => checkPolicy(document(), { expectedPcrs: new Map([[0, PCR1]]) }, AT))).to.equal('ATTESTATION_PCR_MISMATCH');
    expect(codeOf(() => checkPolicy(document(), { expectedPcrs: new Map([[4, PCR1]]) }, AT))).to.equal('ATTESTATION_PCR_MISMATCH');
    expect(codeOf(() => checkPolicy(document(), { expectedPcrs: new Map([[0, PCR0.subarray(0, 32)]]) }, AT))).to.equal('ATTESTATION_PCR_MISMATCH');
  });

  it('refuses a debug-mode document unless allowed, before any PCR check', () => {
    expect(isDebugDocument(document({ pcrs: debugPcrs }))).to.equal(true);
    expect(isDebugDocument(document())).to.equal(false);
    expect(codeOf(() => checkPolicy(document({ pcrs: debugPcrs }), { expectedPcrs: new Map([[0, PCR0]]) }, AT))).to.equal('ATTESTATION_DEBUG_MODE');
    expect(() => checkPolicy(document({ pcrs: debugPcrs }), { allowDebug: true }, AT)).not.to.throw();
    expect(codeOf(() => checkPolicy(document({ pcrs: debugPcrs }), { allowDebug: true, expectedPcrs: new Map([[0, PCR0]]) }, AT))).to.equal('ATTESTATION_PCR_MISMATCH');
  });

  it('refuses a different or missing nonce', () => {
    expect(codeOf(() => checkPolicy(document(), { expectedNonce: Uint8Array.of(4) }, AT))).to.equal('ATTESTATION_NONCE_MISMATCH');
    expect(codeOf(() => checkPolicy(document({ nonce: null }), { expectedNonce: Uint8Array.of(3) }, AT))).to.equal('ATTESTATION_NONCE_MISMATCH');
  });

  it('refuses a different or missing public_key and user_data', () => {
    expect(codeOf(() => checkPolicy(document(), { expectedPublicKey: Uint8Array.of(9) }, AT))).to.equal('ATTESTATION_PUBLIC_KEY_MISMATCH');
    expect(codeOf(() => checkPolicy(document({ publicKey: null }), { expectedPublicKey: Uint8Array.of(1) }, AT))).to.equal('ATTESTATION_PUBLIC_KEY_MISMATCH');
    expect(codeOf(() => checkPolicy(document(), { expectedUserData: Uint8Array.of(2, 0) }, AT))).to.equal('ATTESTATION_USER_DATA_MISMATCH');
    expect(codeOf(() => checkPolicy(document({ userData: null }), { expectedUserData: Uint8Array.of(2) }, AT))).to.equal('ATTESTATION_USER_DATA_MISMATCH');
  });

  it('refuses a document older than maxAgeMs at the verification time, or from its future', () => {
    expect(codeOf(() => checkPolicy(document(), { maxAgeMs: 4_999 }, AT))).to.equal('ATTESTATION_TOO_OLD');
    expect(() => checkPolicy(document(), { maxAgeMs: 5_000 }, AT)).not.to.throw();
    expect(() => checkPolicy(document(), { maxAgeMs: 10 }, new Date(AT.getTime() - 5_000))).not.to.throw();
    const future = document({ timestamp: AT.getTime() + 61_000 });
    expect(codeOf(() => checkPolicy(future, { maxAgeMs: 1_000 }, AT))).to.equal('ATTESTATION_TIMESTAMP_IN_FUTURE');
    expect(() => checkPolicy(future, { maxAgeMs: 1_000, clockToleranceMs: 120_000 }, AT)).not.to.throw();
  });
});
