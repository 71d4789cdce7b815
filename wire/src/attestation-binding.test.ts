import { expect } from 'chai';
import { BindingPurpose, decodeAttestationBinding, encodeAttestationBinding, type AttestationBinding } from './attestation-binding.ts';

describe('attestation binding', () => {
  const binding: AttestationBinding = {
    purpose: BindingPurpose.client,
    datasetKey: `0x${'ab'.repeat(32)}`,
    signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    pipelineVersion: `0x${'cd'.repeat(32)}`,
  };

  it('round-trips the fixed 90-byte layout', () => {
    const bytes = encodeAttestationBinding(binding);
    expect(bytes.length).to.equal(90);
    expect(Buffer.from(bytes.subarray(0, 6)).toString('hex')).to.equal('415544420101');
    expect(decodeAttestationBinding(bytes)).to.deep.equal(binding);
  });

  it('refuses anything else', () => {
    const bytes = encodeAttestationBinding(binding);
    const code = (f: () => unknown) => { try { f(); } catch (e) { return (e as { code: string }).code; } return 'none'; };
    expect(code(() => decodeAttestationBinding(null))).to.equal('ATTESTATION_BINDING_INVALID');
    expect(code(() => decodeAttestationBinding(bytes.subarray(0, 89)))).to.equal('ATTESTATION_BINDING_INVALID');
    for (const [at, value] of [[0, 0], [4, 2], [5, 9]] as const) {
      const bad = bytes.slice();
      bad[at] = value;
      expect(code(() => decodeAttestationBinding(bad))).to.equal('ATTESTATION_BINDING_INVALID');
    }
    expect(code(() => encodeAttestationBinding({ ...binding, datasetKey: '0x00' }))).to.equal('ATTESTATION_BINDING_INVALID');
  });
});
