import { expect } from 'chai';
import { createLogger, redact, redactUrl } from './log.ts';

function capture(level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, sink: (line) => lines.push(line), now: () => new Date(0) });
  return { lines, logger };
}

describe('log', () => {
  it('writes one JSON object per event with time, level and event', () => {
    const { lines, logger } = capture();
    logger.info('upload.stored', { fileId: '0xab', bytes: 12 });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.deep.equal({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      event: 'upload.stored',
      fileId: '0xab',
      bytes: 12,
    });
  });

  it('drops events below the level and carries child fields', () => {
    const { lines, logger } = capture();
    logger.debug('noise');
    logger.child({ requestId: 'r1' }).warn('slow');
    expect(lines.map((line) => JSON.parse(line))).to.deep.equal([
      { time: '1970-01-01T00:00:00.000Z', level: 'warn', event: 'slow', requestId: 'r1' },
    ]);
  });

  it('never writes bodies, keys, tokens, credentials, authorization headers or query secrets', () => {
    const secrets = [
      'hunter2-password',
      'eyJhbGciOiJIUzI1NiJ9.token-value',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'AKIAIOSFODNN7EXAMPLE',
      'sealed-file-key-bytes',
      'raw-audio-body',
      'query-secret-value',
      '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318',
    ];
    const { lines, logger } = capture('debug');
    logger.error('everything', {
      headers: {
        Authorization: `Bearer ${secrets[1]}`,
        'x-api-key': secrets[2],
        cookie: `session=${secrets[1]}`,
        'audata-sealed-key': secrets[4],
      },
      body: secrets[5],
      password: secrets[0],
      config: { s3: { accessKeyId: secrets[3], secretAccessKey: secrets[2] } },
      privateKey: secrets[7],
      url: `/v1/attestation?nonce=${secrets[6]}`,
      note: `fetch https://s3.local/bucket/x?X-Amz-Signature=${secrets[6]} failed; header Bearer ${secrets[1]} key ${secrets[3]}`,
      audio: new Uint8Array(1024),
      nested: [{ token: secrets[1] }],
      error: new Error(`GET /v1/x?secret=${secrets[6]} failed`, { cause: { apiKey: secrets[2] } }),
    });
    expect(lines).to.have.length(1);
    for (const secret of secrets) expect(lines[0]).to.not.include(secret);
    const record = JSON.parse(lines[0]!);
    expect(record.audio).to.equal('[1024 bytes]');
    expect(record.url).to.equal('/v1/attestation?[redacted]');
    expect(record.error.message).to.equal('GET /v1/x?[redacted] failed');
  });

  it('keeps what is safe to log', () => {
    expect(redact({ fileId: '0x' + 'ab'.repeat(32), status: 201, path: '/v1/contributions' })).to.deep.equal({
      fileId: '0x' + 'ab'.repeat(32),
      status: 201,
      path: '/v1/contributions',
    });
    expect(redactUrl('/v1/health')).to.equal('/v1/health');
  });
});
