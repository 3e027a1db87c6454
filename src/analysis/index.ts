/**
 * What a trained spiking network does: BNTT scales per step, firing rates, estimated energy against
 * an ANN, accuracy against the number of time steps, the neurons' learnt parameters, and one example
 * traced step by step.
 * Guide: docs/analysis.md.
 *
 * @module
 */
export {accuracyByTimeSteps} from './accuracy_by_time_steps';
export type {AccuracyByTimeSteps} from './accuracy_by_time_steps';
export {energy} from './energy';
export type {EnergyOptions, EnergyReport, LayerEnergy} from './energy';
export {gammaProfile} from './gamma_profile';
export type {GammaProfile} from './gamma_profile';
export {neuronParameters} from './neuron_parameters';
export type {LayerNeuronParameters, NeuronParameterSummary, NeuronParametersOptions} from './neuron_parameters';
export {spikeRates} from './spike_rates';
export type {AnalysisOptions, LayerSpikeRate} from './spike_rates';
export {trace} from './trace';
export type {LayerTrace, Trace} from './trace';
