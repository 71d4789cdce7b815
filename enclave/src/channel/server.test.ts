import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudataError, CHANNEL_VERSION, FrameDecoder, FrameKind, connectChannel, encodeFrame, type DecodedFrame } from '@audata/wire';
import { createChannelServer, type ChannelHandlers } from './server.ts';

const signer = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const b32 = `0x${'11'.repeat(32)}` as const;
const handlers: ChannelHandlers = {
  boot: async () => { throw new Error('secret internals'); },
  credentials: async () => ({ body: {} }),
  attestation: async (body) => ({ body: {}, binary: new TextEncoder().encode(`doc for ${body.nonce}`) }),
  'contribution.begin': async () => { throw new AudataError('ENVELOPE_MANIFEST_SIGNATURE_INVALID', 'bad signer', { details: { received: signer } }); },
  'contribution.chunk': async (_body, binary) => ({ body: { received: binary.length } }),
  'contribution.finish': async () => ({ body: { manifestHash: b32, contributor: signer, fileId: b32, audioBytes: -1 } }),
  'contribution.reissue': async () => { throw new AudataError('ENCLAVE_CONTRIBUTION_NOT_FINISHED', 'not finished'); },
  state: async () => ({ body: { state: { counter: '1', sha256: b32, bytes: 3 } }, binary: new Uint8Array([1, 2, 3]) }),
  'state.segments': async () => ({ body: { received: 0 } }),
  'state.ready': async () => ({ body: { state: { counter: '1', sha256: b32, bytes: 0 } } }),
  'state.anchor': async () => ({ body: { anchor: { datasetKey: b32, stateCounter: '1', stateSha256: b32, auditEntries: '0', auditHead: `0x${'00'.repeat(32)}` }, signature: `0x${'22'.repeat(65)}` } }),
  'job.submit': async () => { throw new AudataError('JOB_UNPAID', 'not paid'); },
  'job.status': async (body) => ({ body: { jobId: body.jobId, kind: 'gradients', status: 'running', files: 1, steps: 0 } }),
  'job.result': async () => ({ body: { epsilonSpent: 0 }, binary: new Uint8Array([9]) }),
  'job.step': async () => ({ body: { epsilonSpent: 0.1 }, binary: new Uint8Array([9]) }),
  'job.finish': async () => ({ body: {}, binary: new Uint8Array([0x7b, 0x7d]) }),
  'job.features': async () => ({ body: { accepted: 0, missing: 0 } }),
};

/** Sends raw bytes and collects the frames that come back until the server closes or `count` arrive. */
async function raw(port: number, bytes: Uint8Array, count: number): Promise<{ frames: DecodedFrame[]; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const decoder = new FrameDecoder();
  const frames: DecodedFrame[] = [];
  let closed = false;
  await new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      frames.push(...decoder.push(new Uint8Array(d)));
      if (frames.length >= count) resolve();
    });
    socket.on('close', () => { closed = true; resolve(); });
    socket.write(bytes);
  });
  await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return { frames, closed: closed || socket.readableEnded };
}

const codeOf = (d: DecodedFrame | undefined) => (d?.ok === true ? d.frame.json.code : undefined);

describe('enclave channel', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createChannelServer({ handlers, maxFrameBytes: 1 << 16 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('answers a typed request with its binary attachment', async () => {
    const client = await connectChannel({ port });
    const reply = await client.request('attestation', { nonce: '0xabcd' });
    expect(new TextDecoder().decode(reply.binary)).to.equal('doc for 0xabcd');
    const chunk = await client.request('contribution.chunk', { session: 'ab' }, new Uint8Array(1000));
    expect(chunk.body.received).to.equal(1000);
    client.close();
  });

  it('answers many pipelined requests in order, reading under backpressure', async () => {
    const client = await connectChannel({ port });
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request('contribution.chunk', { session: 'ab' }, new Uint8Array(i * 1000))));
    expect(replies.map((r) => r.body.received)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i * 1000));
    client.close();
  });

  it('carries the enclave error code to the host, and hides internal errors', async () => {
    const client = await connectChannel({ port });
    try {
      await client.request('contribution.begin', { header: {} as never });
      expect.fail('accepted an invalid header');
    } catch (error) {
      expect((error as AudataError).code).to.equal('CHANNEL_MESSAGE_INVALID');
    }
    const { header } = await import('./fixtures.test-data.ts');
    await client.request('contribution.begin', { header }).then(() => expect.fail('no error'), (error: AudataError) => {
      expect(error.code).to.equal('ENVELOPE_MANIFEST_SIGNATURE_INVALID');
      expect(error.details.received).to.equal(signer);
    });
    await client.request('boot', {}).then(() => expect.fail('no error'), (error: AudataError) => {
      expect(error.code).to.equal('INTERNAL');
      expect(error.message).to.not.include('secret');
    });
    client.close();
  });

  it('the host refuses a response that breaks its schema', async () => {
    const client = await connectChannel({ port });
    await client.request('contribution.finish', { session: 'ab' }).then(() => expect.fail('accepted'), (error: AudataError) => expect(error.code).to.equal('CHANNEL_MESSAGE_INVALID'));
    client.close();
  });

  it('refuses an oversized frame, closes that connection and keeps serving', async () => {
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, 1 << 30);
    const { frames, closed } = await raw(port, prefix, 1);
    expect(codeOf(frames[0])).to.equal('CHANNEL_FRAME_TOO_LARGE');
    expect(closed).to.equal(true);
    const client = await connectChannel({ port });
    expect((await client.request('attestation', { nonce: '0x01' })).binary.length).to.be.greaterThan(0);
    client.close();
  });

  it('refuses malformed frames one by one and keeps the connection', async () => {
    const good = encodeFrame({ kind: FrameKind.request, id: 9, json: { type: 'attestation', nonce: '0x02' }, binary: new Uint8Array(0) });
    const badVersion = good.slice();
    badVersion[4] = CHANNEL_VERSION + 1;
    new DataView(badVersion.buffer).setUint32(6, 1);
    const badJson = encodeFrame({ kind: FrameKind.request, id: 2, json: {}, binary: new Uint8Array(0) });
    badJson[14] = 0x7b + 1; // '{' becomes '|'
    const unknown = encodeFrame({ kind: FrameKind.request, id: 3, json: { type: 'shell', cmd: 'rm' }, binary: new Uint8Array(0) });
    const short = Uint8Array.of(0, 0, 0, 2, 1, 1);
    const response = encodeFrame({ kind: FrameKind.response, id: 4, json: {}, binary: new Uint8Array(0) });
    const badFields = encodeFrame({ kind: FrameKind.request, id: 5, json: { type: 'attestation', nonce: 'zz', extra: 1 }, binary: new Uint8Array(0) });
    const all = Buffer.concat([badVersion, badJson, unknown, short, response, badFields, good]);
    const { frames, closed } = await raw(port, all, 7);
    expect(frames.map(codeOf)).to.deep.equal(['CHANNEL_VERSION_UNSUPPORTED', 'CHANNEL_FRAME_MALFORMED', 'CHANNEL_UNKNOWN_TYPE', 'CHANNEL_FRAME_MALFORMED', 'CHANNEL_FRAME_MALFORMED', 'CHANNEL_MESSAGE_INVALID', undefined]);
    expect(frames.map((f) => (f.ok ? f.frame.id : -1))).to.deep.equal([1, 2, 3, 0, 4, 5, 9]);
    expect(closed).to.equal(false);
  });

  it('times out and reports a closed channel', async () => {
    const silent = createChannelServer({ handlers: { ...handlers, attestation: () => new Promise(() => {}) } });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const client = await connectChannel({ port: (silent.address() as AddressInfo).port }, { timeoutMs: 50 });
    await client.request('attestation', { nonce: '0x01' }).then(() => expect.fail('answered'), (e: AudataError) => expect(e.code).to.equal('CHANNEL_TIMEOUT'));
    client.close();
    await client.request('attestation', { nonce: '0x01' }).then(() => expect.fail('answered'), (e: AudataError) => expect(e.code).to.equal('CHANNEL_CLOSED'));
    silent.close();
    await connectChannel({ port: 1 }).then(() => expect.fail('connected'), (e: AudataError) => expect(e.code).to.equal('CHANNEL_CLOSED'));
  });

  it('lets one request wait longer, or shorter, than the connection\'s timeout', async () => {
    const slow = createChannelServer({ handlers: { ...handlers, attestation: async (body) => { await new Promise((r) => setTimeout(r, 150)); return { body: {}, binary: new TextEncoder().encode(body.nonce) }; } } });
    slow.listen(0, '127.0.0.1');
    await once(slow, 'listening');
    const client = await connectChannel({ port: (slow.address() as AddressInfo).port }, { timeoutMs: 50 });
    const reply = await client.request('attestation', { nonce: '0x02' }, undefined, { timeoutMs: 2_000 });
    expect(new TextDecoder().decode(reply.binary)).to.equal('0x02');
    const impatient = await connectChannel({ port: (slow.address() as AddressInfo).port }, { timeoutMs: 2_000 });
    await impatient.request('attestation', { nonce: '0x03' }, undefined, { timeoutMs: 20 }).then(() => expect.fail('answered'), (e: AudataError) => expect(e.code).to.equal('CHANNEL_TIMEOUT'));
    client.close();
    impatient.close();
    slow.close();
  });

  it('serves over a Unix socket too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audata-channel-'));
    const unix = createChannelServer({ handlers });
    const path = join(dir, 'enclave.sock');
    unix.listen(path);
    await once(unix, 'listening');
    const client = await connectChannel({ path });
    expect((await client.request('attestation', { nonce: '0x03' })).binary.length).to.be.greaterThan(0);
    client.close();
    unix.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('enclave channel lanes', () => {
  let server: Server;
  let port: number;
  const handled: string[] = [];
  before(async () => {
    const slowly = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    server = createChannelServer({
      handlers: {
        ...handlers,
        // A file's scoring: session "dead" takes a while.
        'contribution.finish': async (body) => {
          if (body.session === 'dead') await slowly(300);
          handled.push(`finish ${body.session}`);
          return { body: { manifestHash: b32, contributor: signer, fileId: b32, audioBytes: 0 } };
        },
        'contribution.chunk': async (body, binary) => {
          // Earlier pieces take longer: only the lane keeps them in order.
          await slowly(binary.length === 0 ? 0 : 40 - binary.length);
          handled.push(`chunk ${body.session} ${binary.length}`);
          return { body: { received: binary.length } };
        },
        'job.status': async (body) => {
          await slowly(body.jobId === b32 ? 50 : 0);
          handled.push(`status ${body.jobId.slice(0, 4)}`);
          return { body: { jobId: body.jobId, kind: 'gradients', status: 'running', files: 1, steps: 0 } };
        },
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());
  beforeEach(() => void handled.splice(0));

  it('answers other requests while one session\'s finish is still running, over one connection', async () => {
    const client = await connectChannel({ port });
    const slow = client.request('contribution.finish', { session: 'dead' });
    const started = performance.now();
    await client.request('contribution.finish', { session: 'fa57' });
    await client.request('attestation', { nonce: '0x01' });
    expect(performance.now() - started).to.be.below(250);
    await slow;
    expect(handled).to.deep.equal(['finish fa57', 'finish dead']);
    client.close();
  });

  it('keeps one session\'s pipelined pieces and finish in the order sent, and one job\'s requests too', async () => {
    const client = await connectChannel({ port });
    const other = `0x${'22'.repeat(32)}` as const;
    await Promise.all([
      ...[30, 20, 10].map((n) => client.request('contribution.chunk', { session: 'a' }, new Uint8Array(n))),
      client.request('contribution.finish', { session: 'a' }),
      client.request('job.status', { jobId: b32 }),
      client.request('job.status', { jobId: other }),
      client.request('job.status', { jobId: b32 }),
    ]);
    const of = (prefix: string) => handled.filter((h) => h.startsWith(prefix));
    expect(of('chunk a').concat(of('finish a'))).to.deep.equal(['chunk a 30', 'chunk a 20', 'chunk a 10', 'finish a']);
    expect(handled.indexOf('finish a')).to.be.greaterThan(handled.indexOf('chunk a 10'));
    // The other job did not wait behind the first one's slow requests.
    expect(handled.indexOf('status 0x22')).to.be.lessThan(handled.lastIndexOf('status 0x11'));
    client.close();
  });
});
