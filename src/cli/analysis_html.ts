/** analysis.html: the analysis report as one self-contained page (inline SVG charts, tables, no scripts). */
import type {AnalysisReport} from './analyze';
import {NEURON_PARAMETER_HEADER, neuronParameterRows} from './neuron_table';

const escape = (text: string) =>
  text.replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'})[c]!);
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const sci = (x: number) => x.toExponential(3);

function table(header: string[], rows: string[][]): string {
  const head = header.map(h => `<th>${escape(h)}</th>`).join('');
  const body = rows.map(r => `<tr>${r.map(c => `<td>${escape(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function figure(id: string, svg: string | null, caption: string): string {
  if (svg == null) return `<p id="${id}">${escape(caption)}: the model has no BNTT layer.</p>`;
  return `<figure id="${id}">\n${svg}\n<figcaption>${escape(caption)}</figcaption>\n</figure>`;
}

/** The learnt leaks, thresholds, … of every neuron layer; 'none learnt' for a layer with fixed ones. */
function neuronParametersSection(r: AnalysisReport): string {
  if (r.neuronParameters.length === 0) return '<p id="neuron-parameters">The model has no neuron layer.</p>';
  const header = NEURON_PARAMETER_HEADER.map(h => (h === 'histogram' ? 'histogram (min to max)' : h));
  return `<div id="neuron-parameters">\n${table(header, neuronParameterRows(r.neuronParameters))}\n</div>`;
}

export function analysisHtml(
  report: AnalysisReport,
  charts: {gamma: string | null; rates: string; accuracy: string}
): string {
  const r = report;
  const full = r.accuracyByTimeSteps.accuracy[r.timeSteps - 1];
  const c = r.confidenceExit;
  const g = r.gammaExit;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tfjs-snn analysis: ${escape(r.model)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; }
figcaption { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>tfjs-snn analysis</h1>
<ul>
<li>model: <code>${escape(r.model)}</code>, ${r.timeSteps} time steps</li>
<li>data: ${r.testImages} ${escape(r.dataset)} test images; backend ${escape(r.backend)}; ${r.seconds.toFixed(0)} s</li>
<li>accuracy after all ${r.timeSteps} steps: <strong>${pct(full)}</strong></li>
<li>early exit, gamma rule (threshold ${g.threshold}): ${g.exitStep} of ${r.timeSteps} steps, ${pct(g.accuracy)}</li>
<li>early exit, confidence (margin ${c.threshold}, patience ${c.patience}): ${c.meanSteps.toFixed(2)} steps on average,
${pct(c.accuracy)}</li>
<li>energy: ANN ${sci(r.energy.annEnergy)} pJ, SNN ${sci(r.energy.snnEnergy)} pJ per image: the SNN needs
<strong>${r.energy.ratio.toFixed(2)}×</strong> less</li>
</ul>

<h2>BNTT scales over time</h2>
${figure('gamma-chart', charts.gamma, "Mean BNTT scale per step and layer; dashed: the gamma rule's threshold")}

<h2>Learnt neuron parameters</h2>
<p>The leaks, thresholds and other parameters each neuron layer learnt (layers with <code>learnLeak</code>,
<code>learnThreshold</code>, …); "none learnt" for a layer whose parameters are fixed numbers.</p>
${neuronParametersSection(r)}

<h2>Firing rates</h2>
${figure('rates-chart', charts.rates, 'Spikes per neuron per step, per spiking layer')}
${table(
  ['layer', 'neurons', 'rate', ...Array.from({length: r.timeSteps}, (_, t) => `step ${t + 1}`)],
  r.spikeRates.map(s => [s.layer, String(s.neurons), s.rate.toFixed(4), ...s.perStep.map(v => v.toFixed(4))])
)}

<h2>Accuracy against time steps, and early exit</h2>
${figure('accuracy-chart', charts.accuracy, 'Accuracy when inference stops after t steps; diamonds: the early-exit policies')}
${table(
  ['gamma threshold', 'exit step', 'accuracy', 'change'],
  r.gammaSweep.map(s => [
    String(s.threshold),
    String(s.exitStep),
    pct(s.accuracy),
    `${(100 * (s.accuracy - full)).toFixed(2)} points`,
  ])
)}
${table(
  ['confidence exit after step', ...Array.from({length: r.timeSteps}, (_, t) => String(t + 1))],
  [['images', ...c.exitStepCounts.map(String)]]
)}

<h2>Energy estimate</h2>
<p>Synaptic operations per image: an ANN of the same architecture does one multiply-accumulate (${r.energy.eMAC} pJ)
per synapse; the SNN does one accumulate (${r.energy.eAC} pJ) per input spike and synapse over ${r.energy.timeSteps}
steps, and multiply-accumulates in layers fed by the analog input.</p>
${table(
  ['layer', 'ANN MACs', 'input rate', 'input', 'SNN ops', 'ANN pJ', 'SNN pJ'],
  [
    ...r.energy.layers.map(l => [
      l.layer,
      sci(l.annMACs),
      l.inputRate.toFixed(4),
      l.analogInput ? 'analog (MAC)' : 'spikes (AC)',
      sci(l.snnOps),
      sci(l.annEnergy),
      sci(l.snnEnergy),
    ]),
    ['total', '', '', '', '', sci(r.energy.annEnergy), sci(r.energy.snnEnergy)],
  ]
)}
</body>
</html>
`;
}
