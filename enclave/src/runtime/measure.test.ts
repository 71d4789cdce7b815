import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { buildEnclave } from '../../build.ts';

describe('enclave measurement', function () {
  this.timeout(180_000);

  it('two builds of the same source give the same bundle and PCRs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audata-measure-'));
    try {
      const a = await buildEnclave(join(dir, 'a'));
      const b = await buildEnclave(join(dir, 'b'));
      expect(a.pcr0).to.match(/^[0-9a-f]{96}$/);
      expect(b).to.deep.equal(a);
      const bundle = readFileSync(join(dir, 'a', 'enclave.mjs'));
      expect(createHash('sha384').update(bundle).digest('hex')).to.equal(a.pcr0);
      expect(bundle.toString('utf8')).to.not.include(dir);
      expect(Object.keys(a.externals)).to.include('onnxruntime-node');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
