import {clone, KernelFunc, scalar, stack, Tensor, tidy, unstack, zerosLike} from '@tensorflow/tfjs-core';

import {LifCompositeAttrs} from '../lif_attrs';
import {lifStep} from './lif_step';

/**
 * Forward LIF from core ops, for backends without a fused kernel. Returns
 * [spikes, finalMembrane]. Each step runs in its own tidy so only the spikes
 * and the current membrane stay alive.
 */
export const lifComposite: KernelFunc = ({inputs, attrs}) => {
  const {currents, initialMembrane} = inputs as {currents: Tensor, initialMembrane: Tensor};
  const {leak, threshold, resetMode} = attrs as unknown as LifCompositeAttrs;
  return tidy(() => {
    if (currents.shape[1] === 0) return [zerosLike(currents), clone(initialMembrane)];
    const leakScalar = scalar(leak);
    const thresholdScalar = scalar(threshold);
    const spikes: Tensor[] = [];
    let membrane = initialMembrane;
    for (const current of unstack(currents, 1)) {
      const previous = membrane;
      const [spike, next] = tidy(() => {
        const step = lifStep(previous, current, leakScalar, thresholdScalar, resetMode);
        return [step.spike, step.next];
      });
      if (previous !== initialMembrane) previous.dispose();
      current.dispose();
      spikes.push(spike);
      membrane = next;
    }
    return [stack(spikes, 1), membrane];
  }) as Tensor[];
};
