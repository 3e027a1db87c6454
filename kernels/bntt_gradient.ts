import {engine, GradConfig, NamedAttrMap, Tensor, zerosLike} from '@tensorflow/tfjs-core';

import {BNTT_TRAIN, BNTT_TRAIN_GRAD, BnttTrainGradAttrs} from './bntt_attrs';
import {isWritableGradient} from './writable_gradients';

/**
 * The gradient of the BNTT training forward is its backward kernel, fed with the
 * mean and variance the forward returned. Only y's gradient is propagated: the
 * mean and variance outputs feed the moving averages, which carry no gradient,
 * so their dys (null when unused) are ignored. Where nothing reads y's gradient
 * after this (a LIF layer's, kernels/writable_gradients.ts), the kernel may write
 * dx over it.
 */
export const bnttTrainGradientConfig: GradConfig = {
  kernelName: BNTT_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, gamma, mean, variance] = saved;
    const dy = (dys as Tensor[])[0] ?? zerosLike(x);
    const gradAttrs: BnttTrainGradAttrs = {...(attrs as unknown as BnttTrainGradAttrs)};
    if (isWritableGradient(dy, saved)) gradAttrs.dyWritable = true;
    // Run once, eagerly: the engine calls each input's closure in its own tidy.
    const [dx, dgamma, dbeta] = engine().runKernel(
      BNTT_TRAIN_GRAD,
      {dy, x, gamma, mean, variance},
      gradAttrs as unknown as NamedAttrMap
    ) as Tensor[];
    return {x: () => dx, gamma: () => dgamma, beta: () => dbeta};
  },
};
