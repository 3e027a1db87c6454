/** What scripts/bench-train.mjs asks one Node process to measure, and the JSON lines it gets back. */
import type {NeuronKind} from '../../src/models/neurons';

/** One network of bench/train/cases.json. */
export interface TrainCase {
  model: 'small' | 'vgg9';
  /** snn.models' neuron option (default 'lif'); a case with one has no PyTorch twin. */
  neuron?: NeuronKind;
  inputShape: [number, number, number];
  numClasses: number;
  timeSteps: number;
  batch: number;
}

export interface OptimizerConfig {
  lr: number;
  momentum: number;
  /** PyTorch SGD weight_decay; the tfjs models get it as their weightDecay option (an L2 loss term). */
  weightDecay: number;
}

export interface RunSpec {
  /** The key of the case in cases.json ('small', 'vgg9'). */
  name: string;
  case: TrainCase;
  /**
   * webgpu: only under scripts/dawn-preload.mjs (npm run bench:gpu). wasm-threads: the wasm backend started by
   * snn.useThreadedWasm, on all the machine's cores.
   */
  backend: 'cpu' | 'wasm' | 'wasm-threads' | 'webgpu';
  optimizer: OptimizerConfig;
  /** At most this many timed steps of each kind; the result is their median. */
  trainSteps: number;
  predictSteps: number;
  /** No further timed steps once the timed ones took this long (at least one always runs). */
  budgetMs: number;
  /** Run an untimed prediction and an untimed training step before the timed ones. */
  warmup: boolean;
  /** Also run one training step under tf.profile and report the kernels that took longest. */
  profile: boolean;
}

/** One timed measurement: `train` = model.trainOnBatch, `predict` = model.predict (inference mode). */
export interface TimingLine {
  type: 'timing';
  side: 'tfjs';
  name: string;
  backend: string;
  mode: 'train' | 'predict';
  batch: number;
  timeSteps: number;
  stepsMs: number[];
  /** Median of stepsMs. */
  msPerStep: number;
  imagesPerSecond: number;
  /** The untimed first step, when one ran. */
  warmupMs?: number;
}

export interface ModelLine {
  type: 'model';
  side: 'tfjs';
  name: string;
  backend: string;
  trainableParams: number;
  /** Moving statistics of the BNTT layers. */
  nonTrainableParams: number;
  buildMs: number;
}

/** The last line of a process that finished. */
export interface EndLine {
  type: 'end';
  side: 'tfjs';
  name: string;
  backend: string;
  /** Loss of the last training step (random labels: only checks that training ran). */
  finalLoss: number;
  /** Tensors alive after the runs beyond the model's, the batch's and the optimizer's (should be 0). */
  leakedTensors: number;
}

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

export interface ProfileLine {
  type: 'profile';
  side: 'tfjs';
  name: string;
  backend: string;
  /** Wall time of the profiled step; profiling adds its own overhead. */
  stepMs: number;
  /** Sum of kernelTimeMs over every kernel of the step. */
  kernelMs: number;
  /**
   * kernelTimeMs of the SNN part of a step: tfjs-snn's own kernels (named `Snn…`: LIF and BNTT, forward and
   * backward) and the encoder's (encoderKernelMs).
   */
  snnKernelMs: number;
  /** kernelTimeMs of the encoder layers' forward on the batch, profiled on their own (part of snnKernelMs). */
  encoderKernelMs?: number;
  /** The SNN share (snnKernelMs / stepMs) of each profiled step; the line reports the step with the median share. */
  snnShares?: number[];
  /** tf.profile's peakBytes: the most tensor memory held at once during the step. */
  peakBytes: number;
  /** wasm: the most bytes of tensor buffers allocated during a step and alive at once (see wasmPeakBytes). */
  peakBufferBytes?: number;
  /** wasm: the heap's size after the steps (it never shrinks: the process's high-water mark). */
  heapBytes?: number;
  top: KernelTime[];
}

/**
 * The inputs of the network's Conv2D calls (one untimed step of a mode; not the gradients' inner convolutions): how many of their
 * values are non-zero, weighted by each conv's multiply-adds. tfjs-snn's wasm Conv2D visits only non-zeros when
 * they are few (kernels/wasm/conv2d.ts), so its speed depends on this activity; PyTorch's does not.
 */
export interface ActivityLine {
  type: 'activity';
  side: 'tfjs';
  name: string;
  backend: string;
  mode: 'train' | 'predict';
  /** Σ non-zero share × multiply-adds / Σ multiply-adds over the step's Conv2D calls. */
  nonZeroShare: number;
  convCalls: number;
  /** Of those, the calls that took the sparse path (wasm). */
  sparseCalls: number;
  /** Sparse-path convolutions run inside gradient kernels (the filter gradient of a spiking input). */
  sparseGradientCalls: number;
  /** Filter gradients that ran their own program over the input's non-zeros (wasm). */
  sparseFilterGradCalls?: number;
  /** On wasm: the non-zero shares up to which a Conv2D takes the sparse path (kernels/wasm/conv2d.ts). */
  sparseLimits?: {binary: number; valued: number};
  /** On wasm, one thread: the lower limits where Winograd takes the convolution (kernels/wasm/winograd.ts). */
  winogradLimits?: {binary: number; valued: number};
  /** Convolutions and filter gradients that ran as Winograd F(4×4, 3×3) (wasm). */
  winogradCalls?: number;
}

/** Printed when a mode starts, so that the parent can bound the step time of a process it ends. */
export interface PhaseLine {
  type: 'phase';
  side: 'tfjs';
  name: string;
  backend: string;
  mode: 'train' | 'predict';
}

/** The runtime, printed first. */
export interface InfoLine {
  type: 'info';
  side: 'tfjs';
  backend: string;
  tfjs: string;
  wasmSimd?: boolean;
  /** What tfjs-backend-wasm detects (false in Node); wasmThreadCount says what the backend runs. */
  wasmThreads?: boolean;
  /** XNNPACK's threads in the wasm backend: 1, or wasm-threads' count. */
  wasmThreadCount?: number;
}

export type OutputLine = InfoLine | TimingLine | ModelLine | ProfileLine | ActivityLine | PhaseLine | EndLine;
