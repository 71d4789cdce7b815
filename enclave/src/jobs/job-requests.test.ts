import { expect } from 'chai';
import { parseSubmission } from './job-requests.ts';

const good = {
  jobId: `0x${'01'.repeat(32)}`,
  policyId: '7',
  buyer: '0x00000000000000000000000000000000000000b1',
  kind: 'gradients',
  model: Buffer.from([1, 2, 3]).toString('base64'),
  buyerKey: `0x${'02'.repeat(32)}`,
  params: { melBands: 80, classes: ['en', 'pt-BR'], parameters: 162 },
};

function code(json: Record<string, unknown>): string {
  try {
    parseSubmission(json);
  } catch (error) {
    return `${(error as { code: string }).code}:${String((error as { details: { field: string } }).details.field)}`;
  }
  return 'OK';
}

describe('job requests from the host', () => {
  it('parses a well-formed submission', () => {
    const s = parseSubmission(good);
    expect(s.policyId).to.equal(7n);
    expect(Array.from(s.model)).to.deep.equal([1, 2, 3]);
    expect(s.buyerKey).to.have.length(32);
    expect(s.params).to.deep.equal(good.params);
    expect(parseSubmission({ ...good, kind: 'aggregates', params: undefined }).params).to.equal(undefined);
  });

  it('refuses each malformed field with JOB_INVALID_PARAMETER naming it', () => {
    expect(code({ ...good, jobId: '0x12' })).to.equal('JOB_INVALID_PARAMETER:jobId');
    expect(code({ ...good, policyId: 7 })).to.equal('JOB_INVALID_PARAMETER:policyId');
    expect(code({ ...good, buyer: 'alice' })).to.equal('JOB_INVALID_PARAMETER:buyer');
    expect(code({ ...good, kind: 'audio' })).to.equal('JOB_INVALID_PARAMETER:kind');
    expect(code({ ...good, buyerKey: '0x1234' })).to.equal('JOB_INVALID_PARAMETER:buyerKey');
    expect(code({ ...good, model: 'not base64!' })).to.equal('JOB_INVALID_PARAMETER:model');
    expect(code({ ...good, model: 'A'.repeat(90_000_000) })).to.equal('JOB_INVALID_PARAMETER:model');
    expect(code({ ...good, params: { ...good.params, classes: ['en'] } })).to.equal('JOB_INVALID_PARAMETER:params.classes');
    expect(code({ ...good, params: { ...good.params, melBands: 1.5 } })).to.equal('JOB_INVALID_PARAMETER:params.melBands');
    expect(code({ ...good, kind: 'features', params: { melBands: 80 } })).to.equal('JOB_INVALID_PARAMETER:params.embedding');
  });
});
