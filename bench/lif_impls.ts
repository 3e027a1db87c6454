/** The LIF implementations the bench compares, as functions currents → spikes. */
import type * as tf from '@tensorflow/tfjs-core';

import {ops} from '../src/index';
import {naiveLif} from './naive_lif';
import type {ImplId} from './types';

export type LifFn = (currents: tf.Tensor) => tf.Tensor;

export const IMPL_LABELS: Record<ImplId, string> = {
  fused: 'tfjs-snn fused kernel',
  composite: 'tfjs-snn composite',
  auto: "tfjs-snn 'auto'",
  naive: 'naive per-step ops',
};

export function lifFor(impl: ImplId): LifFn {
  switch (impl) {
    case 'fused':
      return x => ops.lif(x, {implementation: 'kernel'});
    case 'composite':
      return x => ops.lif(x, {implementation: 'composite'});
    case 'auto':
      return x => ops.lif(x);
    case 'naive':
      return x => naiveLif(x);
    default:
      throw new Error(`unknown implementation '${impl}'`);
  }
}
