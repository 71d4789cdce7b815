import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { decodeCoseSign1 } from './decode-cose-sign1.ts';
import { generateDevKeyPair, issueDevCertificate, KEY_USAGE, type DevCertificateParams } from './dev/index.ts';
import { parseAttestationDocument } from './parse-attestation-document.ts';
import { codeOf, DEV_NOW, readVector, testCa, testLeaf } from './testing/fixtures.ts';
import { awsNitroRoot, loadTrustedRoot } from './trusted-root.ts';
import { nameText } from './parse-certificate.ts';
import { verifyCertChain } from './verify-cert-chain.ts';
import { VerifierCache } from './verifier-cache.ts';

const HOUR = 3600_000;
const before = new Date(DEV_NOW.getTime() - 10 * 24 * HOUR);
const after = new Date(DEV_NOW.getTime() + 10 * 24 * HOUR);

/** A root -> intermediate(s) -> leaf chain where any certificate's parameters can be changed. */
function buildChain(changes: {
  intermediates?: Partial<DevCertificateParams>[];
  leaf?: Partial<DevCertificateParams>;
  leafKey?: ReturnType<typeof generateDevKeyPair>;
} = {}) {
  const rootKeys = generateDevKeyPair();
  const root = issueDevCertificate({
    subject: 'CN=test root',
    publicKey: rootKeys.publicKey,
    issuer: { name: 'CN=test root', privateKey: rootKeys.privateKey },
    notBefore: before,
    notAfter: after,
    basicConstraints: { ca: true },
    keyUsage: KEY_USAGE.keyCertSign,
  });
  let issuer = { der: root.der, privateKey: rootKeys.privateKey };
  const bundle = [root.der];
  for (const [index, change] of (changes.intermediates ?? [{}]).entries()) {
    const keys = generateDevKeyPair();
    const certificate = issueDevCertificate({
      subject: `CN=test intermediate ${index}`,
      publicKey: keys.publicKey,
      issuer: { certificateDer: issuer.der, privateKey: issuer.privateKey },
      notBefore: before,
      notAfter: after,
      basicConstraints: { ca: true },
      keyUsage: KEY_USAGE.keyCertSign,
      ...change,
    });
    bundle.push(certificate.der);
    issuer = { der: certificate.der, privateKey: keys.privateKey };
  }
  const leafKeys = changes.leafKey ?? generateDevKeyPair();
  const leaf = issueDevCertificate({
    subject: 'CN=test leaf',
    publicKey: leafKeys.publicKey,
    issuer: { certificateDer: issuer.der, privateKey: issuer.privateKey },
    notBefore: new Date(DEV_NOW.getTime() - HOUR),
    notAfter: new Date(DEV_NOW.getTime() + HOUR),
    basicConstraints: { ca: false },
    keyUsage: KEY_USAGE.digitalSignature,
    ...changes.leaf,
  });
  return { root: loadTrustedRoot(root.der), bundle, leaf: leaf.der };
}

function check(chain: ReturnType<typeof buildChain>, at = DEV_NOW, cache: VerifierCache | null = null) {
  return verifyCertChain(chain.leaf, chain.bundle, { root: chain.root, at, cache });
}

describe('verifyCertChain', () => {
  it('accepts a well-formed chain and returns the leaf key', () => {
    const leaf = check(buildChain());
    expect(leaf.curve).to.equal('secp384r1');
    expect(nameText(leaf.subject)).to.equal('CN=test leaf');
  });

  it('accepts two intermediates whose path lengths allow them, as in Nitro', () => {
    const chain = buildChain({ intermediates: [{ basicConstraints: { ca: true, pathLength: 1 } }, { basicConstraints: { ca: true, pathLength: 0 } }] });
    expect(check(chain).curve).to.equal('secp384r1');
  });

  it('accepts the dev CA chain only under the dev root', () => {
    const ca = testCa();
    const leaf = testLeaf().certificate.der;
    expect(verifyCertChain(leaf, ca.caBundle, { root: loadTrustedRoot(ca.rootPem), at: DEV_NOW, cache: null }).curve).to.equal('secp384r1');
    expect(codeOf(() => verifyCertChain(leaf, ca.caBundle, { root: awsNitroRoot(), at: DEV_NOW, cache: null }))).to.equal('ATTESTATION_ROOT_MISMATCH');
  });

  it('refuses a bundle that does not start with the trusted root', () => {
    const chain = buildChain();
    const other = buildChain();
    expect(codeOf(() => verifyCertChain(chain.leaf, chain.bundle, { root: other.root, at: DEV_NOW, cache: null }))).to.equal('ATTESTATION_ROOT_MISMATCH');
  });

  it('refuses an expired or not yet valid leaf', () => {
    const chain = buildChain();
    expect(codeOf(() => check(chain, new Date(DEV_NOW.getTime() + 2 * HOUR)))).to.equal('ATTESTATION_CERT_EXPIRED');
    expect(codeOf(() => check(chain, new Date(DEV_NOW.getTime() - 2 * HOUR)))).to.equal('ATTESTATION_CERT_NOT_YET_VALID');
  });

  it('refuses an expired intermediate', () => {
    const chain = buildChain({ intermediates: [{ notAfter: new Date(DEV_NOW.getTime() - HOUR) }] });
    expect(codeOf(() => check(chain))).to.equal('ATTESTATION_CERT_EXPIRED');
  });

  it('refuses a leaf that names another issuer', () => {
    const chain = buildChain({ leaf: { issuer: { name: 'CN=someone else', privateKey: generateDevKeyPair().privateKey } } });
    expect(codeOf(() => check(chain))).to.equal('ATTESTATION_CERT_ISSUER_MISMATCH');
  });

  it('refuses a leaf signed by a key other than its issuer\'s', () => {
    const chain = buildChain();
    const forged = buildChain({ leaf: { issuer: { name: 'CN=test intermediate 0', privateKey: generateDevKeyPair().privateKey } } });
    expect(codeOf(() => check({ ...chain, leaf: forged.leaf }))).to.equal('ATTESTATION_CERT_SIGNATURE_INVALID');
  });

  it('refuses a certificate whose signature bytes were changed', () => {
    const chain = buildChain();
    const tampered = chain.bundle[1]!.slice();
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x01;
    expect(codeOf(() => check({ ...chain, bundle: [chain.bundle[0]!, tampered] }))).to.equal('ATTESTATION_CERT_SIGNATURE_INVALID');
  });

  it('refuses an intermediate that is not a CA', () => {
    for (const basicConstraints of [{ ca: false }, { ca: true, critical: false }, null]) {
      expect(codeOf(() => check(buildChain({ intermediates: [{ basicConstraints }] })))).to.equal('ATTESTATION_CERT_NOT_CA');
    }
  });

  it('refuses a path longer than a pathLenConstraint allows', () => {
    const chain = buildChain({ intermediates: [{ basicConstraints: { ca: true, pathLength: 0 } }, {}] });
    expect(codeOf(() => check(chain))).to.equal('ATTESTATION_CERT_PATH_LENGTH');
  });

  it('refuses a CA without keyCertSign and a leaf without digitalSignature', () => {
    expect(codeOf(() => check(buildChain({ intermediates: [{ keyUsage: KEY_USAGE.digitalSignature }] })))).to.equal('ATTESTATION_CERT_KEY_USAGE');
    expect(codeOf(() => check(buildChain({ intermediates: [{ keyUsage: null }] })))).to.equal('ATTESTATION_CERT_KEY_USAGE');
    expect(codeOf(() => check(buildChain({ leaf: { keyUsage: KEY_USAGE.keyCertSign } })))).to.equal('ATTESTATION_CERT_KEY_USAGE');
    expect(codeOf(() => check(buildChain({ leaf: { keyUsage: null } })))).to.equal('ATTESTATION_CERT_KEY_USAGE');
  });

  it('refuses a leaf that claims to be a CA or carries a path length', () => {
    expect(codeOf(() => check(buildChain({ leaf: { basicConstraints: { ca: true } } })))).to.equal('ATTESTATION_CERT_LEAF_CONSTRAINTS');
    expect(codeOf(() => check(buildChain({ leaf: { basicConstraints: { ca: true, pathLength: 0 } } })))).to.equal('ATTESTATION_CERT_LEAF_CONSTRAINTS');
  });

  it('refuses an unknown critical extension, and ignores an unknown non-critical one', () => {
    const extension = { oid: '1.3.6.1.4.1.55555.1', value: Uint8Array.of(0x05, 0x00) };
    expect(codeOf(() => check(buildChain({ leaf: { extraExtensions: [{ ...extension, critical: true }] } })))).to.equal('ATTESTATION_CERT_CRITICAL_EXTENSION');
    expect(codeOf(() => check(buildChain({ intermediates: [{ extraExtensions: [{ ...extension, critical: true }] }] })))).to.equal('ATTESTATION_CERT_CRITICAL_EXTENSION');
    expect(check(buildChain({ leaf: { extraExtensions: [{ ...extension, critical: false }] } })).curve).to.equal('secp384r1');
  });

  it('refuses a leaf key that is not P-384, or not EC at all', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(codeOf(() => check(buildChain({ leafKey: p256 })))).to.equal('ATTESTATION_CERT_UNSUPPORTED_KEY');
    const ed25519 = generateKeyPairSync('ed25519');
    expect(codeOf(() => check(buildChain({ leafKey: ed25519 })))).to.equal('ATTESTATION_CERT_UNSUPPORTED_KEY');
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(codeOf(() => check(buildChain({ leafKey: secp256k1 })))).to.equal('ATTESTATION_CERT_UNSUPPORTED_KEY');
  });

  it('refuses certificates that are not DER X.509', () => {
    const chain = buildChain();
    for (const bytes of [Uint8Array.of(1, 2, 3), Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00), new Uint8Array([...chain.leaf, 0])]) {
      expect(codeOf(() => check({ ...chain, leaf: bytes }))).to.equal('ATTESTATION_CERT_MALFORMED');
      expect(codeOf(() => check({ ...chain, bundle: [chain.bundle[0]!, bytes] }))).to.equal('ATTESTATION_CERT_MALFORMED');
    }
  });

  it('refuses a real bundle with its intermediates out of order', () => {
    const document = parseAttestationDocument(decodeCoseSign1(readVector('yawn-valid.cbor')).fields);
    const [root, a, b, c] = document.caBundle;
    const at = new Date(document.timestamp);
    expect(verifyCertChain(document.certificate, document.caBundle, { root: awsNitroRoot(), at, cache: null }).curve).to.equal('secp384r1');
    expect(codeOf(() => verifyCertChain(document.certificate, [root!, b!, a!, c!], { root: awsNitroRoot(), at, cache: null }))).to.equal('ATTESTATION_CERT_ISSUER_MISMATCH');
    expect(codeOf(() => verifyCertChain(document.certificate, [root!, a!, b!], { root: awsNitroRoot(), at, cache: null }))).to.equal('ATTESTATION_CERT_ISSUER_MISMATCH');
  });

  it('caches proven certificates but still checks their validity at each call', () => {
    const chain = buildChain();
    const cache = new VerifierCache();
    check(chain, DEV_NOW, cache);
    expect(cache.sizes).to.deep.include({ paths: 1, leaves: 1 });
    expect(check(chain, DEV_NOW, cache).curve).to.equal('secp384r1');
    expect(codeOf(() => check(chain, new Date(DEV_NOW.getTime() + 2 * HOUR), cache))).to.equal('ATTESTATION_CERT_EXPIRED');
    expect(codeOf(() => check(chain, new Date(after.getTime() + HOUR), cache))).to.equal('ATTESTATION_CERT_EXPIRED');
    const forged = buildChain({ leaf: { issuer: { name: 'CN=test intermediate 0', privateKey: generateDevKeyPair().privateKey } } });
    expect(codeOf(() => check({ ...chain, leaf: forged.leaf }, DEV_NOW, cache))).to.equal('ATTESTATION_CERT_SIGNATURE_INVALID');
  });
});
