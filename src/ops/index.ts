/**
 * The leaky integrate-and-fire op over a whole spike train (`lif`, and `lifWithState` for
 * streaming), with surrogate gradients, and its options. Guide: docs/lif.md.
 *
 * @module
 */
export {lif, lifWithState} from './lif';
export type {LifResult} from './lif';
export {LIF_DEFAULTS} from './lif_options';
export type {LifImplementation, LifOptions, ResetMode, SurrogateFunction, SurrogateName} from './lif_options';
export {FUSED_LIF_BACKENDS, SURROGATE_DEFAULT_ALPHA} from '../../kernels/lif_attrs';
export {ifNeuron, ifNeuronWithState} from './if_neuron';
export type {IfNeuronOptions} from './if_neuron';
export {spike} from './spike';
export type {SpikeOptions} from './spike';
