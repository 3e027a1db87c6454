/**
 * The markdown of `npm run bench:train`: one table of every measurement of the run (rows built by
 * scripts/bench-train.mjs), with speed ratios to the PyTorch rows of the same case and step, then
 * footnotes, parameter counts and, with --profile, the kernels that took longest in a tfjs step.
 */

const HEADER = [
  'model',
  'T',
  'batch',
  'step',
  'implementation',
  'timed steps',
  'ms/step',
  'images/s',
  'vs PyTorch 1 thread',
  'vs PyTorch all threads',
];

/** Three significant digits, without exponent notation. */
function num(v) {
  if (v == null || !Number.isFinite(v)) return '';
  if (v >= 100) return v.toFixed(0);
  return v >= 1 ? v.toPrecision(3) : v.toPrecision(2);
}

/** A row's speed relative to `reference` (images/s ÷ images/s); a bound stays a bound. */
function ratioCell(row, reference) {
  if (reference == null || row.imagesPerSecond == null) return '';
  const r = row.imagesPerSecond / reference.imagesPerSecond;
  return `${row.lowerBoundMs != null ? '< ' : ''}${num(r)}×`;
}

function timeCells(row) {
  if (row.skipped != null) return ['', `skipped: ${row.skipped}`, ''];
  if (row.error != null) return ['', `failed: ${row.error}`, ''];
  if (row.lowerBoundMs != null) return ['0 of 1', `> ${num(row.lowerBoundMs)}`, `< ${num(row.imagesPerSecond)}`];
  return [String(row.stepsMs.length), num(row.msPerStep), num(row.imagesPerSecond)];
}

function footnoteMark(row, notes) {
  return row.note != null ? ` [${notes.indexOf(row.note) + 1}]` : '';
}

function tableRow(row, rows, notes) {
  const torch = threads =>
    rows.find(
      r =>
        r.name === row.name &&
        r.mode === row.mode &&
        r.torchThreads === threads &&
        r.imagesPerSecond != null &&
        r.lowerBoundMs == null
    );
  return [
    row.name,
    String(row.timeSteps),
    String(row.batch),
    row.mode,
    row.label + footnoteMark(row, notes),
    ...timeCells(row),
    ratioCell(row, torch('1')),
    ratioCell(row, torch('all')),
  ];
}

const line = cells => `| ${cells.map(c => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;

export function markdownTable(rows) {
  const notes = [...new Set(rows.map(r => r.note).filter(n => n != null))];
  return [
    line(HEADER),
    line(HEADER.map(() => '---')),
    ...rows.map(row => line(tableRow(row, rows, notes))),
    ...(notes.length > 0 ? ['', ...notes.map((note, i) => `[${i + 1}] ${note}`)] : []),
  ];
}

function paramLines(params) {
  return Object.entries(params).map(([name, p]) => {
    const counts = Object.entries(p)
      .map(([side, n]) => `${side} ${n}`)
      .join(', ');
    const values = Object.values(p);
    const check = values.length < 2 ? '' : new Set(values).size === 1 ? ' (equal)' : ' — DIFFERENT';
    return `- ${name}: trainable parameters ${counts}${check}`;
  });
}

function profileLines(profiles) {
  return profiles.flatMap(p => [
    `- ${p.name} on ${p.backend}: profiled step ${num(p.stepMs)} ms` +
      (p.snnShares == null
        ? ''
        : ` (the median SNN share of ${p.snnShares.length} profiled steps: ` +
          `${p.snnShares.map(share => `${(100 * share).toFixed(1)}%`).join(', ')})`) +
      `, kernels ${num(p.kernelMs)} ms` +
      (p.snnKernelMs == null
        ? ''
        : `, SNN part (Snn* kernels${p.encoderKernelMs == null ? '' : ` and the encoder's ${num(p.encoderKernelMs)} ms`}) ` +
          `${num(p.snnKernelMs)} ms = ${((100 * p.snnKernelMs) / p.stepMs).toFixed(1)}% of the step`) +
      (p.peakBufferBytes == null
        ? ''
        : `, tensor buffers allocated in a step and alive at once at most ${num(p.peakBufferBytes / 2 ** 20)} MiB ` +
          `(wasm heap ${num(p.heapBytes / 2 ** 20)} MiB)`) +
      (p.peakBytes == null ? '' : `, tf.profile peakBytes ${num(p.peakBytes / 2 ** 20)} MiB`) +
      '; ' +
      p.top
        .map(k => `${k.kernel} ${num(k.ms)} ms (${((100 * k.ms) / p.kernelMs).toFixed(0)}%, ${k.calls}×)`)
        .join(', '),
  ]);
}

/** The whole report: title, run information, the table, notes, parameters and profiles. */
const percent = share => `${Number((100 * share).toFixed(1))}%`;

/** The non-zero shares up to which the wasm Conv2D takes the sparse path (kernels/wasm/conv2d.ts). */
function limitsText(limits) {
  return `over non-zeros when at most ${percent(limits.binary)} of spikes or ${percent(limits.valued)} of other values are non-zero`;
}

/** The lower limits where Winograd takes the convolution, when they differ (one thread). */
function winogradLimitsText(a) {
  const w = a.winogradLimits;
  if (w == null || (w.binary === a.sparseLimits.binary && w.valued === a.sparseLimits.valued)) return '';
  return `; ${percent(w.binary)} and ${percent(w.valued)} where Winograd takes it`;
}

function activityLines(activity) {
  return activity.map(
    a =>
      `- ${a.name} on ${a.backend}, ${a.mode}: ${(100 * a.nonZeroShare).toFixed(1)}% of Conv2D inputs non-zero ` +
      `(weighted by multiply-adds); ${a.sparseCalls} of ${a.convCalls} over non-zeros only` +
      (a.sparseGradientCalls > 0 ? `, and ${a.sparseGradientCalls} convolutions inside the filter gradients` : '') +
      (a.sparseFilterGradCalls > 0
        ? `; ${a.sparseFilterGradCalls} filter gradient${a.sparseFilterGradCalls === 1 ? '' : 's'} over non-zeros only`
        : '') +
      (a.sparseLimits == null ? '' : ` (${limitsText(a.sparseLimits)}${winogradLimitsText(a)})`) +
      (a.winogradCalls > 0 ? `; ${a.winogradCalls} convolutions or filter gradients as Winograd F(4×4, 3×3)` : '')
  );
}

export function markdownReport({info, rows, params, profiles, activity = []}) {
  return [
    '## tfjs-snn training speed: one SGD step of the ready-made networks, tfjs vs PyTorch',
    '',
    ...info.map(i => `- ${i}`),
    '',
    ...markdownTable(rows),
    '',
    'Ratios: images/s of the row ÷ images/s of the PyTorch row of the same model and step, measured in this run ' +
      '(above 1× is faster than PyTorch).',
    '',
    ...paramLines(params),
    ...(activity.length > 0
      ? [
          '',
          "Activity (one more step of each mode; the network's convolutions): tfjs-snn's wasm Conv2D skips zero inputs when few are " +
            "non-zero (the limits in each line), so its speed depends on the network's spike activity, PyTorch's does not. predict is timed " +
            'first, on the freshly built network, whose BNTT moving statistics are still at their initial values:',
          '',
          ...activityLines(activity),
        ]
      : []),
    ...(profiles.length > 0
      ? [
          '',
          'Kernels that took longest in one tfjs training step (tf.profile, kernelTimeMs):',
          '',
          ...profileLines(profiles),
        ]
      : []),
  ].join('\n');
}
