/**
 * `tfjs-snn analyze`: runs the analyses of snn.analysis and both early-exit policies on a trained model's
 * test data, and writes analysis.json, three SVG charts and a self-contained analysis.html.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {basename, dirname, join, resolve} from 'node:path';

import {accuracyCollector, AccuracyByTimeSteps} from '../analysis/accuracy_by_time_steps';
import {energyCollector, EnergyReport} from '../analysis/energy';
import {GammaProfile, gammaProfile} from '../analysis/gamma_profile';
import {classLabels, layerChain, modelTimeSteps, runChain} from '../analysis/model_chain';
import {LayerNeuronParameters, neuronParameters} from '../analysis/neuron_parameters';
import {LayerSpikeRate, spikeRateCollector} from '../analysis/spike_rates';
import {fileSystem} from '../io/file_system';
import {loadLayersModel} from '../io/load';
import {EarlyExitWrapper} from '../layers/early_exit_wrapper';
import {isEncoder} from '../layers/roles';
import {AnalyzeArgs} from './args';
import {useBackend} from './backend';
import {accuracyChart, chartLibraries, gammaChart, ratesChart, svgOf} from './charts';
import {CommandData, loadSplit} from './datasets';
import {checkBatchSize, largestBatch} from './limits';
import {analysisHtml} from './analysis_html';
import type {Output} from './train';

/** Thresholds the gamma rule is tried at, besides --gamma-threshold and the model's own (gammaBreakpoints). */
const GAMMA_SWEEP = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];

/**
 * For every exit step e < T, the smallest threshold (to 0.001, above) at which the gamma rule stops after e steps:
 * just above the largest mean scale of any BNTT layer at steps e + 1 … T. Shows the trade-off on any model, also
 * one whose scales never come near the fixed thresholds.
 */
function gammaBreakpoints(profiles: GammaProfile[]): number[] {
  if (profiles.length === 0) return [];
  const steps = profiles[0].mean.length;
  const thresholds: number[] = [];
  for (let exit = 1; exit < steps; exit++) {
    const largest = Math.max(...profiles.flatMap(p => p.mean.slice(exit)));
    thresholds.push((Math.floor(largest * 1000) + 1) / 1000);
  }
  return thresholds;
}

export interface AnalysisReport {
  model: string;
  dataset: string;
  testImages: number;
  backend: string;
  timeSteps: number;
  gammaProfile: GammaProfile[];
  /** Every neuron layer's learnt parameters (leak, threshold, …); an empty list for a layer that learns none. */
  neuronParameters: LayerNeuronParameters[];
  spikeRates: LayerSpikeRate[];
  energy: EnergyReport;
  accuracyByTimeSteps: AccuracyByTimeSteps;
  gammaExit: {threshold: number; exitStep: number; accuracy: number};
  gammaSweep: Array<{threshold: number; exitStep: number; accuracy: number}>;
  confidenceExit: {threshold: number; patience: number; meanSteps: number; accuracy: number; exitStepCounts: number[]};
  seconds: number;
}

/** The model folder (with model.json) and the run folder the report goes into by default. */
function locateModel(path: string): {modelDir: string; runDir: string} {
  if (existsSync(join(path, 'model.json'))) {
    return {modelDir: path, runDir: basename(resolve(path)) === 'model' ? dirname(path) : path};
  }
  if (existsSync(join(path, 'model', 'model.json'))) return {modelDir: join(path, 'model'), runDir: path};
  throw new Error(
    `--model: no model.json in '${path}' or '${join(path, 'model')}'; give the run folder of ` +
      `tfjs-snn train or a folder holding model.json`
  );
}

function confidenceExit(
  model: tfl.LayersModel,
  x: tf.Tensor,
  labels: Int32Array,
  args: AnalyzeArgs,
  batchSize: number
) {
  const wrapper = new EarlyExitWrapper({
    layer: model,
    policy: 'confidence',
    confidenceThreshold: args.confidenceThreshold,
    patience: args.patience,
  });
  const {logits, exitSteps} = wrapper.predictWithExits(x, {batchSize});
  const predictions = tf.tidy(() => tf.argMax(logits, 1).dataSync());
  logits.dispose();
  const correct = labels.reduce((n, label, i) => n + (predictions[i] === label ? 1 : 0), 0);
  const exitStepCounts = new Array<number>(wrapper.timeSteps ?? (x.shape[1] as number)).fill(0);
  for (const step of exitSteps) exitStepCounts[step - 1]++;
  return {
    threshold: args.confidenceThreshold,
    patience: args.patience,
    accuracy: correct / labels.length,
    meanSteps: exitSteps.reduce((a, b) => a + b, 0) / exitSteps.length,
    exitStepCounts,
  };
}

function gammaExitAt(model: tfl.LayersModel, threshold: number, byTime: AccuracyByTimeSteps) {
  const exitStep = new EarlyExitWrapper({layer: model, gammaThreshold: threshold}).exitStep(byTime.timeSteps.length);
  return {threshold, exitStep, accuracy: byTime.accuracy[exitStep - 1]};
}

/** One line: `lif1 leak 0.912 ± 0.031, threshold 1.02; lif2 none learnt` (or 'none learnt' for the whole model). */
export function learntSummary(layers: LayerNeuronParameters[]): string {
  if (layers.every(l => l.parameters.length === 0)) return 'none learnt';
  return layers
    .map(({layer, parameters}) => {
      if (parameters.length === 0) return `${layer} none learnt`;
      const each = parameters.map(p => `${p.name} ${p.mean.toFixed(3)}${p.count > 1 ? ` ± ${p.std.toFixed(3)}` : ''}`);
      return `${layer} ${each.join(', ')}`;
    })
    .join('; ');
}

export async function analyze(args: AnalyzeArgs, out: Output): Promise<AnalysisReport> {
  const started = Date.now();
  chartLibraries(); // without vega, say so now rather than after the analysis
  const backend = await useBackend(args.backend, args.threads);
  const {modelDir, runDir} = locateModel(args.model);
  const outDir = args.out ?? join(runDir, 'analysis');
  const model = await loadLayersModel(fileSystem(modelDir));
  let test: CommandData;
  let batchSize: number;
  const timeSteps = modelTimeSteps(model) as number;
  try {
    test = await loadSplit(args, 'test', args.limitTest);
    const takesTrains = !isEncoder(model.layers[0]);
    if ((test.kind === 'events') !== takesTrains) {
      throw new Error(
        `--dataset ${args.dataset} holds ${test.kind === 'events' ? 'event recordings' : 'images'}, but the model ` +
          `in ${modelDir} ${takesTrains ? 'takes spike trains (it has no encoder)' : 'starts with an encoder of images'}` +
          ` (input [${model.inputs[0].shape.map(d => d ?? 'batch')}]); analyse it on ` +
          `${takesTrains ? 'an event' : 'an image'} dataset`
      );
    }
    const largest = largestBatch(model, backend, {
      subject: `the model in ${modelDir} (T ${timeSteps})`,
      advice: 'analyse it with --backend tensorflow or cpu',
    });
    if (args.batchSize != null && Math.min(args.batchSize, test.count) > largest) {
      checkBatchSize(model, backend, '--batch-size', args.batchSize, largest, timeSteps);
    }
    batchSize = Math.min(args.batchSize ?? 100, largest, test.count);
  } catch (e) {
    model.dispose();
    throw e;
  }
  out.write(
    `analysing ${modelDir} on ${test.count} ${args.dataset} test ${test.kind === 'events' ? 'recordings' : 'images'}, ${batchSize} at a time, ` +
      `backend ${backend}\n`
  );
  const {x, y} = test.tensors(timeSteps);
  try {
    // One run of the network serves the three analyses that need one.
    const chain = layerChain(model, 'analyze');
    const labels = classLabels('analyze', y, test.count, (model.outputs[0].shape as number[])[1]);
    const collectors = {
      accuracy: accuracyCollector(chain, model, y, test.count),
      rates: spikeRateCollector(chain, test.count),
      energy: energyCollector(chain, test.count),
    };
    runChain(chain, x, batchSize, (i, input, output) => {
      for (const collector of Object.values(collectors)) collector.visit(i, input, output);
    });
    const byTime = collectors.accuracy.result();
    out.write(`accuracy by time steps: ${byTime.accuracy.map(a => (100 * a).toFixed(2)).join(' ')} %\n`);
    const learnt = neuronParameters(model);
    out.write(`learnt neuron parameters: ${learntSummary(learnt)}\n`);
    const profiles = gammaProfile(model);
    const thresholds = [...new Set([...GAMMA_SWEEP, ...gammaBreakpoints(profiles), args.gammaThreshold])].sort(
      (a, b) => a - b
    );
    const report: AnalysisReport = {
      model: modelDir,
      dataset: args.dataset,
      testImages: test.count,
      backend,
      timeSteps: byTime.timeSteps.length,
      gammaProfile: profiles,
      neuronParameters: learnt,
      spikeRates: collectors.rates.result(),
      energy: collectors.energy.result(),
      accuracyByTimeSteps: byTime,
      gammaExit: gammaExitAt(model, args.gammaThreshold, byTime),
      gammaSweep: thresholds.map(threshold => gammaExitAt(model, threshold, byTime)),
      confidenceExit: confidenceExit(model, x, labels, args, batchSize),
      seconds: 0,
    };
    report.seconds = (Date.now() - started) / 1000;
    await writeAnalysis(outDir, report);
    out.write(`wrote ${join(outDir, 'analysis.html')}, analysis.json and the charts\n`);
    return report;
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

async function writeAnalysis(outDir: string, report: AnalysisReport): Promise<void> {
  mkdirSync(outDir, {recursive: true});
  const {gammaExit, confidenceExit: c} = report;
  const charts = {
    gamma: report.gammaProfile.length > 0 ? await svgOf(gammaChart(report.gammaProfile, gammaExit.threshold)) : null,
    rates: await svgOf(ratesChart(report.spikeRates)),
    accuracy: await svgOf(
      accuracyChart(report.accuracyByTimeSteps.accuracy, [
        {
          label: `gamma rule (threshold ${gammaExit.threshold})`,
          steps: gammaExit.exitStep,
          accuracy: gammaExit.accuracy,
        },
        {
          label: `confidence (margin ${c.threshold}, patience ${c.patience}), mean steps`,
          steps: c.meanSteps,
          accuracy: c.accuracy,
        },
      ])
    ),
  };
  writeFileSync(join(outDir, 'analysis.json'), JSON.stringify(report, null, 2));
  for (const [name, svg] of Object.entries(charts)) {
    if (svg != null) writeFileSync(join(outDir, `${name}.svg`), svg);
  }
  writeFileSync(join(outDir, 'analysis.html'), analysisHtml(report, charts));
}
