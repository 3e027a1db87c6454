import type {Tensor} from '@tensorflow/tfjs-core';
import type {LayersModel} from '@tensorflow/tfjs-layers';

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
import {emitsSpikes} from '../layers/roles';

/** One spiking layer's firing rate on the analysed examples. */
export interface LayerSpikeRate {
  layer: string;
  /** Spikes per neuron per step, over all examples, neurons and steps. */
  rate: number;
  /** The same per time step t = 0 … T−1. */
  perStep: number[];
  /** Neurons per example and step. */
  neurons: number;
}

/** The options of the analyses that run the model on images. */
export interface AnalysisOptions {
  /** Examples run at a time. Default 64. */
  batchSize?: number;
}

/**
 * The firing rate of every spike-emitting layer (every spiking neuron layer, `poissonEncoder`) of `model` on the images
 * `x`, in inference mode: the mean |spike| per neuron and step, overall and per step.
 *
 * Page: docs/analysis.md.
 *
 * @example
 * ```js
 * const model = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});   // a trained model, in practice
 * const images = tf.randomUniform([4, 28, 28, 1]);
 * for (const r of snn.analysis.spikeRates(model, images)) console.log(r.layer, r.rate.toFixed(3));
 * ```
 */
export function spikeRates(model: LayersModel, x: Tensor, options: AnalysisOptions = {}): LayerSpikeRate[] {
  const fn = 'spikeRates';
  const chain = layerChain(model, fn);
  const images = checkImages(fn, x, model);
  return collect(
    chain,
    images,
    checkBatchSize(fn, options.batchSize ?? 64),
    spikeRateCollector(chain, images.shape[0])
  );
}

/** Spike counts per spiking layer and step over a run of `examples` examples. */
export function spikeRateCollector(chain: ChainLayer[], examples: number): Collector<LayerSpikeRate[]> {
  const totals = new Map<number, Float64Array>();
  const neurons = new Map<number, number>();
  return {
    visit(i, _input, output) {
      if (!emitsSpikes(chain[i])) return;
      totals.set(i, addInto(totals.get(i) ?? null, absSumPerStep(output)));
      neurons.set(i, output.size / (output.shape[0] * output.shape[1]!));
    },
    result() {
      return [...totals.entries()].map(([i, perStepSums]) => {
        const perNeuron = neurons.get(i)!;
        const perStep = Array.from(perStepSums, s => s / (examples * perNeuron));
        return {
          layer: chain[i].name,
          rate: perStep.reduce((a, b) => a + b, 0) / perStep.length,
          perStep,
          neurons: perNeuron,
        };
      });
    },
  };
}
