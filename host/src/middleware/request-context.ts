// Gives each request an id (echoed in X-Request-Id and every log line about it) and, when
// the response ends, writes the one access-log line and the request metrics.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { redactUrl, type Logger } from '../log.ts';
import type { HostMetrics } from '../metrics.ts';

export interface RequestContextDeps {
  logger: Logger;
  metrics: HostMetrics;
  randomId: () => string;
  /** Monotonic milliseconds. */
  clock: () => number;
}

/** The route pattern, not the path, so that metrics do not get one series per fileId. */
export function routeLabel(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : 'unmatched';
}

export function requestContext(deps: RequestContextDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = deps.randomId();
    const started = deps.clock();
    res.locals['requestId'] = requestId;
    res.locals['logger'] = deps.logger.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    let done = false;
    const finish = (event: 'finish' | 'close') => {
      if (done) return;
      done = true;
      const route = routeLabel(req);
      const seconds = (deps.clock() - started) / 1000;
      const status = event === 'finish' ? res.statusCode : 0;
      deps.metrics.requests.inc({ method: req.method, route, status: String(status) });
      deps.metrics.latency.observe({ method: req.method, route }, seconds);
      const log = res.locals['logger'] as Logger;
      log.info(event === 'finish' ? 'http.request' : 'http.request.aborted', {
        method: req.method,
        route,
        path: redactUrl(req.originalUrl),
        status,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
      });
    };
    res.once('finish', () => finish('finish'));
    res.once('close', () => finish('close'));
    next();
  };
}
