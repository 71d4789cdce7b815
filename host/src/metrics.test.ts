import { expect } from 'chai';
import { createHostMetrics, MetricsRegistry } from './metrics.ts';

describe('metrics', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter('x_total', 'Things.');
    counter.inc({ route: '/v1/a"b' });
    counter.inc({ route: '/v1/a"b' }, 2);
    registry.gauge('depth', 'Depth.', () => [{ labels: { state: 'queued' }, value: 4 }]);
    const histogram = registry.histogram('lat_seconds', 'Latency.', [0.1, 1]);
    histogram.observe({ route: 'r' }, 0.05);
    histogram.observe({ route: 'r' }, 0.5);
    histogram.observe({ route: 'r' }, 5);
    expect(registry.render()).to.equal(
      [
        '# HELP x_total Things.',
        '# TYPE x_total counter',
        'x_total{route="/v1/a\\"b"} 3',
        '# HELP depth Depth.',
        '# TYPE depth gauge',
        'depth{state="queued"} 4',
        '# HELP lat_seconds Latency.',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{route="r",le="0.1"} 1',
        'lat_seconds_bucket{route="r",le="1"} 2',
        'lat_seconds_bucket{route="r",le="+Inf"} 3',
        'lat_seconds_sum{route="r"} 5.55',
        'lat_seconds_count{route="r"} 3',
        '',
      ].join('\n'),
    );
  });

  it('refuses a counter going down and a bad name', () => {
    const registry = new MetricsRegistry();
    expect(() => registry.counter('x', 'x').inc({}, -1)).to.throw(RangeError);
    expect(() => registry.counter('bad-name', 'x')).to.throw(/bad metric name/);
  });

  it('reads the queue depth at scrape time', () => {
    let queued = 1;
    const metrics = createHostMetrics(() => ({ queued, failed: 0 }));
    expect(metrics.registry.render()).to.include('audata_host_queue_items{state="queued"} 1');
    queued = 7;
    expect(metrics.registry.render()).to.include('audata_host_queue_items{state="queued"} 7');
  });
});
