// The host's HTTP API as the client uses it (host/openapi.yaml). The host is untrusted: what it
// returns is either checked (attestation documents) or only used to find things on chain.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { bytesToHex, type Hex } from 'viem';
import type { EnvelopeHeader } from '@audata/wire';
import type { AuditLogExport } from '@audata/verifier/audit';
import { AuditLogIncompleteError, HostRequestError, ProofNotReadyError } from './errors.ts';

export interface ContributionStatus {
  fileId: Hex;
  status: 'queued' | 'leased' | 'scored' | 'submitted' | 'failed';
  errorCode: string | null;
  txHash: Hex | null;
}

async function failure(what: string, response: Response): Promise<HostRequestError> {
  let code = 'UNKNOWN';
  let message = response.statusText;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new HostRequestError(what, response.status, code, message);
}

export class HostApi {
  constructor(readonly baseUrl: string, readonly fetchImpl: typeof fetch = fetch) {}

  async attestation(nonce: Uint8Array): Promise<Uint8Array> {
    const response = await this.fetchImpl(`${this.baseUrl}/v1/attestation?nonce=${bytesToHex(nonce).slice(2)}`);
    if (!response.ok) throw await failure('Fetching the attestation', response);
    const body = (await response.json()) as { document?: unknown };
    if (typeof body.document !== 'string') throw new HostRequestError('Fetching the attestation', response.status, 'NO_DOCUMENT', 'the answer has no document');
    return new Uint8Array(Buffer.from(body.document, 'base64'));
  }

  /** Streams the ciphertext with its envelope headers; `onProgress` gets the bytes sent so far. */
  upload(header: EnvelopeHeader, ciphertext: readonly Uint8Array[], onProgress?: (sent: number, total: number) => void): Promise<{ status: number; body: ContributionStatus }> {
    const total = ciphertext.reduce((n, c) => n + c.length, 0);
    const url = new URL(`${this.baseUrl}/v1/contributions`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(total),
          'audata-manifest': Buffer.from(JSON.stringify({ ...header.manifest, createdAt: header.manifest.createdAt.toString() })).toString('base64url'),
          'audata-manifest-signature': header.signature,
          'audata-sealed-key': Buffer.from(header.sealedKey.slice(2), 'hex').toString('base64'),
        },
      });
      req.once('error', (error) => reject(new HostRequestError('Uploading', 0, 'NETWORK', error.message)));
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = {};
          }
          const status = res.statusCode ?? 0;
          if (status !== 200 && status !== 201) {
            const error = (body as { error?: { code?: string; message?: string } }).error;
            reject(new HostRequestError('Uploading', status, error?.code ?? 'UNKNOWN', error?.message ?? text.slice(0, 200)));
          } else resolve({ status, body: body as ContributionStatus });
        });
      });
      let sent = 0;
      const pump = (index: number) => {
        if (index === ciphertext.length) return void req.end();
        const piece = ciphertext[index]!;
        sent += piece.length;
        const more = req.write(piece);
        onProgress?.(sent, total);
        if (more) pump(index + 1);
        else req.once('drain', () => pump(index + 1));
      };
      pump(0);
    });
  }

  /** The status now or, with `wait`, once it is other than `changedFrom` (the host holds the answer at most `seconds`). */
  async status(fileId: Hex, wait?: { changedFrom: string; seconds: number }): Promise<ContributionStatus> {
    const query = wait === undefined ? '' : `?changedFrom=${encodeURIComponent(wait.changedFrom)}&waitSeconds=${wait.seconds}`;
    const response = await this.fetchImpl(`${this.baseUrl}/v1/contributions/${fileId}${query}`);
    if (!response.ok) throw await failure('Reading the contribution status', response);
    return (await response.json()) as ContributionStatus;
  }

  /**
   * Waits until the host reports the proof on chain; a failed file throws at once. The host holds
   * each request until the status changes, so a change is seen as it happens; an answer that
   * comes back unchanged before its time (a host without waiting) is followed by a pause of
   * `intervalMs`, as plain polling.
   */
  async waitForSubmission(fileId: Hex, options: { timeoutMs?: number; intervalMs?: number; onState?: (state: string) => void } = {}): Promise<ContributionStatus> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    let last = '';
    for (;;) {
      const seconds = Math.max(0, Math.min(20, Math.floor((deadline - Date.now()) / 1000)));
      const asked = Date.now();
      const status = await this.status(fileId, last === '' ? undefined : { changedFrom: last, seconds });
      const changed = status.status !== last;
      if (changed) {
        last = status.status;
        options.onState?.(last);
      }
      if (status.status === 'submitted') return status;
      if (status.status === 'failed') throw new ProofNotReadyError(fileId, status.status, status.errorCode);
      if (Date.now() > deadline) throw new ProofNotReadyError(fileId, status.status, status.errorCode);
      if (!changed && (seconds === 0 || Date.now() - asked < seconds * 1000)) await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  }

  /**
   * The enclave's whole audit log as the host keeps it (GET /v1/audit, every page from seq 0), to
   * replay with verifyAuditLog; the host is not trusted for it, the replay checks it. A page that
   * stops at a gap is AuditLogIncompleteError.
   */
  async auditLog(pageSize = 5000): Promise<AuditLogExport> {
    const entries: unknown[] = [];
    const heads: unknown[] = [];
    for (let from: number | null = 0; from !== null; ) {
      const url = `${this.baseUrl}/v1/audit?from=${from}&limit=${pageSize}`;
      const response = await this.fetchImpl(url).catch((error: unknown) => {
        throw new HostRequestError('Fetching the audit log', 0, 'NETWORK', error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error));
      });
      if (!response.ok) throw await failure('Fetching the audit log', response);
      const page = (await response.json()) as { entries?: unknown; heads?: unknown; next?: unknown; gap?: { from?: unknown; to?: unknown } };
      if (!Array.isArray(page.entries) || !Array.isArray(page.heads) || (page.next !== null && page.next !== from + page.entries.length) || page.entries.length > pageSize) {
        throw new HostRequestError('Fetching the audit log', response.status, 'NOT_AN_AUDIT_PAGE', `the page from ${from} is not { entries, heads, next } with next just after its entries`);
      }
      entries.push(...page.entries);
      heads.push(...page.heads);
      if (page.gap !== undefined) throw new AuditLogIncompleteError(Number(page.gap.from), Number(page.gap.to));
      // A full page always names the next one, so the loop ends at most after the log's last page.
      from = page.next === null ? null : page.entries.length === 0 ? null : (page.next as number);
    }
    // The replay checks each field; the shapes here are only what the host claimed.
    return { entries, heads } as unknown as AuditLogExport;
  }
}
