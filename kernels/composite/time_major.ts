import {reshape, stack, Tensor, tidy, transpose, unstack} from '@tensorflow/tfjs-core';

import {lifDims} from '../lif_dims';

/**
 * The T steps of a `[batch, time, ...features]` train, each `[batch, features]`.
 * The train is made time-major first: cpu and wasm slice a non-leading axis
 * element by element, which costs several times more than one transpose.
 */
export function stepsOf(train: Tensor): Tensor[] {
  const {batch, time, features} = lifDims(train.shape);
  return tidy(() => unstack(transpose(reshape(train, [batch, time, features]), [1, 0, 2])));
}

/** The inverse of `stepsOf`: stacks `[batch, features]` steps into a train of `shape`. */
export function trainOf(steps: Tensor[], shape: number[]): Tensor {
  return tidy(() => reshape(transpose(stack(steps), [1, 0, 2]), shape));
}
