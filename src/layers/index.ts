/**
 * Spiking layers for tf.layers models. Every layer but the encoders takes and
 * returns `[batch, time, ...features]`; the encoders add the time axis and
 * `timeAverage` removes it. Guide: docs/layers/README.md.
 *
 * @module
 */
export {Alif, alif} from './alif';
export type {AlifLayerArgs} from './alif';
export {Bntt, bntt, SpikingBatchNorm, spikingBatchNorm} from './bntt';
export type {BnttArgs, ExtraStepsPolicy, SpikingBatchNormArgs} from './bntt';
export {CubaLif, cubaLif} from './cuba_lif';
export type {CubaLifLayerArgs} from './cuba_lif';
export {DirectEncoder, directEncoder} from './direct_encoder';
export type {DirectEncoderArgs} from './direct_encoder';
export {EarlyExitWrapper, earlyExitWrapper} from './early_exit_wrapper';
export type {EarlyExitWrapperArgs, ExitPolicy} from './early_exit_wrapper';
export {IfNeuron, ifNeuron, Lif, lif, plif} from './lif';
export type {IfNeuronLayerArgs, LifLayerArgs, LifLayerOptions} from './lif';
export {Clip, clip, LEAK_RANGE, NON_NEGATIVE_RANGE, THRESHOLD_FLOOR, THRESHOLD_RANGE} from './constraints';
export type {ClipArgs, ParameterRange} from './constraints';
export type {NestedNumbers, ParameterValue} from './neuron_parameters';
export {Li, li} from './li';
export type {LiLayerArgs} from './li';
export {NeuronLayer} from './neuron_layer';
export type {NeuronLayerArgs} from './neuron_layer';
export {emitsSpikes, isEncoder, isNeuron, isNormalization, isReadout, isSynaptic, LAYER_ROLES, roleOf} from './roles';
export type {
  EncoderRole,
  LayerRole,
  NeuronRole,
  NeuronState,
  NeuronStep,
  NormalizationRole,
  ReadoutRole,
  RoleLayer,
  SynapticRole,
} from './roles';
export type {SpikingNeuronLayerArgs} from './parametric_neuron_layer';
export {PoissonEncoder, poissonEncoder} from './poisson_encoder';
export type {PoissonEncoderArgs} from './poisson_encoder';
export {RCubaLif, rCubaLif} from './r_cuba_lif';
export type {RCubaLifLayerArgs} from './r_cuba_lif';
export {RLif, rlif} from './rlif';
export type {RecurrentWeightArgs, RLifLayerArgs} from './rlif';
export {SpikingAvgPool2d, spikingAvgPool2d} from './spiking_avg_pool2d';
export type {SpikingAvgPool2dArgs} from './spiking_avg_pool2d';
export {SpikingConv2d, spikingConv2d} from './spiking_conv2d';
export type {PaddingMode, SpikingConv2dArgs} from './spiking_conv2d';
export {SpikingDense, spikingDense} from './spiking_dense';
export type {SpikingDenseArgs} from './spiking_dense';
export {SpikingFlatten, spikingFlatten} from './spiking_flatten';
export {TimeAverage, timeAverage} from './time_average';
export type {WeightArgs} from './weight_args';
export {Heaviside, heaviside} from './heaviside';
export type {HeavisideArgs} from './heaviside';
export {SpikingZeroPad2d, spikingZeroPad2d} from './spiking_zero_pad2d';
export type {SpikingZeroPad2dArgs} from './spiking_zero_pad2d';
export {StepAffine, stepAffine} from './step_affine';
export type {StepAffineArgs} from './step_affine';
