/**
 * The contract shared by every LIF kernel: kernel names, attributes and the
 * scalar surrogate formulas the CPU kernel uses.
 */
import type {Tensor} from '@tensorflow/tfjs-core';

/**
 * Fused forward kernel: inputs `{currents [B, T, ...F], initialMembrane [B, ...F], leak [N], threshold [N]}`
 * (N = prod F: the op broadcasts each parameter to F and flattens it), attrs {@link LifAttrs}, outputs
 * `[spikes [B, T, ...F], finalMembrane [B, ...F]]`, and on webgl a third, the membrane trace, which the gradient
 * saves and passes to the BPTT kernel as the input `trace` (kernels/lif_gradient.ts).
 */
export const LIF = 'SnnLif';
/**
 * Fused BPTT kernel: inputs `{dSpikes, dMembrane, currents, initialMembrane, leak, threshold}` (and `trace` where
 * the forward kernel returned one), attrs as the
 * forward's, outputs `[dCurrents, dInitialMembrane, dLeak [N], dThreshold [N]]`, the parameter gradients summed
 * over batch and time. Equations: docs/lif.md.
 */
export const LIF_GRAD = 'SnnLifGrad';
/** The same two kernels built from core ops; registered on demand for any backend. */
export const LIF_COMPOSITE = 'SnnLifComposite';
export const LIF_COMPOSITE_GRAD = 'SnnLifCompositeGrad';

/**
 * The backends with fused LIF kernels (forward and BPTT; register.ts registers both for each). Every other backend
 * runs the core-op composite. README.md, docs/lif.md and the errors quote this list (test/node/docs_agree_spec).
 */
export const FUSED_LIF_BACKENDS = Object.freeze(['cpu', 'webgl', 'wasm', 'webgpu'] as const);

export const RESET_MODES = ['subtract', 'zero', 'none'] as const;
/** After a spike: `'subtract'` the threshold (default), reset to `'zero'`, or `'none'`. */
export type ResetMode = (typeof RESET_MODES)[number];

export const SURROGATE_NAMES = ['triangle', 'fastSigmoid', 'sigmoid', 'arctan'] as const;
/** The built-in surrogate derivatives of the spike (their default `alpha`: `SURROGATE_DEFAULT_ALPHA`). */
export type SurrogateName = (typeof SURROGATE_NAMES)[number];

/** Default sharpness `alpha` of each built-in surrogate. */
export const SURROGATE_DEFAULT_ALPHA: Readonly<Record<SurrogateName, number>> = {
  triangle: 0.3, // BNTT reference (LinearSpike.gamma)
  fastSigmoid: 25, // snnTorch fast_sigmoid slope
  sigmoid: 4, // SpikingJelly Sigmoid alpha
  arctan: 2, // SpikingJelly / snnTorch ATan alpha
};

/**
 * A user-defined surrogate: given the membrane potential U (before reset) and
 * the threshold, returns dS/dU elementwise. Runs on the composite path only.
 */
// Declared as a method so that a function typed (membrane, threshold: number) still fits (method parameters are
// bivariant): the threshold is a number unless the neuron's threshold is a tensor (learnable or per channel).
export type SurrogateFunction = {
  /** dS/dU at `membrane` (one step's U) for `threshold` (a number, or a tensor broadcasting to U). */
  surrogate(membrane: Tensor, threshold: number | Tensor): Tensor;
}['surrogate'];

/** The attributes of every LIF kernel (leak and threshold are inputs: one value per feature). */
export interface LifAttrs {
  resetMode: ResetMode;
  detachReset: boolean;
  surrogate: SurrogateName;
  alpha: number;
  /** The value a 'zero' reset sets the membrane to. */
  vReset: number;
  /**
   * false where the caller never uses the leak and threshold gradients (ops.lif given both as numbers: tensors
   * made inside the op, which no gradient can reach); the BPTT kernels may then return zeros for them and skip their
   * sums. Omitted: true.
   */
  parameterGradients?: boolean;
  /**
   * True where the caller made initialMembrane with zeros and reads none of its gradient (ops.lif without
   * `initialMembrane`): a kernel may take V_{−1} = 0 without reading it, and leave dInitialMembrane unwritten.
   * Omitted: false.
   */
  initialAtRest?: boolean;
  /**
   * True where the caller disposes finalMembrane unread (ops.lif, a layer that keeps no state), so that its
   * gradient is zeros: a kernel may leave finalMembrane unwritten and take dMembrane as zeros without reading it.
   * Omitted: false.
   */
  finalMembraneUnused?: boolean;
}

/** Whether a BPTT kernel with these attributes must compute the leak and threshold gradients. */
export function needsParameterGradients(attrs: LifAttrs): boolean {
  return attrs.parameterGradients !== false;
}

/** The inputs of a forward LIF kernel, by name. */
export const LIF_INPUTS = ['currents', 'initialMembrane', 'leak', 'threshold'] as const;

/** Attributes of the composite kernels, which also accept a surrogate function. */
export interface LifCompositeAttrs extends LifAttrs {
  surrogateFn: SurrogateFunction | null;
  /** The threshold when the op was given a number (a user's surrogate then gets that number), else null. */
  scalarThreshold: number | null;
}

/** dS/dU of each built-in surrogate as a scalar function of the membrane U, the threshold θ and alpha. */
export const SURROGATE_SCALARS: Readonly<
  Record<SurrogateName, (u: number, threshold: number, alpha: number) => number>
> = {
  triangle: (u, threshold, alpha) => (alpha * Math.max(0, 1 - Math.abs(u / threshold - 1))) / threshold,
  fastSigmoid: (u, threshold, alpha) => 1 / (1 + alpha * Math.abs(u - threshold)) ** 2,
  sigmoid: (u, threshold, alpha) => {
    const sig = 1 / (1 + Math.exp(-alpha * (u - threshold)));
    return alpha * sig * (1 - sig);
  },
  arctan: (u, threshold, alpha) => alpha / 2 / (1 + ((Math.PI / 2) * alpha * (u - threshold)) ** 2),
};
