// The one place a failure becomes an HTTP response: HttpErrors and known AudataError codes
// keep their status and message; anything else is logged with its request id and shown
// to the caller only as a 500 carrying that id.
import type { ErrorRequestHandler } from 'express';
import { isAudataError, type AudataError } from '@audata/wire';
import { HttpError, statusByCode } from '../errors.ts';
import type { Logger } from '../log.ts';

export interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: AudataError['details']; requestId: string };
}

/**
 * Errors from express's router for a request it cannot parse (a malformed %-escape in a
 * path parameter is a URIError with status 400; http-errors set `expose`).
 */
function isClientFault(error: unknown): boolean {
  const candidate = error as { status?: unknown; expose?: unknown } | null;
  const status = candidate?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && (candidate?.expose === true || error instanceof URIError);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const requestId = typeof res.locals['requestId'] === 'string' ? res.locals['requestId'] : 'unknown';
    const log = (res.locals['logger'] as Logger | undefined) ?? logger.child({ requestId });
    let status: number;
    let body: ErrorBody['error'];
    if (isAudataError(error) && (error instanceof HttpError || statusByCode[error.code] !== undefined)) {
      status = error instanceof HttpError ? error.status : statusByCode[error.code]!;
      body = { code: error.code, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }), details: error.details, requestId };
      log.info('http.refused', { code: error.code, status });
    } else if (isClientFault(error)) {
      status = 400;
      body = { code: 'HOST_BAD_REQUEST', message: 'The request could not be parsed.', requestId };
      log.info('http.refused', { code: body.code, status, error });
    } else {
      status = 500;
      body = { code: 'HOST_INTERNAL', message: 'Internal error; quote the request id to the operator.', requestId };
      log.error('http.internal_error', { error });
    }
    if (res.headersSent) {
      // Too late for a status: cut the connection so the client sees a failure, not a short body.
      req.socket.destroy();
      return;
    }
    // An unread body (refused early, or cut off at the limit) would otherwise be drained.
    if (!req.complete) res.setHeader('Connection', 'close');
    res.status(status).json({ error: body } satisfies ErrorBody);
  };
}
