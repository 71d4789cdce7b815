// The scenario as a page: `make run` writes .data/devnet/report.html so what happened (each
// file's score breakdown, the buyer's held-out loss per DP step, who claimed what, every check)
// can be seen at a glance rather than read from the terminal. One self-contained file: inline
// CSS and SVG, no scripts, nothing fetched; every value from the run is escaped.
import type { FileRecord } from '../../client/src/sdk/contribute.ts';

/** A file as the scenario uploaded it, with its verdict and sub-scores (basis points) as read from the chain. */
export interface ReportFile extends Pick<FileRecord, 'valid' | 'revoked' | 'score' | 'authenticity' | 'ownership' | 'quality' | 'uniqueness'> {
  who: string;
  clip: string;
  kind: string;
  fileId: string;
}

export interface ReportTraining {
  /** Held-out cross-entropy before the first step, then after each step. */
  losses: number[];
  epsilon: number;
  delta: number;
  heldOut: number;
}

export interface ScenarioReport {
  generatedAt: Date;
  chainId: number;
  steps: { name: string; ok: boolean; detail: string }[];
  files: ReportFile[];
  training?: ReportTraining;
  claims?: { who: string; amount: string }[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const SUB_SCORES = ['authenticity', 'ownership', 'quality', 'uniqueness'] as const;

/** A horizontal bar for a basis-point value, with the percentage beside it. */
function bar(bps: number): string {
  const clamped = Math.min(10_000, Math.max(0, bps));
  const width = (clamped / 10_000) * 100;
  return `<svg class="bar" width="100" height="10" role="img" aria-label="${(clamped / 100).toFixed(1)}%"><rect width="100" height="10" fill="#eee"/><rect width="${width.toFixed(1)}" height="10" fill="${clamped < 2500 ? '#c0392b' : '#2e86c1'}"/></svg> ${(clamped / 100).toFixed(1)}%`;
}

/**
 * A line chart of `values` against their index, axes labelled, as inline SVG. Values must be
 * finite; the y axis spans their range (padded), so a flat series still draws.
 */
export function lineChart(values: readonly number[], labels: { x: string; y: string }, size = { width: 480, height: 240 }): string {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new RangeError('lineChart: needs at least one finite value, and only finite values');
  const margin = { left: 52, right: 12, top: 12, bottom: 36 };
  const w = size.width - margin.left - margin.right;
  const h = size.height - margin.top - margin.bottom;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const x = (i: number) => margin.left + (values.length === 1 ? w / 2 : (i / (values.length - 1)) * w);
  const y = (v: number) => margin.top + (1 - (v - lo) / (hi - lo)) * h;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = [lo + pad, (lo + hi) / 2, hi - pad]
    .map((v) => `<line x1="${margin.left - 4}" x2="${margin.left}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#333"/><text x="${margin.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(3)}</text>`)
    .join('');
  const xTicks = values.map((_, i) => `<text x="${x(i).toFixed(1)}" y="${margin.top + h + 16}" text-anchor="middle">${i}</text>`).join('');
  const dots = values.map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="#2e86c1"/>`).join('');
  return [
    `<svg class="chart" width="${size.width}" height="${size.height}" role="img" aria-label="${escapeHtml(labels.y)} by ${escapeHtml(labels.x)}">`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + h}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + w}" y1="${margin.top + h}" y2="${margin.top + h}" stroke="#333"/>`,
    ticks,
    xTicks,
    `<polyline points="${points}" fill="none" stroke="#2e86c1" stroke-width="2"/>`,
    dots,
    `<text x="${margin.left + w / 2}" y="${size.height - 4}" text-anchor="middle">${escapeHtml(labels.x)}</text>`,
    `<text transform="translate(12 ${margin.top + h / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(labels.y)}</text>`,
    '</svg>',
  ].join('');
}

export function renderReport(report: ScenarioReport): string {
  const held = report.steps.filter((s) => s.ok).length;
  const files = report.files
    .map(
      (f) =>
        `<tr${f.revoked ? ' class="revoked"' : ''}><td>${escapeHtml(f.who)}</td><td>${escapeHtml(f.clip)}</td><td>${escapeHtml(f.kind)}</td>` +
        `<td><code title="${escapeHtml(f.fileId)}">${escapeHtml(f.fileId.slice(0, 10))}…</code></td><td>${f.valid ? 'yes' : 'no'}${f.revoked ? ' (revoked)' : ''}</td>` +
        `<td>${bar(f.score)}</td>${SUB_SCORES.map((k) => `<td>${bar(f[k])}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const training =
    report.training === undefined
      ? ''
      : `<h2>Buyer: DP-SGD through the enclave</h2>
<p>Held-out cross-entropy on the buyer's ${report.training.heldOut} own clips, before the first step and after each noisy step; privacy spent: epsilon ${report.training.epsilon.toFixed(2)} at delta ${report.training.delta}.</p>
${lineChart(report.training.losses, { x: 'DP step', y: 'held-out loss' })}`;
  const claims =
    report.claims === undefined || report.claims.length === 0
      ? ''
      : `<h2>Claims</h2>\n<table><tr><th>contributor</th><th>claimed</th></tr>\n${report.claims.map((c) => `<tr><td>${escapeHtml(c.who)}</td><td>${escapeHtml(c.amount)}</td></tr>`).join('\n')}\n</table>`;
  const steps = report.steps.map((s) => `<li class="${s.ok ? 'ok' : 'failed'}">${s.ok ? '✔' : '✘'} <b>${escapeHtml(s.name)}</b>: ${escapeHtml(s.detail)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Audata devnet scenario</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}
tr.revoked td{color:#999}.bar{vertical-align:middle}.chart text{font-size:11px}
li.ok{color:#1e7b34}li.failed{color:#b03a2e}ul{list-style:none;padding:0}.verdict{font-size:1.2em;font-weight:bold}
</style></head><body>
<h1>Audata devnet scenario</h1>
<p class="verdict">${held === report.steps.length ? 'SCENARIO VERIFIED' : 'SCENARIO FAILED'}: ${held}/${report.steps.length} steps held</p>
<p>Chain ${report.chainId}, ${escapeHtml(report.generatedAt.toISOString())}. Every score below was read back from the ContributionRegistry, not from the host.</p>
<h2>Contributions</h2>
<table><tr><th>who</th><th>clip</th><th>kind</th><th>file</th><th>valid</th><th>reward score</th>${SUB_SCORES.map((k) => `<th>${k}</th>`).join('')}</tr>
${files}
</table>
${training}
${claims}
<h2>Checks</h2>
<ul>
${steps}
</ul>
</body></html>
`;
}
