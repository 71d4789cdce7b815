// GET /v1/health and GET /v1/metrics: what an operator's probes and Prometheus scrape.
import type { Express } from 'express';
import { HttpError } from '../errors.ts';
import type { HostMetrics } from '../metrics.ts';
import type { QueueState } from '../queue/scoring-queue.ts';

export class UnhealthyError extends HttpError {
  override name = 'UnhealthyError';
  constructor(cause: unknown) {
    super(503, 'HOST_UNHEALTHY', 'The metadata database does not answer.', { hint: 'See the host log.', cause });
  }
}

export interface ServiceRoutesDeps {
  metrics: HostMetrics;
  queueDepth: () => Record<QueueState, number>;
  blobStoreKind: string;
  startedAt: number;
  now: () => number;
}

export function serviceRoutes(app: Express, deps: ServiceRoutesDeps): void {
  app.get('/v1/health', (_req, res) => {
    let queue;
    try {
      queue = deps.queueDepth();
    } catch (error) {
      throw new UnhealthyError(error);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok', blobStore: deps.blobStoreKind, queue, uptimeSeconds: Math.floor((deps.now() - deps.startedAt) / 1000) });
  });

  app.get('/v1/metrics', (_req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.send(deps.metrics.registry.render());
  });
}
