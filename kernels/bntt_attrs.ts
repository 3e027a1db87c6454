/**
 * The contract of the fused BNTT training kernels (cpu, wasm, webgl, webgpu): names,
 * attributes and how x is viewed.
 *
 * x is `[batch, time, ...spatial, channels]`; gamma, beta, mean and variance
 * are `[R, C]` with R = T (statistics per time step, Bntt) or R = 1 (one set
 * over all steps, SpikingBatchNorm). R is read from gamma's shape, so x is
 * viewed as `[outer, R, S, C]` with outer = B·T/R and S the spatial size, and
 * each (r, c) is normalised over its N = outer·S values.
 */

/**
 * Forward: inputs {x, gamma, beta} (ones / zeros when the layer has no scale / shift), attrs {epsilon};
 * outputs [y (shape of x), mean [R, C], variance [R, C] (biased)].
 */
export const BNTT_TRAIN = 'SnnBnttTrain';
/**
 * Backward through the batch statistics: inputs {dy, x, gamma, mean, variance} (mean and variance as the forward
 * kernel returned them), attrs {@link BnttTrainGradAttrs}; outputs [dx, dgamma [R, C], dbeta [R, C]].
 */
export const BNTT_TRAIN_GRAD = 'SnnBnttTrainGrad';

export interface BnttTrainAttrs {
  epsilon: number;
}

export interface BnttTrainGradAttrs extends BnttTrainAttrs {
  /**
   * True where nothing reads dy after the kernel (kernels/writable_gradients.ts decides): a kernel may then write dx
   * over dy and return it in dy's buffer (wasm does), instead of into a new one. Omitted: false.
   */
  dyWritable?: boolean;
}

/** x as [outer, rows, inner, channels]. */
export interface BnttDims {
  outer: number;
  rows: number;
  inner: number;
  channels: number;
}

export function bnttDims(xShape: readonly number[], paramShape: readonly number[]): BnttDims {
  const [steps, channels] = [xShape[1], xShape[xShape.length - 1]];
  const rows = paramShape[0];
  if (xShape.length < 3 || paramShape.length !== 2 || paramShape[1] !== channels || (rows !== steps && rows !== 1)) {
    throw new Error(
      `${BNTT_TRAIN}: expects x [batch, time, ...spatial, channels] and parameters [time or 1, ` +
        `channels]; got x [${xShape}] and parameters [${paramShape}]`
    );
  }
  const inner = xShape.slice(2, -1).reduce((n, d) => n * d, 1);
  return {outer: (xShape[0] * steps) / rows, rows, inner, channels};
}

/** bnttDims for a GPU kernel, which refuses an empty x (a program cannot run on it): names the kernel and backend. */
export function gpuBnttDims(
  kernelName: string,
  backendName: string,
  xShape: readonly number[],
  paramShape: readonly number[]
): BnttDims {
  const dims = bnttDims(xShape, paramShape);
  if (xShape.some(d => d === 0)) throw new Error(`${kernelName} on ${backendName}: x [${xShape}] is empty`);
  return dims;
}

/** The backward kernels' check that dy is shaped as x. */
export function checkDyShape(dyShape: readonly number[], xShape: readonly number[]): void {
  if (dyShape.length !== xShape.length || dyShape.some((d, i) => d !== xShape[i])) {
    throw new Error(`${BNTT_TRAIN_GRAD}: dy [${dyShape}] must have x's shape [${xShape}]`);
  }
}
