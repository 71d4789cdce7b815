import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAttestation } from '@audata/verifier';
import { createDevCa } from '@audata/verifier/dev';
import { createNitroNsm } from './nitro-nsm.ts';
import { createSimulatedNsm } from './simulated-nsm.ts';

const sha384 = (text: string) => new Uint8Array(createHash('sha384').update(text).digest());
const code = async (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code);

describe('NSM', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const ca = createDevCa({ now: new Date('2025-12-01T00:00:00Z') });
  const pcrs = { 0: sha384('bundle'), 1: sha384('runtime'), 2: sha384('lockfile') };
  const nsm = createSimulatedNsm({ ca, pcrs, moduleId: 'i-dev0000000000000000-enc0000000000000000', now: () => now });

  it('simulated documents verify against the dev root only, with PCRs and fields bound', async () => {
    const nonce = new Uint8Array([1, 2, 3]);
    const document = await nsm.attest({ publicKey: new Uint8Array(32).fill(9), userData: new Uint8Array([7]), nonce });
    const verified = verifyAttestation(document, { root: ca.rootDer, at: now, expectedPcrs: { 0: pcrs[0] }, expectedNonce: nonce, cache: null });
    expect(Buffer.from(verified.pcrs.get(1)!).equals(Buffer.from(pcrs[1]))).to.equal(true);
    expect(verified.pcrs.get(3)!.every((b) => b === 0)).to.equal(true);
    expect(verified.pcrs.size).to.equal(16);
    expect(verified.moduleId).to.match(/^i-dev/);
    expect(verified.root.isAwsNitroRoot).to.equal(false);
    expect(() => verifyAttestation(document, { at: now, cache: null })).to.throw().with.property('code').that.matches(/^ATTESTATION_/);
    expect(() => verifyAttestation(document, { root: ca.rootDer, at: now, expectedPcrs: { 0: sha384('another build') }, cache: null })).to.throw().with.property('code', 'ATTESTATION_PCR_MISMATCH');
    const description = await nsm.describe();
    expect(Buffer.from(description.pcrs.get(2)!).equals(Buffer.from(pcrs[2]))).to.equal(true);
  });

  it('refuses inputs above NSM limits', async () => {
    expect(await code(nsm.attest({ userData: new Uint8Array(513) }))).to.equal('NSM_INPUT_TOO_LARGE');
    expect(await code(nsm.attest({ publicKey: new Uint8Array(1025) }))).to.equal('NSM_INPUT_TOO_LARGE');
  });

  describe('Nitro (through a stand-in for the helper binary; /dev/nsm exists only in an enclave)', () => {
    let dir: string;
    const helper = (body: string) => {
      const path = join(dir, `helper-${Math.random().toString(16).slice(2)}.sh`);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    before(() => (dir = mkdtempSync(join(tmpdir(), 'audata-nsm-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('passes the request on stdin and decodes the document', async () => {
      const out = join(dir, 'request.json');
      const nitro = createNitroNsm({ helperPath: helper(`cat > ${out}; printf 'AQID'`) });
      const document = await nitro.attest({ nonce: new Uint8Array([5]) });
      expect([...document]).to.deep.equal([1, 2, 3]);
      const { readFileSync } = await import('node:fs');
      expect(JSON.parse(readFileSync(out, 'utf8'))).to.deep.equal({ nonce: 'BQ==' });
    });

    it('parses describe output', async () => {
      const nitro = createNitroNsm({ helperPath: helper(`echo '{"module_id":"i-0abc-enc0def","digest":"SHA384","pcrs":{"0":"${'ab'.repeat(48)}"}}'`) });
      expect((await nitro.describe()).pcrs.get(0)![0]).to.equal(0xab);
    });

    it('turns helper failures into NSM_HELPER_FAILED', async () => {
      expect(await code(createNitroNsm({ helperPath: join(dir, 'missing') }).attest({}))).to.equal('NSM_HELPER_FAILED');
      expect(await code(createNitroNsm({ helperPath: helper('echo "no /dev/nsm" >&2; exit 3') }).attest({}))).to.equal('NSM_HELPER_FAILED');
      expect(await code(createNitroNsm({ helperPath: helper('echo "not base64!"') }).attest({}))).to.equal('NSM_HELPER_FAILED');
      expect(await code(createNitroNsm({ helperPath: helper('echo "{}"') }).describe())).to.equal('NSM_HELPER_FAILED');
      expect(await code(createNitroNsm({ helperPath: helper('exec sleep 5'), timeoutMs: 100 }).attest({}))).to.equal('NSM_HELPER_FAILED');
    });
  });
});
