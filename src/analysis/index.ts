export {accuracyByTimeSteps} from './accuracy_by_time_steps';
export type {AccuracyByTimeSteps} from './accuracy_by_time_steps';
export {energy} from './energy';
export type {EnergyOptions, EnergyReport, LayerEnergy} from './energy';
export {gammaProfile} from './gamma_profile';
export type {GammaProfile} from './gamma_profile';
export {spikeRates} from './spike_rates';
export type {AnalysisOptions, LayerSpikeRate} from './spike_rates';
