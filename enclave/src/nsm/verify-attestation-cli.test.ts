import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevCa } from '@audata/verifier/dev';
import { BindingPurpose, decodeAttestationBinding, encodeAttestationBinding } from '@audata/wire';
import { createSimulatedNsm } from './simulated-nsm.ts';

const executable = new URL('../../../client/bin/audata.js', import.meta.url).pathname;

describe('audata verify-attestation on a simulated enclave document', function () {
  this.timeout(60_000);

  it('accepts it with --root set to the dev root and refuses it without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audata-verify-'));
    try {
      const ca = createDevCa({ now: new Date() });
      const pcr0 = new Uint8Array(createHash('sha384').update('enclave bundle').digest());
      const nsm = createSimulatedNsm({ ca, pcrs: { 0: pcr0, 1: new Uint8Array(48).fill(1), 2: new Uint8Array(48).fill(2) }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
      const binding = { purpose: BindingPurpose.client, datasetKey: `0x${'ab'.repeat(32)}`, signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', pipelineVersion: `0x${'cd'.repeat(32)}` } as const;
      const document = await nsm.attest({ publicKey: new Uint8Array(32).fill(0xab), userData: encodeAttestationBinding(binding), nonce: Uint8Array.of(1, 2, 3, 4) });
      writeFileSync(join(dir, 'doc.cbor'), document);
      writeFileSync(join(dir, 'root.pem'), ca.rootPem);
      const run = (args: string[]) => spawnSync(process.execPath, [executable, 'verify-attestation', join(dir, 'doc.cbor'), ...args, '--json'], { encoding: 'utf8' });

      const accepted = run(['--root', join(dir, 'root.pem'), '--expect-pcr', `0=${Buffer.from(pcr0).toString('hex')}`, '--nonce', '01020304']);
      expect(accepted.status, accepted.stderr).to.equal(0);
      const json = JSON.parse(accepted.stdout) as { valid: boolean; userData: string };
      expect(json.valid).to.equal(true);
      expect(decodeAttestationBinding(new Uint8Array(Buffer.from(json.userData, 'hex')))).to.deep.equal(binding);

      const refused = run([]);
      expect(refused.status).to.equal(1);
      expect((JSON.parse(refused.stdout) as { valid: boolean }).valid).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
