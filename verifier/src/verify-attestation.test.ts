import { expect } from 'chai';
import { decodeCbor } from './cbor/decode-cbor.ts';
import { CborMapEntries, encodeCbor, type Encodable } from './cbor/encode-cbor.ts';
import { CborMap } from './cbor/types.ts';
import { decodeCoseSign1 } from './decode-cose-sign1.ts';
import { encodeAttestationPayload, signAttestationPayload } from './dev/index.ts';
import { VerifierError } from './errors.ts';
import { codeOf, DEV_NOW, devDocument, devFields, documentSpecs, PCR0, readDocument, readVector, testCa, testLeaf } from './testing/fixtures.ts';
import { verifyAttestation, type VerifyAttestationOptions } from './verify-attestation.ts';
import { VerifierCache } from './verifier-cache.ts';

function specOptions(spec: ReturnType<typeof documentSpecs>[number]): VerifyAttestationOptions {
  return {
    at: spec.at === 'now' ? new Date() : spec.at === 'document-time' ? 'document-time' : new Date(spec.at),
    ...(spec.expectedPcrs === undefined ? {} : { expectedPcrs: spec.expectedPcrs }),
    ...(spec.allowDebug === undefined ? {} : { allowDebug: spec.allowDebug }),
    ...(spec.nonce === undefined ? {} : { expectedNonce: new Uint8Array(Buffer.from(spec.nonce, 'hex')) }),
  };
}

/** Re-encodes a real document's payload with `change` applied and re-signs it with a dev leaf. */
function resignedPayload(change: (entries: [Encodable, Encodable][]) => [Encodable, Encodable][]): Uint8Array {
  const fields = decodeCoseSign1(devDocument()).fields;
  const entries = [...fields.entries].map(([key, value]) => [key, value instanceof CborMap ? new CborMapEntries([...value.entries] as [Encodable, Encodable][]) : value] as [Encodable, Encodable]);
  return signAttestationPayload(encodeCbor(new CborMapEntries(change(entries))), { privateKey: testLeaf().privateKey });
}

describe('verifyAttestation', () => {
  describe('real documents (test-vectors/nitro/specs.json)', () => {
    for (const spec of documentSpecs()) {
      it(`${spec.name}: ${spec.expect}`, () => {
        const document = readDocument(spec.file);
        for (const cache of [null, new VerifierCache()]) {
          if (spec.expect === 'valid') {
            const result = verifyAttestation(document, { ...specOptions(spec), cache });
            expect(result.debug).to.equal(spec.debug);
            expect(result.root.isAwsNitroRoot).to.equal(true);
            expect(result.digest).to.equal('SHA384');
          } else {
            expect(codeOf(() => verifyAttestation(document, { ...specOptions(spec), cache }))).to.equal(spec.expect);
          }
        }
      });
    }

    it('returns the fields of a verified document', () => {
      const result = verifyAttestation(readVector('yawn-valid.cbor'), { at: 'document-time' });
      expect(result.atDocumentTime).to.equal(true);
      expect(result.verifiedAt.getTime()).to.equal(1736179625472);
      expect(result.moduleId).to.equal('i-0bee92034f3d60691-enc01943c5eaab3ad6a');
      expect(result.pcrs).to.be.instanceOf(Map);
      expect(result.pcrs.size).to.equal(16);
      expect(result.publicKey).to.have.length(294);
      expect(result.userData).to.equal(null);
      expect(result.nonce).to.equal(null);
      expect(result.root.sha256).to.equal('641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b');
    });

    it('checks at now unless told otherwise', () => {
      expect(codeOf(() => verifyAttestation(readVector('yawn-valid.cbor')))).to.equal('ATTESTATION_CERT_EXPIRED');
    });

    it('refuses a real document with a byte of its payload changed', () => {
      const document = readVector('evervault-valid.cbor');
      const cose = decodeCoseSign1(document);
      const changedPayload = cose.payload.slice();
      const moduleIdAt = Buffer.from(changedPayload).indexOf('i-020b6af');
      changedPayload[moduleIdAt] = 'j'.charCodeAt(0);
      const mutated = encodeCbor([cose.protectedHeader, new Map(), changedPayload, cose.signature]);
      expect(codeOf(() => verifyAttestation(mutated, { at: 'document-time' }))).to.equal('ATTESTATION_SIGNATURE_INVALID');
    });

    it('refuses a real document wrapped in another tag, with trailing bytes, or truncated', () => {
      const document = readVector('evervault-valid.cbor');
      expect(verifyAttestation(new Uint8Array([0xd2, ...document]), { at: 'document-time' }).moduleId).to.match(/^i-/);
      expect(codeOf(() => verifyAttestation(new Uint8Array([0xd1, ...document]), { at: 'document-time' }))).to.equal('ATTESTATION_COSE_MALFORMED');
      expect(codeOf(() => verifyAttestation(new Uint8Array([...document, 0]), { at: 'document-time' }))).to.equal('ATTESTATION_CBOR_MALFORMED');
      expect(codeOf(() => verifyAttestation(document.subarray(0, 4000), { at: 'document-time' }))).to.equal('ATTESTATION_CBOR_MALFORMED');
    });

    it('gives a typed error, never a raw exception, for random corruptions; only unchanged bytes pass', () => {
      const cases = [
        { document: readVector('yawn-valid.cbor'), options: { at: 'document-time', cache: null } as VerifyAttestationOptions },
        { document: devDocument({}, { tagged: true, indefiniteMap: true }), options: { root: testCa().rootDer, at: DEV_NOW, cache: null } },
      ];
      let seed = 12345;
      const random = (limit: number): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % limit;
      };
      for (let round = 0; round < 400; round += 1) {
        const { document, options } = cases[round % 2]!;
        const mutated = document.slice(0, document.length - (round % 3 === 0 ? random(50) : 0));
        for (let flips = 0; flips <= random(3); flips += 1) mutated[random(mutated.length)] = random(256);
        try {
          verifyAttestation(mutated, options);
          expect(Buffer.from(mutated).equals(Buffer.from(document)), `round ${round} passed with changed bytes`).to.equal(true);
        } catch (error) {
          expect(error, `round ${round}`).to.be.instanceOf(VerifierError);
        }
      }
    });
  });

  describe('self-signed documents (dev CA)', () => {
    const root = (): Uint8Array => testCa().rootDer;

    it('accepts a dev document only when given the dev root', () => {
      const document = devDocument();
      const result = verifyAttestation(document, { root: root(), at: DEV_NOW, expectedPcrs: new Map([[0, PCR0]]), expectedNonce: Uint8Array.of(1, 2, 3, 4), maxAgeMs: 5_000 });
      expect(result.root.isAwsNitroRoot).to.equal(false);
      expect(result.debug).to.equal(false);
      expect(result.nonce).to.deep.equal(Uint8Array.of(1, 2, 3, 4));
      expect(codeOf(() => verifyAttestation(document, { at: DEV_NOW }))).to.equal('ATTESTATION_ROOT_MISMATCH');
    });

    it('accepts the root as PEM text or PEM bytes', () => {
      expect(verifyAttestation(devDocument(), { root: testCa().rootPem, at: DEV_NOW }).moduleId).to.be.a('string');
      expect(verifyAttestation(devDocument(), { root: Buffer.from(testCa().rootPem), at: DEV_NOW }).moduleId).to.be.a('string');
    });

    it('accepts tag 18, an indefinite-length payload map and 17 PCRs', () => {
      const pcrs = new Map(Array.from({ length: 17 }, (_, index) => [index, new Uint8Array(48).fill(index + 1)] as const));
      const document = devDocument({ pcrs }, { tagged: true, indefiniteMap: true });
      expect(verifyAttestation(document, { root: root(), at: DEV_NOW }).pcrs.size).to.equal(17);
    });

    it('checks at the document time only when asked', () => {
      const old = devDocument({ timestamp: DEV_NOW.getTime() - 2 * 3600_000 });
      expect(codeOf(() => verifyAttestation(old, { root: root(), at: 'document-time' }))).to.equal('ATTESTATION_CERT_NOT_YET_VALID');
      expect(verifyAttestation(old, { root: root(), at: DEV_NOW, maxAgeMs: 3 * 3600_000 }).atDocumentTime).to.equal(false);
      expect(codeOf(() => verifyAttestation(old, { root: root(), at: DEV_NOW, maxAgeMs: 3600_000 }))).to.equal('ATTESTATION_TOO_OLD');
    });

    it('drives each policy check both ways', () => {
      const options = { root: root(), at: DEV_NOW };
      expect(codeOf(() => verifyAttestation(devDocument(), { ...options, expectedPcrs: { 0: 'ff'.repeat(48) } }))).to.equal('ATTESTATION_PCR_MISMATCH');
      expect(codeOf(() => verifyAttestation(devDocument(), { ...options, expectedNonce: Uint8Array.of(9) }))).to.equal('ATTESTATION_NONCE_MISMATCH');
      expect(codeOf(() => verifyAttestation(devDocument(), { ...options, expectedPublicKey: Uint8Array.of(9) }))).to.equal('ATTESTATION_PUBLIC_KEY_MISMATCH');
      expect(codeOf(() => verifyAttestation(devDocument(), { ...options, expectedUserData: Uint8Array.of(9) }))).to.equal('ATTESTATION_USER_DATA_MISMATCH');
      const fields = devFields();
      expect(verifyAttestation(devDocument(), { ...options, expectedPublicKey: fields.publicKey!, expectedUserData: fields.userData! }).userData).to.deep.equal(fields.userData);
      const debug = devDocument({ pcrs: new Map([[0, new Uint8Array(48)]]) });
      expect(codeOf(() => verifyAttestation(debug, options))).to.equal('ATTESTATION_DEBUG_MODE');
      expect(verifyAttestation(debug, { ...options, allowDebug: true }).debug).to.equal(true);
    });

    it('refuses structural mutations of a signed document', () => {
      const options = { root: root(), at: DEV_NOW };
      expect(codeOf(() => verifyAttestation(resignedPayload((entries) => [...entries, ['extra', 1]]), options))).to.equal('ATTESTATION_UNKNOWN_FIELD');
      expect(codeOf(() => verifyAttestation(resignedPayload((entries) => [...entries, ['nonce', null]]), options))).to.equal('ATTESTATION_DUPLICATE_KEY');
      expect(codeOf(() => verifyAttestation(resignedPayload((entries) => entries.map(([key, value]) => [key, key === 'digest' ? 'SHA512' : value])), options))).to.equal('ATTESTATION_DIGEST_UNSUPPORTED');
      expect(codeOf(() => verifyAttestation(resignedPayload((entries) => entries.map(([key, value]) => [key, key === 'pcrs' ? new CborMapEntries([[0, new Uint8Array(20)]]) : value])), options))).to.equal('ATTESTATION_PCR_INVALID');
      expect(codeOf(() => verifyAttestation(resignedPayload((entries) => entries.filter(([key]) => key !== 'timestamp')), options))).to.equal('ATTESTATION_MISSING_FIELD');
      expect(codeOf(() => verifyAttestation(resignedPayload((entries) => entries.map(([key, value]) => [key, key === 'module_id' ? '' : value])), options))).to.equal('ATTESTATION_FIELD_INVALID');
    });

    it('refuses a wrong algorithm, a short signature, a non-map payload', () => {
      const options = { root: root(), at: DEV_NOW };
      const payload = encodeAttestationPayload(devFields(), { certificate: testLeaf().certificate.der, caBundle: testCa().caBundle });
      const es256 = signAttestationPayload(payload, { privateKey: testLeaf().privateKey, protectedHeader: encodeCbor(new Map([[1, -7]])) });
      expect(codeOf(() => verifyAttestation(es256, options))).to.equal('ATTESTATION_UNSUPPORTED_ALGORITHM');
      const cose = decodeCbor(devDocument()) as Encodable[];
      const short = encodeCbor([cose[0]!, new Map(), cose[2]!, (cose[3] as Uint8Array).subarray(0, 64)]);
      expect(codeOf(() => verifyAttestation(short, options))).to.equal('ATTESTATION_SIGNATURE_MALFORMED');
      const list = signAttestationPayload(encodeCbor([1, 2, 3]), { privateKey: testLeaf().privateKey });
      expect(codeOf(() => verifyAttestation(list, options))).to.equal('ATTESTATION_PAYLOAD_NOT_MAP');
    });

    it('refuses a document signed by a key other than the certificate\'s', () => {
      const payload = encodeAttestationPayload(devFields(), { certificate: testLeaf().certificate.der, caBundle: testCa().caBundle });
      const other = signAttestationPayload(payload, { privateKey: testCa().intermediate.privateKey });
      expect(codeOf(() => verifyAttestation(other, { root: root(), at: DEV_NOW }))).to.equal('ATTESTATION_SIGNATURE_INVALID');
    });

    it('refuses invalid options with ATTESTATION_OPTIONS_INVALID', () => {
      const document = devDocument();
      const cases: VerifyAttestationOptions[] = [
        { at: new Date(Number.NaN) },
        { at: 'yesterday' as never },
        { maxAgeMs: -1 },
        { maxAgeMs: Number.NaN },
        { expectedPcrs: { 0: 'zz' } },
        { expectedPcrs: { 0: 'ab' } },
        { expectedPcrs: { 32: 'ab'.repeat(48) } },
        { expectedPcrs: new Map([[-1, new Uint8Array(48)]]) },
        { expectedNonce: 'abc' as never },
        { root: 'not a certificate' },
        { root: Uint8Array.of(1, 2, 3) },
        { root: 42 as never },
      ];
      for (const options of cases) expect(codeOf(() => verifyAttestation(document, options)), JSON.stringify(options)).to.equal('ATTESTATION_OPTIONS_INVALID');
      expect(codeOf(() => verifyAttestation('text' as never))).to.equal('ATTESTATION_OPTIONS_INVALID');
    });

    it('uses the cache: a second verification of a new leaf under a known path verifies only the leaf', () => {
      const cache = new VerifierCache();
      verifyAttestation(devDocument(), { root: root(), at: DEV_NOW, cache });
      expect(cache.sizes).to.deep.equal({ paths: 1, leaves: 1, roots: 1 });
      verifyAttestation(devDocument(), { root: root(), at: DEV_NOW, cache });
      expect(cache.sizes).to.deep.equal({ paths: 1, leaves: 1, roots: 1 });
      expect(codeOf(() => verifyAttestation(devDocument(), { root: root(), at: new Date(DEV_NOW.getTime() + 5 * 3600_000), cache }))).to.equal('ATTESTATION_CERT_EXPIRED');
    });
  });
});
