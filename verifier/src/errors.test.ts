import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { AudataError } from '@audata/wire';
import { PcrMismatchError, VerifierError } from './errors.ts';

const here = new URL('.', import.meta.url).pathname;

function testSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testSources(path);
    return name.endsWith('.test.ts') && name !== 'errors.test.ts' ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('VerifierError', () => {
  it('is an AudataError carrying its check, code, expected and received values', () => {
    const error = new PcrMismatchError(0, 'aa', 'bb');
    expect(error).to.be.instanceOf(VerifierError).and.instanceOf(AudataError);
    expect(error.name).to.equal('PcrMismatchError');
    expect(error.check).to.equal('policy');
    expect(error.code).to.equal('ATTESTATION_PCR_MISMATCH');
    expect(error.details).to.deep.include({ expected: 'aa', received: 'bb' });
  });

  it('has every code asserted by some test or test vector', () => {
    const codes = [...readFileSync(join(here, 'errors.ts'), 'utf8').matchAll(/'(ATTESTATION_[A-Z_]+)'/g)].map((match) => match[1]!);
    expect(codes.length).to.be.greaterThan(25);
    const corpus = testSources(here).join('\n') + readFileSync(join(here, '../test-vectors/nitro/specs.json'), 'utf8');
    const untested = codes.filter((code) => !corpus.includes(`'${code}'`) && !corpus.includes(`"${code}"`));
    expect(untested).to.deep.equal([]);
  });
});
