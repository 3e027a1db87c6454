import * as tfl from '@tensorflow/tfjs-layers';
import type {Shape} from '@tensorflow/tfjs-layers';

import {bntt, spikingBatchNorm} from '../layers/bntt';
import {directEncoder} from '../layers/direct_encoder';
import {poissonEncoder} from '../layers/poisson_encoder';
import {spikingAvgPool2d} from '../layers/spiking_avg_pool2d';
import {spikingConv2d} from '../layers/spiking_conv2d';
import {spikingDense} from '../layers/spiking_dense';
import {spikingFlatten} from '../layers/spiking_flatten';
import {timeAverage} from '../layers/time_average';
import {weightDecay} from '../regularizers/weight_decay';
import {EncoderKind, ResolvedModelOptions} from './model_options';
import {neuronLayer} from './neurons';

/** The layer that makes the spike train, per `encoder` option; `'none'`: the model takes spike trains itself. */
const ENCODER_LAYERS: Record<EncoderKind, (o: ResolvedModelOptions) => tfl.layers.Layer | null> = {
  poisson: o => poissonEncoder({name: 'encoder', timeSteps: o.timeSteps, inputShape: o.inputShape, seed: o.seed}),
  direct: o => directEncoder({name: 'encoder', timeSteps: o.timeSteps, inputShape: o.inputShape}),
  none: () => null,
};

/** What a model is made of, in order: convs (with 'pool' marks), hidden dense layers. */
export type ConvPlan = Array<number | 'pool' | {globalPool: true}>;

/**
 * Builds the BNTT reference's network shape from a plan: encoder (none for `encoder: 'none'`: the first layer then
 * takes the spike train), then per
 * conv `spikingConv2d(3×3, no bias) → normalization → lif`, average pooling on
 * spikes where the plan says, flatten, hidden `spikingDense → normalization →
 * lif` blocks, and the `spikingDense → timeAverage` readout. Weights use
 * xavier-uniform with gain 2, as the reference does.
 */
export function buildSnn(name: string, o: ResolvedModelOptions, convs: ConvPlan, hidden: number[]): tfl.Sequential {
  const decay = o.weightDecay > 0 ? weightDecay(o.weightDecay) : undefined;
  let seedCounter = 0;
  // xavier_uniform_(gain=2): U(±gain·sqrt(6/(fanIn+fanOut))) = varianceScaling with scale gain² = 4, fanAvg.
  const xavierGain2 = () =>
    tfl.initializers.varianceScaling({
      scale: 4,
      mode: 'fanAvg',
      distribution: 'uniform',
      seed: o.seed == null ? undefined : o.seed + ++seedCounter,
    });
  const model = tfl.sequential({name});
  try {
    addLayers(model, o, convs, hidden, decay, xavierGain2);
  } catch (error) {
    model.dispose(); // the weights of the layers built before the one that failed
    throw error;
  }
  return model;
}

function addLayers(
  model: tfl.Sequential,
  o: ResolvedModelOptions,
  convs: ConvPlan,
  hidden: number[],
  decay: ReturnType<typeof weightDecay> | undefined,
  xavierGain2: () => ReturnType<typeof tfl.initializers.varianceScaling>
): void {
  // Named like the reference's modules (conv1, bntt1, pool1, fc1, ...), so reports and logs read alike.
  const count: {[kind: string]: number} = {};
  const next = (kind: string) => `${kind}${(count[kind] = (count[kind] ?? 0) + 1)}`;
  const norm = () =>
    o.normalization === 'bntt'
      ? [bntt({name: next('bntt'), gammaRegularizer: decay})]
      : o.normalization === 'batchnorm'
        ? [spikingBatchNorm({name: next('bn'), gammaRegularizer: decay})]
        : [];
  // Named by kind (lif1, plif1, if1, …), as the reference names its modules.
  const neurons = () => neuronLayer(o.neuron, {name: next(o.neuron), leak: o.leak, threshold: o.threshold});
  const encoder = ENCODER_LAYERS[o.encoder](o);
  if (encoder != null) model.add(encoder);
  // Without an encoder the first layer takes the spike train [batch, T, ...inputShape] itself.
  let input: {inputShape?: Shape} = encoder == null ? {inputShape: [o.timeSteps, ...o.inputShape]} : {};
  const first = () => {
    const args = input;
    input = {};
    return args;
  };
  let [height, width] = o.inputShape;
  for (const step of convs) {
    if (step === 'pool') {
      model.add(spikingAvgPool2d({name: next('pool'), poolSize: 2, ...first()}));
      [height, width] = [Math.floor(height / 2), Math.floor(width / 2)];
    } else if (typeof step === 'object') {
      model.add(spikingAvgPool2d({name: next('pool'), poolSize: [height, width], ...first()})); // AdaptiveAvgPool2d((1, 1))
      [height, width] = [1, 1];
    } else {
      model.add(
        spikingConv2d({
          name: next('conv'),
          filters: step,
          kernelSize: 3,
          kernelInitializer: xavierGain2(),
          kernelRegularizer: decay,
          ...first(),
        })
      );
      for (const layer of [...norm(), neurons()]) model.add(layer);
    }
  }
  model.add(spikingFlatten({name: 'flatten', ...first()}));
  for (const units of hidden) {
    model.add(spikingDense({name: next('fc'), units, kernelInitializer: xavierGain2(), kernelRegularizer: decay}));
    for (const layer of [...norm(), neurons()]) model.add(layer);
  }
  model.add(
    spikingDense({name: next('fc'), units: o.numClasses, kernelInitializer: xavierGain2(), kernelRegularizer: decay})
  );
  model.add(timeAverage({name: 'readout'}));
}
