import { expect } from 'chai';
import Sqlite from 'better-sqlite3';
import type { Hex } from 'viem';
import { ChannelRemoteError, type JobStatusJson } from '@audata/wire';
import { createApp } from '../app.ts';
import { FsBlobStore } from '../blobs/fs-store.ts';
import { ContributionStore } from '../db/contributions.ts';
import type { JobRelay } from '../deps.ts';
import { AuditForkError } from '../db/audit-log.ts';
import { EnclaveUnreachableError, JobFeaturesMissingError } from '../enclave-client.ts';
import { listen, type Listening } from '../listen.ts';
import { createLogger } from '../log.ts';
import { createHostMetrics } from '../metrics.ts';
import { ScoringQueue } from '../queue/scoring-queue.ts';

const jobId = `0x${'ab'.repeat(32)}` as Hex;

async function serve(jobs: JobRelay | undefined): Promise<Listening & { close(): Promise<void> }> {
  const db = new Sqlite(':memory:');
  const queue = new ScoringQueue(db, { leaseMs: 1000, maxAttempts: 1 });
  const app = createApp({
    enclave: { attest: async () => ({ document: new Uint8Array() }) },
    ...(jobs === undefined ? {} : { jobs }),
    blobs: new FsBlobStore('/nonexistent'),
    contributions: new ContributionStore(db, queue),
    queue,
    metrics: createHostMetrics(() => ({})),
    logger: createLogger({ sink: () => {} }),
    maxUploadBytes: 1,
  });
  const running = await listen(app, { port: 0, bind: '127.0.0.1' });
  return { ...running, close: async () => { await running.close(); db.close(); } };
}

describe('host job routes (relay to the enclave)', () => {
  const seen: { type: string; jobId?: Hex; body?: string }[] = [];
  const status: JobStatusJson = { jobId, kind: 'gradients', status: 'running', files: 5, steps: 0 };
  let fail: Error | undefined;
  const relay: JobRelay = {
    submit: async (body) => {
      seen.push({ type: 'submit', body: new TextDecoder().decode(body) });
      if (fail !== undefined) throw fail;
      return status;
    },
    status: async (id) => (seen.push({ type: 'status', jobId: id }), status),
    result: async (id) => (seen.push({ type: 'result', jobId: id }), { sealed: new Uint8Array([1, 2, 3]), epsilonSpent: 0.5 }),
    step: async (id, body) => (seen.push({ type: 'step', jobId: id, body: new TextDecoder().decode(body) }), { sealed: new Uint8Array([4, 5]), epsilonSpent: 0.1 }),
    finish: async (id, body) => (seen.push({ type: 'finish', jobId: id, body: new TextDecoder().decode(body) }), new TextEncoder().encode('{"receipt":{"jobId":"x"},"signature":"0x01","shares":[]}')),
  };

  it('relays each route to the enclave with the body (and the buyer signature in it) as sent, and the sealed bytes back as base64', async () => {
    const host = await serve(relay);
    try {
      const submitted = await fetch(`${host.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jobId":"x","model":"AAAA","deadline":"99","signature":"0x01"}' });
      expect(submitted.status).to.equal(201);
      expect(await submitted.json()).to.deep.equal(status);
      expect(await (await fetch(`${host.url}/v1/jobs/${jobId}`)).json()).to.deep.equal(status);
      expect(await (await fetch(`${host.url}/v1/jobs/${jobId}/result`)).json()).to.deep.equal({ sealed: 'AQID', epsilonSpent: 0.5 });
      const step = await fetch(`${host.url}/v1/jobs/${jobId}/steps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"index":0,"parameters":"AAAAAA==","signature":"0x02"}' });
      expect(await step.json()).to.deep.equal({ sealed: 'BAU=', epsilonSpent: 0.1 });
      const finished = await fetch(`${host.url}/v1/jobs/${jobId}/finish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"steps":1,"deadline":"99","signature":"0x03"}' });
      expect(await finished.text()).to.equal('{"receipt":{"jobId":"x"},"signature":"0x01","shares":[]}');
      expect(seen.map((s) => s.type)).to.deep.equal(['submit', 'status', 'result', 'step', 'finish']);
      expect(seen[0]!.body).to.equal('{"jobId":"x","model":"AAAA","deadline":"99","signature":"0x01"}');
      expect(seen[3]!.body).to.equal('{"index":0,"parameters":"AAAAAA==","signature":"0x02"}');
      expect(seen[4]!.body).to.equal('{"steps":1,"deadline":"99","signature":"0x03"}');
    } finally {
      await host.close();
    }
  });

  it("keeps the enclave's refusal codes with fitting statuses, and refuses bad ids and empty bodies", async () => {
    const host = await serve(relay);
    const post = () => fetch(`${host.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const code = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;
    try {
      for (const [remote, expected] of [['JOB_UNPAID', 402], ['JOB_POLICY_UNKNOWN', 404], ['JOB_WRONG_BUYER', 403], ['JOB_SIGNER_NOT_BUYER', 403], ['JOB_REQUEST_EXPIRED', 403], ['JOB_SIGNATURE_MISSING', 400], ['JOB_STEP_OUT_OF_ORDER', 409], ['PRIVACY_BUDGET_EXCEEDED', 403], ['JOB_MODEL_OPERATOR_FORBIDDEN', 422], ['JOB_STATE', 409], ['JOB_INTERRUPTED', 409], ['JOB_RUNS_FULL', 503], ['ENCLAVE_JOBS_DISABLED', 503]] as const) {
        fail = new ChannelRemoteError(remote, `refused: ${remote}`, {});
        const r = await post();
        expect(r.status, remote).to.equal(expected);
        expect(await code(r)).to.equal(remote);
      }
      fail = new JobFeaturesMissingError(jobId, jobId, 'the host keeps no feature entry for a file it needs');
      const lacking = await post();
      expect(lacking.status).to.equal(503);
      expect(await code(lacking)).to.equal('HOST_JOB_FEATURES_MISSING');
      // The enclave's log or state disagrees with what the host kept: told, not hidden as a 500.
      fail = new AuditForkError('entry', 7, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`);
      const forked = await post();
      expect(forked.status).to.equal(503);
      expect(await code(forked)).to.equal('HOST_AUDIT_FORK');
      fail = new EnclaveUnreachableError('connection refused');
      const down = await post();
      expect(down.status).to.equal(503);
      expect(await code(down)).to.equal('HOST_JOBS_UNAVAILABLE');
      fail = undefined;
      const bad = await fetch(`${host.url}/v1/jobs/0x1234`);
      expect(bad.status).to.equal(400);
      expect(await code(bad)).to.equal('HOST_INVALID_REQUEST');
      const empty = await fetch(`${host.url}/v1/jobs`, { method: 'POST' });
      expect(empty.status).to.equal(400);
      const unsignedFinish = await fetch(`${host.url}/v1/jobs/${jobId}/finish`, { method: 'POST' });
      expect(unsignedFinish.status).to.equal(400);
      expect(await code(unsignedFinish)).to.equal('HOST_INVALID_REQUEST');
      const huge = await fetch(`${host.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(16 * 1024 * 1024 + 1) });
      expect(huge.status).to.equal(413);
      expect(await code(huge)).to.equal('HOST_JOB_BODY_TOO_LARGE');
    } finally {
      await host.close();
    }
  });

  it('answers 503 when the host has no job relay', async () => {
    const host = await serve(undefined);
    try {
      const r = await fetch(`${host.url}/v1/jobs/${jobId}`);
      expect(r.status).to.equal(503);
      expect(((await r.json()) as { error: { code: string } }).error.code).to.equal('HOST_JOBS_UNAVAILABLE');
    } finally {
      await host.close();
    }
  });
});
