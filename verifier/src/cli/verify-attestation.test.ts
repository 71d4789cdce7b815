import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CliIo } from '@audata/wire';
import { DEV_NOW, devDocument, documentSpecs, readVector, testCa, vectorPath } from '../testing/fixtures.ts';
import { createVerifyAttestationCommand, decodeDocumentFile } from './verify-attestation.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], now = new Date()): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) };
  const code = await createVerifyAttestationCommand({ now: () => now })(argv, io);
  return { code, stdout, stderr };
}

const repo = new URL('../../../', import.meta.url).pathname;
let dir: string;
const tmp = (name: string, data: Uint8Array | string): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};

describe('audata verify-attestation', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'audata-verify-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('real documents (test-vectors/nitro/specs.json)', () => {
    for (const spec of documentSpecs()) {
      it(`${spec.name}: ${spec.expect}`, async () => {
        const argv = [vectorPath(spec.file), '--json'];
        if (spec.at === 'document-time') argv.push('--at-document-time');
        else if (typeof spec.at === 'number') argv.push('--at', String(spec.at));
        for (const [index, hex] of Object.entries(spec.expectedPcrs ?? {})) argv.push('--expect-pcr', `${index}=${hex}`);
        if (spec.allowDebug === true) argv.push('--allow-debug');
        if (spec.nonce !== undefined) argv.push('--nonce', spec.nonce);
        const result = await run(argv);
        const json = JSON.parse(result.stdout);
        expect(result.stdout.trim().split('\n')).to.have.length(1);
        if (spec.expect === 'valid') {
          expect(result.code).to.equal(0);
          expect(json.valid).to.equal(true);
          expect(json.error).to.equal(null);
          expect(json.debug).to.equal(spec.debug);
          for (const [index, hex] of Object.entries(spec.expectedPcrs ?? {})) expect(json.pcrs[index]).to.equal(hex);
        } else {
          expect(result.code).to.equal(1);
          expect(json.valid).to.equal(false);
          expect(json.error.code).to.equal(spec.expect);
        }
        expect(result.stderr).to.equal('');
      });
    }
  });

  it('prints exactly the documented JSON object', async () => {
    const result = await run([vectorPath('yawn-valid.cbor'), '--at', '1736179625000', '--json']);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).to.deep.equal(['valid', 'error', 'moduleId', 'timestamp', 'pcrs', 'debug', 'publicKey', 'userData', 'nonce']);
    expect(json.moduleId).to.equal('i-0bee92034f3d60691-enc01943c5eaab3ad6a');
    expect(json.timestamp).to.equal(1736179625472);
    expect(Object.keys(json.pcrs)).to.have.length(16);
    expect(json.pcrs['0']).to.match(/^[0-9a-f]{96}$/);
    expect(json.publicKey).to.match(/^[0-9a-f]{588}$/);
    expect(json.userData).to.equal(null);
    expect(json.nonce).to.equal(null);
  });

  it('accepts an ISO time for --at and prints a human summary without --json', async () => {
    const result = await run([vectorPath('yawn-valid.cbor'), '--at', '2025-01-06T16:07:05Z']);
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^VALID attestation document/);
    expect(result.stdout).to.include('AWS Nitro root G1');
  });

  it('reads the document as raw CBOR, hex or base64', async () => {
    const document = readVector('evervault-valid.cbor');
    const files = [
      tmp('doc.hex', `${Buffer.from(document).toString('hex')}\n`),
      tmp('doc.b64', Buffer.from(document).toString('base64').replace(/.{76}/g, '$&\n')),
      tmp('doc.b64url', Buffer.from(document).toString('base64url')),
    ];
    for (const file of files) expect((await run([file, '--at-document-time'])).code, file).to.equal(0);
    expect(decodeDocumentFile(document)).to.equal(document);
  });

  it('treats a malformed document as invalid (exit 1), not a usage error', async () => {
    const result = await run([tmp('junk.bin', Uint8Array.of(0x83, 1, 2, 3)), '--json']);
    expect(result.code).to.equal(1);
    expect(JSON.parse(result.stdout).error.code).to.equal('ATTESTATION_COSE_MALFORMED');
    const text = await run([tmp('junk.txt', 'hello, world')]);
    expect(text.code).to.equal(1);
    expect(text.stderr).to.match(/^INVALID attestation document: ATTESTATION_CBOR_MALFORMED/);
  });

  it('verifies a dev document with --root, warns loudly on stderr and keeps stdout pure JSON', async () => {
    const file = tmp('dev.cbor', devDocument());
    const rootPem = tmp('dev-root.pem', testCa().rootPem);
    const rootDer = tmp('dev-root.der', testCa().rootDer);
    for (const root of [rootPem, rootDer]) {
      const result = await run([file, '--root', root, '--nonce', '01020304', '--max-age-ms', '5000', '--json'], DEV_NOW);
      expect(result.code).to.equal(0);
      expect(result.stderr).to.include('NOT the AWS Nitro root G1');
      const json = JSON.parse(result.stdout);
      expect(json.valid).to.equal(true);
      expect(json.nonce).to.equal('01020304');
    }
    const refused = await run([file, '--json'], DEV_NOW);
    expect(JSON.parse(refused.stdout).error.code).to.equal('ATTESTATION_ROOT_MISMATCH');
    expect(refused.stderr).to.equal('');
    const nonce = await run([file, '--root', rootPem, '--nonce', 'ff', '--json'], DEV_NOW);
    expect(nonce.code).to.equal(1);
    expect(JSON.parse(nonce.stdout).error.code).to.equal('ATTESTATION_NONCE_MISMATCH');
    const old = await run([file, '--root', rootPem, '--max-age-ms', '10', '--json'], DEV_NOW);
    expect(JSON.parse(old.stdout).error.code).to.equal('ATTESTATION_TOO_OLD');
    const aws = await run([vectorPath('yawn-valid.cbor'), '--root', vectorPath('aws_nitro_root_g1.pem'), '--at-document-time']);
    expect(aws.code).to.equal(0);
    expect(aws.stderr).to.equal('');
  });

  const usage: [string, string[]][] = [
    ['no FILE', []],
    ['two FILEs', ['a', 'b']],
    ['an unknown option', ['x', '--frobnicate']],
    ['a bad --at', ['x', '--at', 'yesterday']],
    ['--at with --at-document-time', ['x', '--at', '1', '--at-document-time']],
    ['a bad --expect-pcr', ['x', '--expect-pcr', '0:abcd']],
    ['an --expect-pcr of the wrong size', ['x', '--expect-pcr', '0=abcd']],
    ['an --expect-pcr index above 31', ['x', '--expect-pcr', `32=${'00'.repeat(48)}`]],
    ['a bad --nonce', ['x', '--nonce', 'xyz']],
    ['a bad --max-age-ms', ['x', '--max-age-ms', '-5']],
    ['a missing FILE', ['/nonexistent/document.cbor']],
    ['a missing root', [vectorPath('yawn-valid.cbor'), '--root', '/nonexistent/root.pem']],
    ['a root that is not a certificate', [vectorPath('yawn-valid.cbor'), '--root', vectorPath('specs.json')]],
  ];
  for (const [name, argv] of usage) {
    it(`exits 2 on ${name}`, async () => {
      const result = await run(argv);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(/^CLI_USAGE: /);
      expect(result.stdout).to.equal('');
    });
  }

  it('prints its help with --help', async () => {
    const result = await run(['--help']);
    expect(result.code).to.equal(0);
    expect(result.stdout).to.include('--at-document-time');
  });

  it('runs through the installed audata executable', function () {
    this.timeout(30_000);
    const bin = join(repo, 'node_modules/.bin/audata');
    const valid = spawnSync(bin, ['verify-attestation', vectorPath('evervault-valid.cbor'), '--at-document-time', '--json'], { encoding: 'utf8', cwd: repo });
    expect(valid.status, valid.stderr).to.equal(0);
    expect(JSON.parse(valid.stdout).moduleId).to.equal('i-020b6af9246d90e92-enc0183d09086c24190');
    const expired = spawnSync(bin, ['verify-attestation', vectorPath('evervault-valid.cbor'), '--json'], { encoding: 'utf8', cwd: repo });
    expect(expired.status).to.equal(1);
    expect(JSON.parse(expired.stdout).error.code).to.equal('ATTESTATION_CERT_EXPIRED');
    const misuse = spawnSync(bin, ['verify-attestation'], { encoding: 'utf8', cwd: repo });
    expect(misuse.status).to.equal(2);
  });
});
