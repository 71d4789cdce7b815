import { X509Certificate, verify } from 'node:crypto';
import { expect } from 'chai';
import { decodeCbor } from '../cbor/decode-cbor.ts';
import { CborMap, CborTagged } from '../cbor/types.ts';
import { encodeSigStructure } from '../sig-structure.ts';
import { createDevCa, exportDevCa, importDevCa, issueLeaf } from './dev-ca.ts';
import { signAttestationDocument } from './sign-attestation-document.ts';

const NOW = new Date('2026-01-02T03:04:05.678Z');

describe('dev CA', () => {
  it('builds a root -> intermediate -> leaf chain that X.509 accepts', () => {
    const ca = createDevCa({ now: NOW });
    const leaf = issueLeaf(ca, { now: NOW });
    const root = new X509Certificate(ca.rootDer);
    const intermediate = new X509Certificate(ca.intermediate.certificate.der);
    const leafCert = new X509Certificate(leaf.certificate.der);
    expect(root.verify(root.publicKey)).to.equal(true);
    expect(intermediate.checkIssued(root)).to.equal(true);
    expect(intermediate.verify(root.publicKey)).to.equal(true);
    expect(leafCert.checkIssued(intermediate)).to.equal(true);
    expect(leafCert.verify(intermediate.publicKey)).to.equal(true);
    expect(leafCert.ca).to.equal(false);
    expect(intermediate.ca).to.equal(true);
    expect(new Date(leafCert.validTo).getTime() - new Date(leafCert.validFrom).getTime()).to.equal(3 * 3600 * 1000);
    expect(ca.rootPem).to.match(/^-----BEGIN CERTIFICATE-----/);
    expect(ca.caBundle).to.have.length(2);
  });

  it('survives export and import, and the imported CA issues leaves that chain to the same root', () => {
    const ca = createDevCa({ now: NOW, validityDays: 30 });
    const material = JSON.parse(JSON.stringify(exportDevCa(ca)));
    const again = importDevCa(material);
    expect(Buffer.from(again.rootDer).equals(Buffer.from(ca.rootDer))).to.equal(true);
    const leaf = issueLeaf(again, { now: NOW, lifetimeMs: 60_000 });
    const leafCert = new X509Certificate(leaf.certificate.der);
    const intermediate = new X509Certificate(ca.intermediate.certificate.der);
    expect(leafCert.checkIssued(intermediate)).to.equal(true);
    expect(leafCert.verify(intermediate.publicKey)).to.equal(true);
  });

  it('refuses material whose key does not match its certificate', () => {
    const one = exportDevCa(createDevCa({ now: NOW }));
    const two = exportDevCa(createDevCa({ now: NOW }));
    expect(() => importDevCa({ ...one, intermediatePrivateKeyPem: two.intermediatePrivateKeyPem })).to.throw(/does not match/);
  });

  it('signs a COSE_Sign1 document like Nitro: untagged or tag 18, definite or indefinite map', () => {
    const ca = createDevCa({ now: NOW });
    const leaf = issueLeaf(ca, { now: NOW });
    const fields = { moduleId: 'i-dev', timestamp: NOW.getTime(), pcrs: new Map([[0, new Uint8Array(48).fill(1)]]), nonce: Uint8Array.of(1, 2) };
    for (const tagged of [false, true]) {
      for (const indefiniteMap of [false, true]) {
        const document = signAttestationDocument(fields, { leaf, caBundle: ca.caBundle, tagged, indefiniteMap });
        let outer = decodeCbor(document);
        if (tagged) {
          expect(outer).to.be.instanceOf(CborTagged);
          outer = (outer as CborTagged).value as never;
        }
        const [protectedHeader, unprotected, payload, signature] = outer as [Uint8Array, CborMap, Uint8Array, Uint8Array];
        expect(Buffer.from(protectedHeader).toString('hex')).to.equal('a1013822');
        expect(unprotected.entries.size).to.equal(0);
        expect(signature).to.have.length(96);
        const map = decodeCbor(payload) as CborMap;
        expect(map.indefinite).to.equal(indefiniteMap);
        expect([...map.entries.keys()]).to.deep.equal(['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce']);
        expect(map.entries.get('user_data')).to.equal(null);
        const ok = verify('sha384', encodeSigStructure(protectedHeader, payload), { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
        expect(ok).to.equal(true);
      }
    }
  });
});
