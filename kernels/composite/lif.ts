import {KernelFunc, reshape, Tensor, tidy} from '@tensorflow/tfjs-core';

import {LifCompositeAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {scanSteps} from './lif_step';
import {trainOf} from './time_major';

/**
 * Forward LIF from core ops, for backends without a fused kernel. Returns
 * [spikes, finalMembrane]. Steps run on [batch, features] views (rank 2, which
 * every backend's ops support) with the per-feature leak and threshold ([features]) broadcast along the batch,
 * each in its own tidy so only the spikes and the current membrane stay alive.
 */
export const lifComposite: KernelFunc = ({inputs, attrs}) => {
  const {currents, initialMembrane, leak, threshold} = inputs as {[name: string]: Tensor};
  const {resetMode, vReset} = attrs as unknown as LifCompositeAttrs;
  const {batch, features} = lifDims(currents.shape);
  return tidy(() => {
    const initial = reshape(initialMembrane, [batch, features]);
    const params = {leak, threshold, vReset, mode: resetMode};
    const {kept: spikes, membrane} = scanSteps(currents, initial, params, 'spike');
    return [trainOf(spikes, currents.shape), reshape(membrane, initialMembrane.shape)];
  }) as Tensor[];
};
