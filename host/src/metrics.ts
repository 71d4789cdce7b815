// Counters, gauges and histograms rendered in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Small on purpose: the
// host exports a handful of series and needs no client library for that.

type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function formatNumber(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
}

const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());

interface Series {
  render(): string[];
}

export class Counter implements Series {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0 || !Number.isFinite(by)) throw new RangeError(`counter ${this.name} can only go up by a finite amount`);
    const key = keyOf(labels);
    const entry = this.#values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.#values.set(key, entry);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(keyOf(labels))?.value ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    return lines;
  }
}

/** A gauge read at scrape time, e.g. queue depth straight from the database. */
export class CallbackGauge implements Series {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => readonly { labels: Labels; value: number }[],
  ) {}

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.read()) lines.push(`${this.name}${labelText(labels)} ${formatNumber(value)}`);
    return lines;
  }
}

export class Histogram implements Series {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly buckets: readonly number[];
  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = keyOf(labels);
    const entry = this.#series.get(key) ?? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((bound, index) => {
      if (value <= bound) entry.counts[index]! += 1;
    });
    entry.sum += value;
    entry.count += 1;
    this.#series.set(key, entry);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, index) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: formatNumber(bound) })} ${counts[index]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  readonly #series: Series[] = [];

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  gauge(name: string, help: string, read: CallbackGauge['read']): CallbackGauge {
    return this.#add(new CallbackGauge(name, help, read));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  #add<T extends Series & { name: string }>(series: T): T {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(series.name)) throw new Error(`bad metric name ${series.name}`);
    this.#series.push(series);
    return series;
  }

  /** The exposition text, ending with a newline as the format requires. */
  render(): string {
    return `${this.#series.flatMap((series) => series.render()).join('\n')}\n`;
  }
}

/** The host's own series. */
export interface HostMetrics {
  registry: MetricsRegistry;
  requests: Counter;
  uploadBytes: Counter;
  uploads: Counter;
  latency: Histogram;
  /** A file's way through the host, by stage (see createHostMetrics). */
  scoring: Histogram;
}

export function createHostMetrics(queueDepth: () => Record<string, number>): HostMetrics {
  const registry = new MetricsRegistry();
  const requests = registry.counter('audata_host_http_requests_total', 'HTTP requests by method, route and status.');
  const latency = registry.histogram(
    'audata_host_http_request_duration_seconds',
    'HTTP request latency by method and route, until the response finished.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  const uploads = registry.counter('audata_host_uploads_total', 'Contribution uploads by outcome (created, existing, refused).');
  const uploadBytes = registry.counter('audata_host_upload_bytes_total', 'Ciphertext bytes stored by accepted uploads.');
  registry.gauge('audata_host_queue_items', 'Scoring queue items by state.', () =>
    Object.entries(queueDepth()).map(([state, value]) => ({ labels: { state }, value })),
  );
  const scoring = registry.histogram(
    'audata_host_scoring_seconds',
    'A scored file by stage: queue (recorded to leased), path (leased to proof kept), enclave (the part of path with the enclave: begin sent to finish answered), chain (proof kept to on chain).',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
  );
  return { registry, requests, uploadBytes, uploads, latency, scoring };
}
