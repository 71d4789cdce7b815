import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import Sqlite from 'better-sqlite3';
import { createApp } from './app.ts';
import { FsBlobStore } from './blobs/fs-store.ts';
import { ContributionStore } from './db/contributions.ts';
import { createLogger } from './log.ts';
import { createHostMetrics } from './metrics.ts';
import { ScoringQueue } from './queue/scoring-queue.ts';

const spec = load(readFileSync(join(import.meta.dirname, '..', 'openapi.yaml'), 'utf8')) as {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
};

const methods = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** "METHOD /path" for every route the app registers, with :param written as {param}. */
function appRoutes(): string[] {
  const db = new Sqlite(':memory:');
  const queue = new ScoringQueue(db, { leaseMs: 1000, maxAttempts: 1 });
  const app = createApp({
    enclave: { attest: async () => ({ document: new Uint8Array() }) },
    blobs: new FsBlobStore('/nonexistent'),
    contributions: new ContributionStore(db, queue),
    queue,
    metrics: createHostMetrics(() => ({})),
    logger: createLogger({ sink: () => {} }),
    maxUploadBytes: 1,
  });
  const stack = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
  db.close();
  return stack
    .flatMap((layer) => (layer.route === undefined ? [] : Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`)))
    .sort();
}

function specRoutes(): string[] {
  return Object.entries(spec.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((key) => methods.includes(key)).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(spec.openapi).to.match(/^3\.1\./);
  });

  it('documents every route the app serves, and no other', () => {
    const served = appRoutes();
    expect(served.length).to.be.greaterThan(0);
    expect(served).to.deep.equal(specRoutes());
  });

  it('documents responses for every operation, and every $ref resolves', () => {
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const method of Object.keys(item).filter((key) => methods.includes(key))) {
        expect(Object.keys(item[method]!.responses ?? {}), `${method} ${path}`).to.not.be.empty;
      }
    }
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else walk(value);
        }
      }
    };
    walk(spec);
    expect(refs).to.not.be.empty;
    for (const ref of refs) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], spec);
      expect(target, ref).to.not.equal(undefined);
    }
  });
});
