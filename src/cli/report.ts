/** report.json and report.md: the settings, accuracy and time per epoch, and firing rates of a training run. */
import {writeFileSync} from 'node:fs';
import {cpus} from 'node:os';
import {join} from 'node:path';

import type {LayerNeuronParameters} from '../analysis/neuron_parameters';
import {EpochRecord, RunState} from './checkpoint';
import {isEventDataset} from './datasets';
import {NEURON_PARAMETER_HEADER, neuronParameterRows} from './neuron_table';
import {formatDuration} from './progress';

export interface RunSummary {
  modelName: string;
  parameters: number;
  trainImages: number;
  testImages: number;
  finished: boolean;
  /** Every neuron layer's learnt parameters after the last epoch done (snn.analysis.neuronParameters). */
  neuronParameters?: LayerNeuronParameters[];
}

export function reportObject(state: RunState, summary: RunSummary) {
  const last = state.history[state.history.length - 1];
  return {
    generatedBy: 'tfjs-snn train',
    date: new Date().toISOString(),
    machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version},
    backend: state.backend,
    settings: state.args,
    model: {name: summary.modelName, parameters: summary.parameters},
    data: {trainImages: summary.trainImages, testImages: summary.testImages},
    finished: summary.finished,
    epochsDone: state.epochsDone,
    finalTestAccuracy: last?.testAccuracy ?? null,
    bestTestAccuracy: state.history.reduce((best, e) => Math.max(best, e.testAccuracy), 0),
    totalSeconds: state.history.reduce((s, e) => s + e.seconds, 0),
    epochs: state.history,
    neuronParameters: summary.neuronParameters ?? [],
  };
}

const percent = (x: number) => `${(100 * x).toFixed(2)} %`;

function epochTable(history: EpochRecord[]): string[] {
  const layers = [...new Set(history.flatMap(e => Object.keys(e.spikeRates)))];
  const header = [
    'epoch',
    'lr',
    'train loss',
    'train acc',
    'test acc',
    'time',
    'img/s',
    ...layers.map(l => `rate ${l}`),
  ];
  const rows = history.map(e => [
    String(e.epoch),
    e.learningRate.toPrecision(3),
    e.trainLoss.toFixed(4),
    percent(e.trainAccuracy),
    percent(e.testAccuracy),
    formatDuration(e.seconds),
    e.imagesPerSecond.toFixed(1),
    ...layers.map(l => e.spikeRates[l]?.toFixed(4) ?? ''),
  ]);
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map(r => `| ${r.join(' | ')} |`),
  ];
}

/** The leaks, thresholds, … each neuron layer learnt (learnLeak, learnThreshold, …), or why there are none. */
function neuronParameterTable(layers: LayerNeuronParameters[]): string[] {
  if (layers.length === 0) return ['The model has no neuron layer.'];
  if (layers.every(l => l.parameters.length === 0)) return ['None learnt: every neuron layer has fixed parameters.'];
  return [
    `| ${NEURON_PARAMETER_HEADER.join(' | ')} |`,
    `|${NEURON_PARAMETER_HEADER.map(() => '---').join('|')}|`,
    ...neuronParameterRows(layers).map(r => `| ${r.join(' | ')} |`),
  ];
}

export function reportMarkdown(report: ReturnType<typeof reportObject>): string {
  const s = report.settings;
  return [
    `# tfjs-snn training report: ${report.model.name} on ${s.dataset}`,
    '',
    report.finished
      ? `Finished ${report.epochsDone} of ${s.epochs} epochs.`
      : `**Unfinished**: ${report.epochsDone} of ${s.epochs} epochs (continue with --resume).`,
    '',
    `- final test accuracy: **${report.finalTestAccuracy == null ? 'n/a' : percent(report.finalTestAccuracy)}** ` +
      `(best ${percent(report.bestTestAccuracy)})`,
    `- training time: ${formatDuration(report.totalSeconds)} on backend \`${report.backend}\`, ` +
      `${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}`,
    `- data: ${report.data.trainImages} training / ${report.data.testImages} test ` +
      `${isEventDataset(s.dataset) ? `recordings as ${s.timeSteps} frames each` : 'images'}` +
      (s.dataDir != null
        ? ` from \`${s.dataDir}\``
        : s.dataset === 'synthetic-events'
          ? ' (generated: snn.data.syntheticEvents)'
          : ' (the embedded Fashion-MNIST subset)'),
    `- model: ${report.model.name}, ${report.model.parameters} trainable parameters, T = ${s.timeSteps ?? 'default'}, ` +
      `normalization ${s.normalization}, neuron ${s.neuron ?? 'lif'}` +
      (s.leak != null ? `, leak ${s.leak}` : ''),
    `- optimizer: ${s.optimizer}, lr ${s.lr ?? 'default'}, schedule ${s.schedule}, weight decay ${s.weightDecay}, ` +
      `batch ${s.batchSize}, seed ${s.seed}`,
    '',
    '## Per epoch',
    '',
    ...epochTable(report.epochs),
    '',
    "Firing rates are the mean spike count per neuron and step over the epoch's training batches.",
    '',
    '## Learnt neuron parameters',
    '',
    ...neuronParameterTable(report.neuronParameters),
    '',
  ].join('\n');
}

export function writeReports(out: string, state: RunState, summary: RunSummary): void {
  const report = reportObject(state, summary);
  writeFileSync(join(out, 'report.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(out, 'report.md'), reportMarkdown(report));
}
