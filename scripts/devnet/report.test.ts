import { expect } from 'chai';
import { escapeHtml, lineChart, renderReport, type ScenarioReport } from './report.ts';

const report = (over: Partial<ScenarioReport> = {}): ScenarioReport => ({
  generatedAt: new Date('2026-11-22T08:00:00Z'),
  chainId: 31337,
  steps: [
    { name: 'attestation', ok: true, detail: 'measurement approved' },
    { name: 'audit <clip>', ok: true, detail: '9 checks passed' },
  ],
  files: [
    { who: 'alice', clip: 'a.wav', kind: 'speech', fileId: `0x${'ab'.repeat(32)}`, valid: true, revoked: false, score: 512, authenticity: 9000, ownership: 10000, quality: 7000, uniqueness: 10000 },
    { who: 'dave', clip: 'copy.wav', kind: 'duplicate', fileId: `0x${'cd'.repeat(32)}`, valid: true, revoked: true, score: 0, authenticity: 9000, ownership: 10000, quality: 7000, uniqueness: 0 },
  ],
  ...over,
});

describe('devnet/report', () => {
  it('escapes everything that came from the run', () => {
    expect(escapeHtml(`<script>alert("x") & 'y'</script>`)).to.equal('&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;');
    const html = renderReport(report({ files: [{ ...report().files[0]!, who: '<img src=x onerror=alert(1)>' }] }));
    expect(html).to.not.include('<img');
    expect(html).to.include('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).to.include('audit &lt;clip&gt;');
  });

  it('states the verdict from the steps, marks revoked files and draws a bar per score', () => {
    const ok = renderReport(report());
    expect(ok).to.include('SCENARIO VERIFIED: 2/2 steps held');
    expect(ok).to.include('<tr class="revoked">');
    expect(ok.match(/class="bar"/g)).to.have.length(10);
    const failed = renderReport(report({ steps: [...report().steps, { name: 'claims', ok: false, detail: 'short by 1 wei' }] }));
    expect(failed).to.include('SCENARIO FAILED: 2/3 steps held');
    expect(failed).to.include('<li class="failed">');
  });

  it('plots the held-out loss with one point per value, falling left to right', () => {
    const losses = [0.693, 0.61, 0.52, 0.44, 0.375];
    const html = renderReport(report({ training: { losses, epsilon: 48.8, delta: 1e-5, heldOut: 6 } }));
    expect(html).to.include('epsilon 48.80 at delta 0.00001');
    const chart = lineChart(losses, { x: 'DP step', y: 'held-out loss' });
    expect(chart.match(/<circle /g)).to.have.length(losses.length);
    // SVG y grows downwards: a falling loss has rising y coordinates.
    const ys = [...chart.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys).to.deep.equal([...ys].sort((a, b) => a - b));
    expect(renderReport(report())).to.not.include('<svg class="chart"');
  });

  it('draws a flat or single-point series and refuses non-finite values', () => {
    expect(lineChart([1, 1, 1], { x: 'i', y: 'v' })).to.include('<polyline');
    expect(lineChart([2], { x: 'i', y: 'v' })).to.include('<circle');
    expect(() => lineChart([], { x: 'i', y: 'v' })).to.throw(RangeError);
    expect(() => lineChart([1, Number.NaN], { x: 'i', y: 'v' })).to.throw(RangeError);
  });
});
