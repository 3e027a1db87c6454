import {add, cast, greater, KernelFunc, logicalNot, mul, neg, reshape, Tensor, tidy} from '@tensorflow/tfjs-core';

import {LifCompositeAttrs} from '../lif_attrs';
import {lifDims} from '../lif_dims';
import {scanSteps} from './lif_step';
import {surrogateTensor} from './surrogates';
import {stepsOf, trainOf} from './time_major';

/** BPTT from core ops; the same recurrence as the fused kernels (see cpu/lif_grad.ts). */
export const lifGradComposite: KernelFunc = ({inputs, attrs}) => {
  const {dSpikes, dMembrane, currents, initialMembrane} = inputs as {[name: string]: Tensor};
  const lifAttrs = attrs as unknown as LifCompositeAttrs;
  const {leak, threshold, resetMode, detachReset} = lifAttrs;
  const resetGrad = !detachReset && resetMode !== 'none';
  const {batch, features} = lifDims(currents.shape);
  const state = [batch, features];
  return tidy(() => {
    // The membrane trace U_1..U_T (before reset), recomputed from the currents.
    const {kept: trace, membrane} = scanSteps(
      currents,
      reshape(initialMembrane, state),
      leak,
      threshold,
      resetMode,
      'u'
    );
    membrane.dispose();
    const spikeGrads = stepsOf(dSpikes);
    const currentGrads: Tensor[] = new Array(trace.length);
    const finalGrad = reshape(dMembrane, state);
    let adjoint = finalGrad;
    for (let t = trace.length - 1; t >= 0; t--) {
      const previous = adjoint;
      const [bt, next] = tidy(() => {
        const u = trace[t];
        const slope = surrogateTensor(u, lifAttrs);
        let dVdU: Tensor | number = 1;
        if (resetMode === 'zero') dVdU = cast(logicalNot(greater(u, threshold)), 'float32');
        let dVdS: Tensor | number = 0;
        if (resetGrad) dVdS = resetMode === 'subtract' ? -threshold : neg(u);
        const direct = add(dVdU, mul(dVdS, slope));
        const b = add(mul(spikeGrads[t], slope), mul(previous, direct));
        return [b, mul(b, leak)];
      });
      if (previous !== finalGrad) previous.dispose();
      trace[t].dispose();
      spikeGrads[t].dispose();
      currentGrads[t] = bt;
      adjoint = next;
    }
    return [trainOf(currentGrads, currents.shape), reshape(adjoint, initialMembrane.shape)];
  }) as Tensor[];
};
