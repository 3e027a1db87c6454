/** The markdown that `npm run bench` prints and saves: machine info, the table, the targets. */
import {TARGET_STEPS} from './plan';
import {HUGE_PAGES_BACKEND, Row} from './types';

/** Speed-up and memory targets the project set for T=25, forward+backward. */
const TARGETS = [
  // issue 16: at least 40× on cpu, 20× on wasm, 5× on webgl (SwiftShader); peak memory at most 0.25× the loop's
  {backend: 'cpu', impl: 'fused', minSpeedup: 40, maxPeakRatio: 0.25},
  // the same, with malloc on transparent huge pages (bench/huge_pages.ts)
  {backend: HUGE_PAGES_BACKEND, impl: 'fused', minSpeedup: 40, maxPeakRatio: 0.25},
  {backend: 'wasm', impl: 'fused', minSpeedup: 20, maxPeakRatio: 0.25},
  {backend: 'webgl', impl: 'fused', minSpeedup: 5, maxPeakRatio: 0.25},
  // issue 15: under SwiftShader, fused fwd+bwd at least 5× the per-step loop at T 25
  {backend: 'webgpu', impl: 'fused', minSpeedup: 5, maxPeakRatio: 0.5},
] as const;

const HEADER = [
  'backend',
  'impl',
  'T',
  'neurons',
  'runs',
  'fwd ms',
  'fwd+bwd ms',
  'peak MB (fwd+bwd)',
  'naive/this time (fwd)',
  'naive/this time (fwd+bwd)',
  'this/naive peak memory',
  'firing %',
  'check vs naive',
];

interface Ratios {
  fwd?: number;
  fwdBwd?: number;
  peak?: number;
}

function ratio(numerator?: number, denominator?: number): number | undefined {
  return numerator != null && denominator != null && denominator > 0 ? numerator / denominator : undefined;
}

function naiveOf(row: Row, rows: Row[]): Row | undefined {
  return rows.find(r => r.impl === 'naive' && r.backend === row.backend && r.time === row.time && r.error == null);
}

/** The row against the naive row of the same backend and T (same run). */
export function ratiosOf(row: Row, rows: Row[]): Ratios {
  const naive = naiveOf(row, rows);
  if (row.impl === 'naive' || naive == null || row.error != null || row.skipped != null) return {};
  return {
    fwd: ratio(naive.fwdMs, row.fwdMs),
    fwdBwd: ratio(naive.fwdBwdMs, row.fwdBwdMs),
    peak: ratio(row.peakMB, naive.peakMB),
  };
}

const ms = (v?: number) => (v == null ? '' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const mb = (v?: number) => (v == null ? '' : v.toFixed(1));
const times = (v?: number) => (v == null ? '' : `${v.toFixed(1)}×`);
const fraction = (v?: number) => (v == null ? '' : v.toFixed(2));
const cell = (text: string) => text.replace(/\|/g, '\\|');

function neurons(n: number): string {
  const log2 = Math.log2(n);
  return Number.isInteger(log2) ? `2^${log2}` : String(n);
}

function checkCell(row: Row): string {
  if (row.check == null) return row.impl === 'naive' ? '(reference)' : '';
  const c = row.check;
  return `${c.ok ? 'ok' : 'MISMATCH'}: ${c.spikeMismatches} spikes, grad ${c.gradRelError.toExponential(0)}`;
}

function checkAndLeakCell(row: Row): string {
  const leak = row.leakedTensors ? `; LEAKED ${row.leakedTensors} tensors` : '';
  return checkCell(row) + leak;
}

/** Row notes become numbered footnotes under the table. */
function footnotes(rows: Row[]): string[] {
  return [...new Set(rows.map(row => row.note).filter((n): n is string => n != null))];
}

function tableRow(row: Row, rows: Row[], notes: string[]): string[] {
  const mark = row.note != null ? ` [${notes.indexOf(row.note) + 1}]` : '';
  const head = [row.backend, row.label, String(row.time), neurons(row.neurons) + mark];
  if (row.skipped != null || row.error != null) {
    const why = row.skipped != null ? `skipped: ${row.skipped}` : `failed: ${row.error}`;
    return [...head, '', why, '', '', '', '', '', '', checkAndLeakCell(row)];
  }
  const r = ratiosOf(row, rows);
  return [
    ...head,
    String(row.fwdRuns?.length ?? 0),
    ms(row.fwdMs),
    ms(row.fwdBwdMs),
    mb(row.peakMB),
    times(r.fwd),
    times(r.fwdBwd),
    fraction(r.peak),
    row.firingRate == null ? '' : (100 * row.firingRate).toFixed(1),
    checkAndLeakCell(row),
  ];
}

export function markdownTable(rows: Row[]): string {
  const notes = footnotes(rows);
  const lines = [HEADER, HEADER.map(() => '---'), ...rows.map(row => tableRow(row, rows, notes))];
  const table = lines.map(cells => `| ${cells.map(cell).join(' | ')} |`).join('\n');
  return [table, ...notes.map((note, i) => `\n[${i + 1}] ${note}`)].join('\n');
}

function targetLines(rows: Row[]): string[] {
  return TARGETS.map(target => {
    const row = rows.find(r => r.backend === target.backend && r.impl === target.impl && r.time === TARGET_STEPS);
    const label = `${target.backend} T=${TARGET_STEPS} fwd+bwd`;
    const r = row == null ? {} : ratiosOf(row, rows);
    if (r.fwdBwd == null || r.peak == null) return `- ${label}: not measured`;
    const speed = `speed-up ${times(r.fwdBwd)} (target ≥ ${target.minSpeedup}×: ${
      r.fwdBwd >= target.minSpeedup ? 'met' : 'MISSED'
    })`;
    const memory = `peak memory ${fraction(r.peak)} of naive (target ≤ ${target.maxPeakRatio}: ${
      r.peak <= target.maxPeakRatio ? 'met' : 'MISSED'
    })`;
    return `- ${label}: ${speed}; ${memory}`;
  });
}

const LOSS_TEXT = {
  vjp: 'Backward: tf.grad(lif)(currents, w), i.e. dL/dcurrents of L = sum(spikes · w) without running the loss ops.',
  sum: 'Backward: tf.grad of the written-out loss tf.sum(tf.mul(lif(currents), w)) (--sum-loss).',
};

export interface ReportOptions {
  loss: keyof typeof LOSS_TEXT;
  quick: boolean;
}

export function markdownReport(infoLines: string[], rows: Row[], options: ReportOptions): string {
  return [
    '## tfjs-snn LIF benchmark: fused vs naive per-step ops',
    '',
    ...infoLines.map(line => `- ${line}`),
    '',
    markdownTable(rows),
    '',
    'Times: median of `runs` wall-clock runs after one warm-up, until the result is computed (one element read back). ' +
      `${LOSS_TEXT[options.loss]} ` +
      'Peak: tf.profile peakBytes minus bytes alive before the call (tensor memory only), MiB. ' +
      'Ratios compare each row with the naive row of the same backend and T, measured in the same run. ' +
      'Check: spikes and dL/dcurrents against the naive version on a [2, T, 8, 16, 16] input, same backend.',
    '',
    `Targets (T=${TARGET_STEPS}, forward+backward)${options.quick ? ', not meaningful at --quick sizes' : ''}:`,
    ...targetLines(rows),
  ].join('\n');
}
