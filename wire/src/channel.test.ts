import { expect } from 'chai';
import { ChannelFrameTooLargeError, FrameDecoder, FrameKind, encodeFrame, remoteErrorOf, validateRequest, validateResponse } from './channel.ts';

describe('channel frames', () => {
  const frame = { kind: FrameKind.request, id: 7, json: { type: 'attestation', nonce: '0x01' }, binary: Uint8Array.of(9, 8, 7) };

  it('decodes frames split at every byte and frames glued together', () => {
    const bytes = Buffer.concat([encodeFrame(frame), encodeFrame({ ...frame, id: 8 })]);
    const decoder = new FrameDecoder();
    const out = [];
    for (const byte of bytes) out.push(...decoder.push(Uint8Array.of(byte)));
    expect(out.map((d) => (d.ok ? d.frame.id : -1))).to.deep.equal([7, 8]);
    const first = out[0]!;
    expect(first.ok && [...first.frame.binary]).to.deep.equal([9, 8, 7]);
    expect(new FrameDecoder().push(bytes).length).to.equal(2);
  });

  it('refuses a declared size above the limit before buffering it', () => {
    const decoder = new FrameDecoder(100);
    expect(() => decoder.push(encodeFrame({ ...frame, binary: new Uint8Array(200) }).subarray(0, 4))).to.throw(ChannelFrameTooLargeError);
  });

  it('validates request and response schemas, refusing unknown fields', () => {
    expect(validateRequest({ type: 'attestation', nonce: '0x01' })).to.equal('attestation');
    expect(() => validateRequest({ type: 'attestation', nonce: '0x01', extra: true })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateRequest({ type: 'attestation', nonce: `0x${'00'.repeat(65)}` })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateRequest({ nonce: '0x01' })).to.throw().with.property('code', 'CHANNEL_UNKNOWN_TYPE');
    expect(() => validateResponse('attestation', { type: 'boot' })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('contribution.chunk', { type: 'contribution.chunk', received: 1.5 })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
  });

  it('carries the sealed state reference as an optional field, and the state request', () => {
    const ref = { counter: '12', sha256: `0x${'ab'.repeat(32)}`, bytes: 120 };
    const finish = { type: 'contribution.finish', manifestHash: `0x${'01'.repeat(32)}`, contributor: `0x${'02'.repeat(20)}`, fileId: `0x${'03'.repeat(32)}`, audioBytes: 10 };
    expect(() => validateResponse('contribution.finish', finish)).to.not.throw();
    expect(() => validateResponse('contribution.finish', { ...finish, state: ref })).to.not.throw();
    expect(() => validateResponse('contribution.finish', { ...finish, state: { ...ref, counter: '-1' } })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(validateRequest({ type: 'state' })).to.equal('state');
    expect(() => validateRequest({ type: 'state', counter: '1' })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('state', { type: 'state', state: ref })).to.not.throw();
    expect(() => validateResponse('state', { type: 'state' })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
  });

  it('checks contribution.reissue strictly: a header in, a whole proof, signature and state out', () => {
    expect(() => validateRequest({ type: 'contribution.reissue', header: {} })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateRequest({ type: 'contribution.reissue' })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    const b32 = (n: string) => `0x${n.repeat(32)}`;
    const proof = {
      fileId: b32('03'), contributor: `0x${'02'.repeat(20)}`, manifestHash: b32('01'), valid: true, score: 5000, authenticity: 9000, ownership: 10_000, quality: 8000,
      uniqueness: 10_000, pipelineVersion: b32('04'), detailsHash: b32('05'), deadline: '1700000000',
    };
    const reply = { type: 'contribution.reissue', manifestHash: b32('01'), contributor: `0x${'02'.repeat(20)}`, fileId: b32('03'), proof, signature: `0x${'06'.repeat(65)}`, state: { counter: '3', sha256: b32('ab'), bytes: 100 } };
    expect(() => validateResponse('contribution.reissue', reply)).to.not.throw();
    const { state: _, ...withoutState } = reply;
    expect(() => validateResponse('contribution.reissue', withoutState)).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('contribution.reissue', { ...reply, proof: { ...proof, score: 10_001 } })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('contribution.reissue', { ...reply, audioBytes: 1 })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
  });

  it('carries host-kept feature entries: a length on finish, a count on job.submit, job.features both ways', () => {
    const ref = { counter: '12', sha256: `0x${'ab'.repeat(32)}`, bytes: 120 };
    const finish = { type: 'contribution.finish', manifestHash: `0x${'01'.repeat(32)}`, contributor: `0x${'02'.repeat(20)}`, fileId: `0x${'03'.repeat(32)}`, audioBytes: 10, state: ref };
    expect(() => validateResponse('contribution.finish', { ...finish, features: { bytes: 4000 } })).to.not.throw();
    expect(() => validateResponse('contribution.finish', { ...finish, features: { bytes: 0 } })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('contribution.finish', { ...finish, features: { bytes: 1, key: 'x' } })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    const status = { type: 'job.submit', jobId: `0x${'04'.repeat(32)}`, kind: 'gradients', status: 'running', files: 2, steps: 0 };
    expect(() => validateResponse('job.submit', { ...status, featuresNeeded: 2 })).to.not.throw();
    expect(() => validateResponse('job.submit', { ...status, featuresNeeded: -1 })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('job.status', { ...status, type: 'job.status', featuresNeeded: 2 })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(validateRequest({ type: 'job.features', jobId: `0x${'04'.repeat(32)}` })).to.equal('job.features');
    expect(() => validateRequest({ type: 'job.features' })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
    expect(() => validateResponse('job.features', { type: 'job.features', accepted: 1, missing: 0 })).to.not.throw();
    expect(() => validateResponse('job.features', { type: 'job.features', accepted: 1 })).to.throw().with.property('code', 'CHANNEL_MESSAGE_INVALID');
  });

  it('carries AWS credentials on boot and in credentials, refusing malformed ones without echoing a secret', () => {
    const good = { accessKeyId: 'ASIAEXAMPLE0000001', secretAccessKey: 'secret/KEY+value=0123456789abcdefghijklm', sessionToken: 'IQoJb3JpZ2luX2VjE+/token==', expiration: '2026-12-03T18:00:00Z' };
    expect(validateRequest({ type: 'credentials', ...good })).to.equal('credentials');
    expect(validateRequest({ type: 'credentials', accessKeyId: 'AKIA0', secretAccessKey: 's' })).to.equal('credentials');
    expect(validateRequest({ type: 'boot', credentials: good })).to.equal('boot');
    expect(() => validateResponse('credentials', { type: 'credentials' })).to.not.throw();
    const refusals: Record<string, unknown>[] = [
      { ...good, accessKeyId: '' },
      { ...good, accessKeyId: 'AKIA/0' },
      { ...good, accessKeyId: 'A'.repeat(129) },
      { ...good, secretAccessKey: 'x'.repeat(257) },
      { ...good, secretAccessKey: 'secret\nline' },
      { ...good, secretAccessKey: 'sécret' },
      { ...good, sessionToken: 'x'.repeat(16_385) },
      { ...good, sessionToken: 7 },
      { ...good, expiration: 'tomorrow' },
      { ...good, expiration: '2026-13-45T99:00:00Z' },
      { ...good, region: 'us-east-1' },
      { secretAccessKey: good.secretAccessKey },
    ];
    for (const body of refusals) {
      for (const json of [{ type: 'credentials', ...body }, { type: 'boot', credentials: body }]) {
        let error: { code?: string; message?: string; details?: unknown } | undefined;
        try {
          validateRequest(json);
        } catch (e) {
          error = e as typeof error;
        }
        expect(error?.code, JSON.stringify(Object.keys(body))).to.equal('CHANNEL_MESSAGE_INVALID');
        expect(`${error?.message} ${JSON.stringify(error?.details)}`).to.not.include(good.secretAccessKey).and.not.include(good.sessionToken);
      }
    }
  });

  it('keeps a remote error code only when it is well formed, and bounds what it carries', () => {
    const ok = remoteErrorOf({ code: 'ENVELOPE_REPLAYED', message: 'seen', details: { manifestHash: '0x01' } });
    expect(ok.code).to.equal('ENVELOPE_REPLAYED');
    const odd = remoteErrorOf({ code: 'rm -rf /', message: 'x'.repeat(5000), details: { nested: { a: 1 }, n: 2 } });
    expect(odd.code).to.equal('CHANNEL_REMOTE_ERROR');
    expect(odd.message.length).to.equal(1000);
    expect(odd.details).to.deep.equal({ n: 2 });
  });
});
