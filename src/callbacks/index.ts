/**
 * Callbacks for `model.fit`: the learning-rate schedules `stepDecay` (the BNTT reference's) and
 * `cosineDecay`, and `spikeRateMonitor` (firing rates in the fit logs). Guide: docs/callbacks.md.
 *
 * @module
 */
export {cosineDecay, CosineDecay} from './cosine_decay';
export type {CosineDecayArgs} from './cosine_decay';
export {stepDecay, StepDecay, StepDecayArgs} from './step_decay';
export {spikeRateMonitor, SpikeRateMonitor} from './spike_rate_monitor';
export type {SpikeRateMonitorArgs} from './spike_rate_monitor';
