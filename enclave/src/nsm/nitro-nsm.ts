// The Nitro Secure Module through /dev/nsm. Node has no ioctl, so a small helper binary
// (enclave/nsm-helper, Rust, aws-nitro-enclaves-nsm-api) built into the image does the call;
// this side only speaks its stdin/stdout protocol. It cannot run off Nitro hardware.
//
// Protocol: the helper is run as `nsm-helper attest` or `nsm-helper describe`. `attest` reads
// one JSON object `{ "public_key"?, "user_data"?, "nonce"? }` (base64) on stdin and writes the
// document as base64 on stdout; `describe` writes `{ "module_id", "digest", "pcrs": { "0": hex, ... } }`.
// A non-zero exit carries NSM's error on stderr.
import { spawn } from 'node:child_process';
import { checkAttestRequest, NsmError, type AttestRequest, type Nsm, type NsmDescription } from './nsm.ts';

export const DEFAULT_NSM_HELPER = '/usr/local/bin/nsm-helper';
/** A document is under 16 KiB; more output than this is a fault, not a document. */
const MAX_OUTPUT_BYTES = 64 * 1024;

export class NsmHelperError extends NsmError {
  override name = 'NsmHelperError' as const;
  constructor(command: string, reason: string) {
    super('NSM_HELPER_FAILED', `nsm-helper ${command} failed: ${reason}.`, { details: { command, reason }, hint: 'Run inside a Nitro enclave with /dev/nsm, with the helper from Dockerfile.enclave.' });
  }
}

export function createNitroNsm(params: { helperPath?: string; timeoutMs?: number } = {}): Nsm {
  const helper = params.helperPath ?? DEFAULT_NSM_HELPER;
  const timeoutMs = params.timeoutMs ?? 10_000;
  const run = (command: 'attest' | 'describe', input: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(helper, [command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.on('data', (d: Buffer) => {
        outBytes += d.length;
        if (outBytes > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
        else out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(0, 500)));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new NsmHelperError(command, error.message));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0 && outBytes <= MAX_OUTPUT_BYTES) resolve(Buffer.concat(out).toString('utf8').trim());
        else reject(new NsmHelperError(command, signal !== null ? `killed by ${signal} (timeout or oversized output)` : `exit ${code}: ${err.trim()}`));
      });
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    });
  const b64 = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('base64'));
  return {
    async attest(request: AttestRequest) {
      checkAttestRequest(request);
      const text = await run('attest', JSON.stringify({ public_key: b64(request.publicKey), user_data: b64(request.userData), nonce: b64(request.nonce) }));
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new NsmHelperError('attest', 'the output is not base64');
      return new Uint8Array(Buffer.from(text, 'base64'));
    },
    async describe(): Promise<NsmDescription> {
      const text = await run('describe', '');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new NsmHelperError('describe', 'the output is not JSON');
      }
      const value = parsed as { module_id?: unknown; digest?: unknown; pcrs?: unknown };
      if (typeof value.module_id !== 'string' || value.digest !== 'SHA384' || typeof value.pcrs !== 'object' || value.pcrs === null) {
        throw new NsmHelperError('describe', 'the output lacks module_id, digest SHA384 or pcrs');
      }
      const pcrs = new Map<number, Uint8Array>();
      for (const [index, hex] of Object.entries(value.pcrs as Record<string, unknown>)) {
        if (!/^\d{1,2}$/.test(index) || typeof hex !== 'string' || !/^([0-9a-f]{2}){48}$/.test(hex)) throw new NsmHelperError('describe', `PCR ${index} is malformed`);
        pcrs.set(Number(index), new Uint8Array(Buffer.from(hex, 'hex')));
      }
      return { moduleId: value.module_id, digest: 'SHA384', pcrs };
    },
  };
}
