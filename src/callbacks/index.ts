export {cosineDecay, CosineDecay} from './cosine_decay';
export type {CosineDecayArgs} from './cosine_decay';
export {stepDecay, StepDecay, StepDecayArgs} from './step_decay';
export {spikeRateMonitor, SpikeRateMonitor} from './spike_rate_monitor';
export type {SpikeRateMonitorArgs} from './spike_rate_monitor';
