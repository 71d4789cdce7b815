import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { AWS_NITRO_ROOT_G1_SHA256 } from './nitro-root.ts';
import { codeOf, testCa, vectorPath } from './testing/fixtures.ts';
import { awsNitroRoot, certificateDer, loadTrustedRoot } from './trusted-root.ts';

describe('trusted roots', () => {
  it('builds in the AWS Nitro root G1, byte for byte the published root.pem', () => {
    const root = awsNitroRoot();
    expect(root.sha256).to.equal(AWS_NITRO_ROOT_G1_SHA256);
    expect(createHash('sha256').update(root.der).digest('hex')).to.equal('641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b');
    expect(Buffer.from(certificateDer(readFileSync(vectorPath('aws_nitro_root_g1.pem')))).equals(Buffer.from(root.der))).to.equal(true);
    expect(root.isAwsNitroRoot).to.equal(true);
    expect(root.certificate.notAfter.toISOString()).to.equal('2049-10-28T14:28:05.000Z');
    expect(awsNitroRoot()).to.equal(root);
  });

  it('loads another root from PEM text, PEM bytes or DER, and marks it as not AWS', () => {
    const ca = testCa();
    for (const input of [ca.rootPem, Buffer.from(`\n\n${ca.rootPem}\n`), ca.rootDer]) {
      const root = loadTrustedRoot(input);
      expect(Buffer.from(root.der).equals(Buffer.from(ca.rootDer))).to.equal(true);
      expect(root.isAwsNitroRoot).to.equal(false);
    }
  });

  it('refuses a root that is not a certificate', () => {
    expect(codeOf(() => loadTrustedRoot('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))).to.equal('ATTESTATION_OPTIONS_INVALID');
    expect(codeOf(() => loadTrustedRoot('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))).to.equal('ATTESTATION_OPTIONS_INVALID');
    expect(codeOf(() => loadTrustedRoot(Uint8Array.of(0x30, 0x00)))).to.equal('ATTESTATION_OPTIONS_INVALID');
  });
});
