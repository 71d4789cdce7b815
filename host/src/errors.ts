// The host's error family: one base so every failure carries a stable code, and one HTTP
// error type whose status the central handler trusts; everything else becomes a hidden 500.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class HostError extends AudataError {
  override name = 'HostError';
}

/** A failure with a client-facing status. Its message and details are shown to the caller. */
export class HttpError extends HostError {
  override name = 'HttpError';
  readonly status: number;

  constructor(status: number, code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be 400..599, received ${status}`);
    }
    this.status = status;
  }
}

export class HttpNotFoundError extends HttpError {
  override name = 'HttpNotFoundError';
  constructor(method: string, path: string) {
    super(404, 'HOST_ROUTE_NOT_FOUND', `No route for ${method} ${path}.`, {
      details: { method, path },
      hint: 'See host/openapi.yaml for the routes under /v1.',
    });
  }
}

export class InvalidRequestError extends HttpError {
  override name = 'InvalidRequestError';
  constructor(field: string, expected: string, received: string) {
    super(400, 'HOST_INVALID_REQUEST', `Invalid ${field}: expected ${expected}, received ${received}.`, {
      details: { field, expected, received },
      hint: 'Fix the request as described and send it again.',
    });
  }
}

/**
 * Statuses for AudataError codes raised below the HTTP layer (blob store, queue), so that
 * those modules stay free of HTTP and the mapping lives in one place.
 */
export const statusByCode: Readonly<Record<string, number>> = {
  HOST_BLOB_TOO_LARGE: 413,
  HOST_BLOB_HASH_MISMATCH: 400,
  HOST_BLOB_NOT_FOUND: 404,
  HOST_BLOB_ABORTED: 400,
  HOST_CONTRIBUTION_CONFLICT: 409,
  // The enclave's state or audit log disagrees with what the host stored: the reply's facts were
  // not kept, and only an operator can say which side is wrong, so the caller is told, not hidden a 500.
  HOST_ENCLAVE_STATE_CONFLICT: 503,
  HOST_AUDIT_FORK: 503,
};

/** Shortens an untrusted value for an error message, so a hostile header cannot flood logs. */
export function preview(value: string, max = 80): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} chars)`;
}
