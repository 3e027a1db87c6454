import {all, equal, greaterEqual, logicalAnd, round, Tensor, tidy} from '@tensorflow/tfjs-core';
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {
  absSumPerStep,
  addInto,
  ChainLayer,
  checkBatchSize,
  checkImages,
  collect,
  Collector,
  layerChain,
} from './model_chain';
import {emitsSpikes, isEncoder, isSynaptic} from '../layers/roles';
import {AnalysisOptions} from './spike_rates';

/** The options of `energy`: the energy per operation, and the batch size. */
export interface EnergyOptions extends AnalysisOptions {
  /** Energy of one 32-bit float multiply-accumulate, pJ. Default 4.6 (45 nm CMOS, Horowitz 2014). */
  eMAC?: number;
  /** Energy of one 32-bit float accumulate, pJ. Default 0.9. */
  eAC?: number;
}

/** One synaptic layer (spikingConv2d, spikingDense), per example. */
export interface LayerEnergy {
  layer: string;
  /** Multiply-accumulates of one pass of the same layer in an ANN. */
  annMACs: number;
  /** Mean |input| per input neuron and step (the spike rate; fractional after average pooling). */
  inputRate: number;
  /** True when no spiking layer comes before it: its input is analog and its operations are MACs. */
  analogInput: boolean;
  /** The SNN's operations over T steps: MACs (analog input) or accumulates (spikes). */
  snnOps: number;
  annEnergy: number;
  snnEnergy: number;
}

/** What `energy` returns: per-example energy of the SNN and of the same network as an ANN, in pJ. */
export interface EnergyReport {
  layers: LayerEnergy[];
  timeSteps: number;
  /** pJ per example. */
  annEnergy: number;
  snnEnergy: number;
  /** annEnergy / snnEnergy: how many times less the SNN spends. */
  ratio: number;
  eMAC: number;
  eAC: number;
}

function checkEnergy(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`energy: option '${name}' must be a positive number of picojoules; got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Estimated energy of one inference of `model` on the images `x` against the same architecture run
 * as an ANN, counting only the synaptic operations of the conv and dense layers, as the SNN
 * literature does:
 *
 * - ANN: `MACs_l = outputs_l · fanIn_l` per layer (one pass), energy `Σ MACs_l · eMAC`.
 * - SNN over T steps: a layer whose input is spikes performs one accumulate per input spike and
 *   synapse, `ACs_l = inputRate_l · MACs_l · T`, energy `· eAC`; a layer before any spiking layer
 *   (direct, analog input) performs `MACs_l · T` multiply-accumulates, energy `· eMAC`. A model with no
 *   encoder takes spike trains: its input counts as spikes when every value is a whole number ≥ 0 (spikes or
 *   event counts: n events, n accumulates), else as analog.
 *
 * Neuron updates, normalisation and pooling are not counted. Returned per example, in pJ.
 *
 * Page: docs/analysis.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});   // a trained model, in practice
 * const images = tf.randomUniform([4, 28, 28, 1]);
 * const e = snn.analysis.energy(model, images);
 * console.log(`the SNN uses ${e.ratio.toFixed(1)}× less energy than the ANN`);
 * ```
 */
export function energy(model: LayersModel, x: Tensor, options: EnergyOptions = {}): EnergyReport {
  const fn = 'energy';
  const chain = layerChain(model, fn);
  const images = checkImages(fn, x, model);
  const batchSize = checkBatchSize(fn, options.batchSize ?? 64);
  return collect(chain, images, batchSize, energyCollector(chain, images.shape[0], options));
}

/** Whether every value of `x` is a whole number >= 0: spikes, or event counts. */
function isCountTrain(x: Tensor): boolean {
  return tidy(() => all(logicalAnd(equal(x, round(x)), greaterEqual(x, 0))).dataSync()[0] === 1);
}

/** Input activity and operation counts of the synaptic layers over a run of `examples` examples. */
export function energyCollector(
  chain: ChainLayer[],
  examples: number,
  options: EnergyOptions = {}
): Collector<EnergyReport> {
  const fn = 'energy';
  const eMAC = checkEnergy('eMAC', options.eMAC ?? 4.6);
  const eAC = checkEnergy('eAC', options.eAC ?? 0.9);
  if (!chain.some(isSynaptic)) {
    throw new Error(
      `${fn}: the model has no synaptic layer (spikingConv2d, spikingDense: snnRole 'synaptic') to count operations of`
    );
  }
  const firstSpiking = chain.findIndex(emitsSpikes);
  // A model without an encoder: is its input a spike train (whole numbers >= 0) in every batch seen?
  let spikeInput = !isEncoder(chain[0]);
  const inputSums = new Map<number, Float64Array>();
  const shapes = new Map<number, {inputsPerStep: number; macsPerStep: number; steps: number}>();
  const visit = (i: number, input: Tensor, output: Tensor) => {
    const layer = chain[i];
    if (i === 0 && spikeInput) spikeInput = isCountTrain(input);
    if (!isSynaptic(layer)) return;
    inputSums.set(i, addInto(inputSums.get(i) ?? null, absSumPerStep(input)));
    if (shapes.has(i)) return;
    const fanIn = layer.fanIn();
    const [batch, steps] = output.shape;
    shapes.set(i, {
      inputsPerStep: input.size / (batch * steps),
      macsPerStep: (output.size / (batch * steps)) * fanIn,
      steps,
    });
  };
  const result = (): EnergyReport => {
    const layers: LayerEnergy[] = [...shapes.entries()].map(([i, s]) => {
      const inputRate = inputSums.get(i)!.reduce((a, b) => a + b, 0) / (examples * s.steps * s.inputsPerStep);
      const analogInput = (firstSpiking < 0 || i < firstSpiking) && !spikeInput;
      const snnOps = analogInput ? s.macsPerStep * s.steps : inputRate * s.macsPerStep * s.steps;
      return {
        layer: chain[i].name,
        annMACs: s.macsPerStep,
        inputRate,
        analogInput,
        snnOps,
        annEnergy: s.macsPerStep * eMAC,
        snnEnergy: snnOps * (analogInput ? eMAC : eAC),
      };
    });
    const annEnergy = layers.reduce((a, l) => a + l.annEnergy, 0);
    const snnEnergy = layers.reduce((a, l) => a + l.snnEnergy, 0);
    return {
      layers,
      timeSteps: [...shapes.values()][0].steps,
      annEnergy,
      snnEnergy,
      ratio: annEnergy / snnEnergy,
      eMAC,
      eAC,
    };
  };
  return {visit, result};
}
