import { expect } from 'chai';
import { HostApi } from './host-api.ts';

const fileId = `0x${'ab'.repeat(32)}` as const;
const answer = (status: string) => new Response(JSON.stringify({ fileId, status, errorCode: status === 'failed' ? 'AUDIO_TOO_SHORT' : null, txHash: null }), { status: 200 });

describe('HostApi.waitForSubmission', () => {
  it('asks the host to hold each answer until the status changes, and reports every state once', async () => {
    const statuses = ['queued', 'leased', 'scored', 'submitted'];
    const asked: string[] = [];
    const api = new HostApi('http://host', async (url) => {
      asked.push(String(url).replace('http://host', ''));
      return answer(statuses[asked.length - 1]!);
    });
    const seen: string[] = [];
    const status = await api.waitForSubmission(fileId, { timeoutMs: 60_000, onState: (s) => seen.push(s) });
    expect(status.status).to.equal('submitted');
    expect(seen).to.deep.equal(statuses);
    expect(asked[0]).to.equal(`/v1/contributions/${fileId}`);
    expect(asked.slice(1).map((q) => q.split('?')[1]!.replace(/waitSeconds=\d+/, 'waitSeconds=N'))).to.deep.equal([
      'changedFrom=queued&waitSeconds=N',
      'changedFrom=leased&waitSeconds=N',
      'changedFrom=scored&waitSeconds=N',
    ]);
  });

  it('falls back to polling every intervalMs against a host that answers unchanged at once', async () => {
    let calls = 0;
    const api = new HostApi('http://host', async () => {
      calls += 1;
      return answer(calls < 4 ? 'queued' : 'submitted');
    });
    const started = Date.now();
    await api.waitForSubmission(fileId, { timeoutMs: 60_000, intervalMs: 50 });
    expect(calls).to.equal(4);
    // Two unchanged answers, each followed by a pause.
    expect(Date.now() - started).to.be.at.least(95);
  });

  it('throws ProofNotReadyError with the host\'s error code for a failed file', async () => {
    const api = new HostApi('http://host', async () => answer('failed'));
    const error = await api.waitForSubmission(fileId).then(() => undefined, (e: { code?: string; message: string }) => e);
    expect(error?.code).to.equal('CLIENT_PROOF_NOT_READY');
    expect(error?.message).to.contain('AUDIO_TOO_SHORT');
  });
});
