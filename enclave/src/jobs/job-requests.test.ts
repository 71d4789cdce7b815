import { expect } from 'chai';
import type { JobEngine } from './job-engine.ts';
import { jobRequests, parseSubmission } from './job-requests.ts';

const good = {
  jobId: `0x${'01'.repeat(32)}`,
  policyId: '7',
  buyer: '0x00000000000000000000000000000000000000b1',
  kind: 'gradients',
  model: Buffer.from([1, 2, 3]).toString('base64'),
  buyerKey: `0x${'02'.repeat(32)}`,
  params: { melBands: 80, classes: ['en', 'pt-BR'], parameters: 162 },
  deadline: '1700000600',
  signature: `0x${'03'.repeat(65)}`,
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
    expect(s.deadline).to.equal(1_700_000_600n);
    expect(s.signature).to.equal(good.signature);
    expect(parseSubmission({ ...good, kind: 'aggregates', params: undefined }).params).to.equal(undefined);
    expect(parseSubmission({ ...good, kind: 'aggregates', params: {} }).params).to.equal(undefined);
    // The signature is passed on as received: the engine checks it and names what is wrong.
    expect(parseSubmission({ ...good, signature: undefined }).signature).to.equal(undefined);
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
    // A field the kind does not take would be signed but ignored: refused instead.
    expect(code({ ...good, params: { ...good.params, learningRate: 1 } })).to.equal('JOB_INVALID_PARAMETER:params.learningRate');
    expect(code({ ...good, kind: 'aggregates', params: { melBands: 80 } })).to.equal('JOB_INVALID_PARAMETER:params.melBands');
    expect(code({ ...good, params: [1] })).to.equal('JOB_INVALID_PARAMETER:params');
    expect(code({ ...good, deadline: 1_700_000_600 })).to.equal('JOB_INVALID_PARAMETER:deadline');
    expect(code({ ...good, deadline: '1'.repeat(21) })).to.equal('JOB_INVALID_PARAMETER:deadline');
  });

  it('passes a step\'s index, deadline and signature, and a finish\'s step count, to the engine; refuses them malformed', async () => {
    const calls: Record<string, unknown>[] = [];
    const engine = {
      submit: async () => ({ files: 1, featuresMissing: [] }),
      gradientStep: async (_id: string, step: Record<string, unknown>) => (calls.push(step), { sealed: new Uint8Array([1]), epsilonSpent: 0.5 }),
      finish: async (_id: string, request: Record<string, unknown>) => (calls.push(request), { receipt: { policyId: 7n, epsilonSpent: 0n, deadline: 1n }, signature: '0x', shares: [] }),
    } as unknown as JobEngine;
    const jobs = jobRequests(engine);
    await jobs.submit(good);
    const step = { index: 0, parameters: Buffer.from(new Float32Array([1, 2]).buffer).toString('base64'), sampleRate: 1, noiseMultiplier: 1, clipNorm: 1, deadline: '99', signature: good.signature };
    const refused = (p: Promise<unknown>) => p.then(() => 'OK', (e: { code: string; details: { field: string } }) => `${e.code}:${e.details.field}`);
    expect(await refused(jobs.step(good.jobId as `0x${string}`, { ...step, index: -1 }))).to.equal('JOB_INVALID_PARAMETER:index');
    expect(await refused(jobs.step(good.jobId as `0x${string}`, { ...step, index: undefined }))).to.equal('JOB_INVALID_PARAMETER:index');
    expect(await refused(jobs.step(good.jobId as `0x${string}`, { ...step, deadline: undefined }))).to.equal('JOB_INVALID_PARAMETER:deadline');
    expect(await refused(jobs.finish(good.jobId as `0x${string}`, { deadline: '99', signature: good.signature }))).to.equal('JOB_INVALID_PARAMETER:steps');
    await jobs.step(good.jobId as `0x${string}`, step);
    await jobs.finish(good.jobId as `0x${string}`, { steps: 1, deadline: '99', signature: good.signature });
    expect(calls[0]).to.include({ index: 0, deadline: 99n, signature: good.signature });
    expect(calls[1]).to.deep.equal({ steps: 1, deadline: 99n, signature: good.signature });
  });
});
