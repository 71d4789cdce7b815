// GET /v1/audit: the enclave's audit log as the host keeps it (db/audit-log.ts), a page at a time
// in the form `verifyAuditLog` (@audata/verifier/audit) replays. The host serves it; auditors
// check it against the enclave's signed heads and the anchors on chain, not against the host.
import type { Express } from 'express';
import type { AuditPage } from '../db/audit-log.ts';
import { HttpError, InvalidRequestError, preview } from '../errors.ts';

/** Entries per page at most; a page of 5,000 is about 1.2 MB of JSON. */
export const MAX_AUDIT_PAGE = 5000;
export const DEFAULT_AUDIT_PAGE = 1000;

export class AuditUnavailableError extends HttpError {
  override name = 'AuditUnavailableError';
  constructor() {
    super(503, 'HOST_AUDIT_UNAVAILABLE', 'This host keeps no audit log.', { hint: 'Ask the operator; the audit log is kept by a host that stores the enclave state.' });
  }
}

const SEQ = /^(0|[1-9][0-9]{0,15})$/;

function queryInt(query: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && SEQ.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidRequestError(`query ${name}`, `an integer in ${min}..${max}`, typeof raw === 'string' ? preview(raw, 40) : Array.isArray(raw) ? 'a repeated parameter' : 'nothing');
  }
  return value;
}

export function auditRoutes(app: Express, deps: { audit?: { page(from: number, limit: number): AuditPage } | undefined }): void {
  app.get('/v1/audit', (req, res) => {
    const query = req.query as Record<string, unknown>;
    for (const key of Object.keys(query)) if (key !== 'from' && key !== 'limit') throw new InvalidRequestError('query', 'only from and limit', preview(key, 40));
    const from = queryInt(query, 'from', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = queryInt(query, 'limit', DEFAULT_AUDIT_PAGE, 1, MAX_AUDIT_PAGE);
    if (deps.audit === undefined) throw new AuditUnavailableError();
    res.setHeader('Cache-Control', 'no-store');
    res.json(deps.audit.page(from, limit));
  });
}
