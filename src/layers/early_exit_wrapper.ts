import {
  add,
  concat,
  div,
  dispose,
  keep,
  reshape,
  scalar,
  serialization,
  slice,
  softmax,
  sub,
  Tensor,
  tensor2d,
  tidy,
  topk,
} from '@tensorflow/tfjs-core';
import {layers, LayersModel, LayerVariable, Shape} from '@tensorflow/tfjs-layers';

import {gammaProfile} from '../analysis/gamma_profile';
import {ChainLayer, checkBatchSize, checkImages, layerChain, modelTimeSteps} from '../analysis/model_chain';
import {describeValue, optionNames} from '../errors';
import {argError, layerArgs, numberIn, oneOfArg, onlyTensor, OwnArgs, positiveInteger} from './layer_utils';
import {isEncoder, isNeuron, isNormalization, isReadout, NeuronState, roleOf} from './roles';
import type {LayerArgs} from './spiking_layer';

const POLICIES = ['gamma', 'confidence'] as const;
/** How `earlyExitWrapper` chooses the steps to run: `'gamma'` (the BNTT scales) or `'confidence'` (per input). */
export type ExitPolicy = (typeof POLICIES)[number];

/** The options of `earlyExitWrapper`: the trained model and the exit rule. */
export interface EarlyExitWrapperArgs extends LayerArgs {
  /**
   * A trained spiking model: one chain of layers to `timeAverage`, from an encoder (e.g. snn.models.small) or
   * taking spike trains `[batch, T, ...]` itself (event frames; T from its input shape, or from each input).
   */
  layer: LayersModel;
  /**
   * `'gamma'` (default): one exit step for every input, read off the BNTT scales (the paper's rule);
   * `'confidence'`: per input, stop once the prediction is confident (beyond the paper).
   */
  policy?: ExitPolicy;
  /** gamma: steps whose mean BNTT scale is below this in every BNTT layer (to the end) are skipped. Default 0.1. */
  gammaThreshold?: number;
  /** confidence: the softmax margin (top probability − second) that counts as confident. Default 0.5. */
  confidenceThreshold?: number;
  /** confidence: consecutive confident steps needed to exit. Default 2. */
  patience?: number;
}

const OWN_ARGS = optionNames<OwnArgs<EarlyExitWrapperArgs>>({
  layer: true,
  policy: true,
  gammaThreshold: true,
  confidenceThreshold: true,
  patience: true,
});

/** The wrapped model's input shape, unless given: so the wrapper can be a model's first layer as it is. */
function withInputShapeOf(args: EarlyExitWrapperArgs): EarlyExitWrapperArgs {
  const inner = (args?.layer as {inputs?: Array<{shape: Array<number | null>}>} | undefined)?.inputs?.[0];
  if (inner == null || args.inputShape != null || args.batchInputShape != null) return args;
  return {...args, batchInputShape: inner.shape};
}

/** Slices steps `first … first + count − 1` of a `[batch, time, ...]` tensor. */
function stepsOf(x: Tensor, first: number, count: number): Tensor {
  return slice(
    x,
    x.shape.map((_, axis) => (axis === 1 ? first : 0)),
    x.shape.map((d, axis) => (axis === 1 ? count : d))
  );
}

/**
 * Runs a trained spiking model for fewer time steps: the temporal early exit of the BNTT paper, and a
 * per-input confidence exit. `[batch, ...features] → [batch, classes]` logits, like the wrapped model.
 *
 * - `policy: 'gamma'`: the wrapped model runs `exitStep()` steps, the fewest after which the mean
 *   scale of every BNTT layer stays below `gammaThreshold` to the last step (all T if it never does).
 * - `policy: 'confidence'`: runs step by step; an input exits once the softmax margin of its running
 *   logits (mean readout so far) exceeds `confidenceThreshold` for `patience` steps in a row, and the
 *   run stops when every input of the batch has exited. `lastExitSteps` holds each input's exit step.
 *
 * The computation really is shorter: the layers after the encoder see only the steps that run. It is
 * registered and saved with the model (the wrapped model's layers and weights inside it).
 *
 * ```js
 * const fast = snn.layers.earlyExitWrapper({layer: trained, policy: 'gamma', gammaThreshold: 0.2});
 * const model = tf.sequential({layers: [fast]});
 * console.log(fast.exitStep(), 'of', trained.layers[0].timeSteps, 'steps');
 * const logits = model.predict(images);
 * ```
 */
export class EarlyExitWrapper extends layers.Layer {
  static className = 'SnnEarlyExitWrapper';
  readonly layer: LayersModel;
  readonly policy: ExitPolicy;
  readonly gammaThreshold: number;
  readonly confidenceThreshold: number;
  readonly patience: number;
  /** The exit step (1 … T) of each input of the last call (model.predict calls once per batch of 32). */
  lastExitSteps: number[] = [];
  private readonly chain: ChainLayer[];
  /** The first layer that runs per step: 1 after an encoder, 0 for a model that takes spike trains. */
  private readonly firstStepped: number;

  constructor(args: EarlyExitWrapperArgs) {
    const name = 'earlyExitWrapper';
    super(withInputShapeOf(layerArgs(name, args, OWN_ARGS)));
    if (args?.layer == null || !Array.isArray((args.layer as {layers?: unknown}).layers)) {
      throw argError(name, 'layer', args?.layer, 'a trained spiking tf.LayersModel (e.g. from snn.models.small)');
    }
    this.layer = args.layer;
    this.chain = layerChain(this.layer, name);
    this.firstStepped = isEncoder(this.chain[0]) ? 1 : 0;
    this.checkChain(name);
    this.policy = oneOfArg(name, 'policy', args.policy ?? 'gamma', POLICIES);
    this.gammaThreshold = numberIn(name, 'gammaThreshold', args.gammaThreshold ?? 0.1, 'a finite number', () => true);
    this.confidenceThreshold = numberIn(
      name,
      'confidenceThreshold',
      args.confidenceThreshold ?? 0.5,
      'a number in [0, 1]',
      x => x >= 0 && x <= 1
    );
    this.patience = positiveInteger(name, 'patience', args.patience ?? 2);
    if (this.policy === 'confidence') this.checkStreamable(name);
  }

  private checkChain(name: string): void {
    const first = this.chain[0];
    const last = this.chain[this.chain.length - 1];
    if (this.chain.length < 2 || !isReadout(last)) {
      throw new Error(
        `${name}: argument 'layer' must be a spiking model ending with timeAverage (the readout), from an ` +
          `encoder (directEncoder, poissonEncoder) or taking spike trains [batch, T, ...]; its layers run from ` +
          `${describeValue(first?.getClassName())} to ${describeValue(last?.getClassName())}`
      );
    }
    const inputShape = (this.layer.inputs?.[0]?.shape ?? []) as Array<number | null>;
    if (this.firstStepped === 0 && (inputShape.length < 3 || roleOf(first) == null)) {
      throw new Error(
        `${name}: argument 'layer' has no encoder, so it must take spike trains [batch, T, ...features] (input ` +
          `rank >= 3) into a layer with an snnRole; its input shape is [${inputShape.map(d => d ?? 'null')}] and ` +
          `its first layer '${first.name}' (${first.getClassName()}) has ${roleOf(first) == null ? 'no role' : 'a role'}`
      );
    }
  }

  /** Streaming step by step (the confidence policy) needs to know how each layer treats time. */
  private checkStreamable(name: string): void {
    for (const layer of this.chain.slice(this.firstStepped, -1)) {
      if (roleOf(layer) == null || isEncoder(layer) || isReadout(layer)) {
        throw new Error(
          `${name}: argument 'layer' has layer '${layer.name}' (${layer.getClassName()}), which declares no ` +
            `role the early exit can stream (snnRole: 'synaptic', 'normalization', 'neuron' or 'stepwise'; ` +
            `see snn.layers.NeuronLayer for neurons of your own)`
        );
      }
    }
  }

  /**
   * T: the steps the wrapped model's encoder produces, or the time axis of its input shape for a model that takes
   * spike trains (null when that axis is left open: T is then each input's).
   */
  get timeSteps(): number | null {
    return modelTimeSteps(this.layer);
  }

  /**
   * The steps the gamma policy runs: the smallest t such that at every step from t + 1 to T the mean BNTT
   * scale of every BNTT layer is below `gammaThreshold` (T when there is none, at least 1). `timeSteps`: T, for a
   * model whose input leaves the time axis open (default: the `timeSteps` getter).
   */
  exitStep(timeSteps: number | null = this.timeSteps): number {
    if (timeSteps == null || !Number.isInteger(timeSteps) || timeSteps < 1) {
      throw new Error(
        `earlyExitWrapper.exitStep: argument 'timeSteps' must be an integer >= 1 (the wrapped model takes spike ` +
          `trains of any length, so T is the input's); got ${describeValue(timeSteps)}`
      );
    }
    const profiles = gammaProfile(this.layer);
    let steps = timeSteps;
    while (steps > 1 && profiles.length > 0 && profiles.every(p => p.mean[steps - 1] < this.gammaThreshold)) {
      steps--;
    }
    return steps;
  }

  get trainableWeights(): LayerVariable[] {
    return this.layer.trainableWeights;
  }

  get nonTrainableWeights(): LayerVariable[] {
    return this.layer.nonTrainableWeights;
  }

  getWeights(): Tensor[] {
    return this.layer.getWeights();
  }

  setWeights(weights: Tensor[]): void {
    this.layer.setWeights(weights);
  }

  build(): void {
    this.built = true;
  }

  computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const batch = (Array.isArray(inputShape[0]) ? inputShape[0] : (inputShape as Shape))[0];
    return [batch, ...(this.layer.outputs[0].shape as Shape).slice(1)];
  }

  call(inputs: Tensor | Tensor[]): Tensor {
    const x = onlyTensor(`${this.getClassName()} '${this.name}'`, inputs);
    if (this.policy === 'confidence') return this.runConfident(x);
    const steps = this.exitStep(this.timeSteps ?? (x.shape[1] as number));
    this.lastExitSteps = new Array(x.shape[0]).fill(steps);
    return tidy(() => {
      const train = this.firstStepped === 1 ? (this.chain[0].apply(x) as Tensor) : x;
      let h = stepsOf(train, 0, steps);
      for (const layer of this.chain.slice(this.firstStepped)) h = layer.apply(h, {training: false}) as Tensor;
      return h;
    });
  }

  /**
   * Logits and the exit step of every input of `x`, run `batchSize` inputs at a time (default 32).
   *
   * ```js
   * const {logits, exitSteps} = wrapper.predictWithExits(testImages);
   * console.log('mean steps', exitSteps.reduce((a, b) => a + b) / exitSteps.length);
   * ```
   */
  predictWithExits(x: Tensor, options: {batchSize?: number} = {}): {logits: Tensor; exitSteps: number[]} {
    const fn = 'earlyExitWrapper.predictWithExits';
    // Checked before anything runs: a bad input would otherwise fail deep in the model (or not at all).
    const images = checkImages(fn, x, this.layer, "the wrapped model's");
    const batchSize = checkBatchSize(fn, (options ?? {}).batchSize ?? 32);
    const parts: Tensor[] = [];
    const exitSteps: number[] = [];
    try {
      for (let start = 0; start < images.shape[0]; start += batchSize) {
        const size = Math.min(batchSize, images.shape[0] - start);
        parts.push(tidy(() => this.apply(slice(images, start, size)) as Tensor));
        exitSteps.push(...this.lastExitSteps);
      }
    } catch (error) {
      dispose(parts);
      throw error;
    }
    const logits = parts.length === 1 ? parts[0] : concat(parts, 0);
    if (parts.length > 1) dispose(parts);
    return {logits, exitSteps};
  }

  /** One step t of every layer but the encoder and the readout; each neuron layer's state carried in `states`. */
  private step(input: Tensor, t: number, states: Map<number, NeuronState>): Tensor {
    let h = input;
    for (let i = this.firstStepped; i < this.chain.length - 1; i++) {
      const layer = this.chain[i];
      if (isNeuron(layer)) {
        const {output, state} = layer.runFrom(h, states.get(i) ?? null);
        dispose(states.get(i) ?? []);
        states.set(
          i,
          state.map(s => keep(s))
        );
        h = output;
      } else {
        h = layer.apply(h, isNormalization(layer) ? {training: false, firstStep: t} : {training: false}) as Tensor;
      }
    }
    return h;
  }

  private runConfident(x: Tensor): Tensor {
    const [batch, steps] = [x.shape[0], this.timeSteps ?? (x.shape[1] as number)];
    // A model that takes spike trains streams its input as it is (not disposed here: it is the caller's).
    const encoded = this.firstStepped === 1 ? tidy(() => this.chain[0].apply(x) as Tensor) : x;
    const states = new Map<number, NeuronState>();
    const exitSteps = new Array<number>(batch).fill(0);
    const streaks = new Array<number>(batch).fill(0);
    let readoutSum: Tensor | null = null;
    let exitLogits: Float32Array | null = null;
    let classes = 0;
    try {
      for (let t = 0; t < steps && exitSteps.includes(0); t++) {
        const previous: Tensor | null = readoutSum;
        readoutSum = tidy(() => {
          const readout = this.step(stepsOf(encoded, t, 1), t, states);
          return keep(add(previous ?? scalar(0), reshape(readout, [batch, -1])));
        });
        dispose(previous as Tensor);
        const [logits, margins] = tidy(() => {
          const mean = div(readoutSum!, t + 1);
          const top = topk(softmax(mean), 2).values;
          const margin = sub(slice(top, [0, 0], [-1, 1]), slice(top, [0, 1], [-1, 1]));
          return [mean.dataSync() as Float32Array, margin.dataSync()];
        });
        classes = logits.length / batch;
        exitLogits ??= new Float32Array(batch * classes);
        for (let b = 0; b < batch; b++) {
          if (exitSteps[b] !== 0) continue;
          streaks[b] = margins[b] > this.confidenceThreshold ? streaks[b] + 1 : 0;
          if (streaks[b] >= this.patience || t === steps - 1) {
            exitSteps[b] = t + 1;
            exitLogits.set(logits.subarray(b * classes, (b + 1) * classes), b * classes);
          }
        }
      }
    } finally {
      // Also when a layer fails part way (e.g. an input the wrapped model does not take, given to apply).
      dispose([...(encoded === x ? [] : [encoded]), readoutSum as Tensor, ...[...states.values()].flat()]);
    }
    this.lastExitSteps = exitSteps;
    return tensor2d(exitLogits!, [batch, classes]);
  }

  getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      layer: {className: this.layer.getClassName(), config: this.layer.getConfig()} as serialization.ConfigDictValue,
      policy: this.policy,
      gammaThreshold: this.gammaThreshold,
      confidenceThreshold: this.confidenceThreshold,
      patience: this.patience,
    };
  }

  static fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>,
    config: serialization.ConfigDict,
    customObjects: serialization.ConfigDict = {}
  ): T {
    const inner = config['layer'] as {className: string; config: serialization.ConfigDict};
    const entry = serialization.SerializationMap.getMap().classNameMap[inner?.className];
    if (entry == null) {
      throw new Error(`earlyExitWrapper: cannot rebuild the wrapped model of class ${describeValue(inner?.className)}`);
    }
    const [innerCls, fromConfig] = entry;
    const layer = (fromConfig as (...a: unknown[]) => unknown)(
      innerCls,
      inner.config,
      customObjects,
      false
    ) as LayersModel;
    return new cls({...config, layer} as never);
  }
}
serialization.registerClass(EarlyExitWrapper);

/**
 * A trained spiking model run for fewer time steps ({@link EarlyExitWrapper}): the BNTT paper's
 * temporal early exit (`policy: 'gamma'`) or a per-input confidence exit. The wrapped model must
 * be one chain from an encoder to `timeAverage`. Page: docs/layers/early_exit_wrapper.md.
 *
 * @example
 * ```js
 * const trained = snn.models.small({inputShape: [28, 28, 1], numClasses: 10});  // after model.fit
 * const fast = snn.layers.earlyExitWrapper({layer: trained, policy: 'gamma', gammaThreshold: 0.2});
 * console.log(fast.exitStep(), 'of 6 steps');
 * const logits = tf.sequential({layers: [fast]}).predict(tf.zeros([2, 28, 28, 1]));   // [2, 10]
 * ```
 */
export function earlyExitWrapper(args: EarlyExitWrapperArgs): EarlyExitWrapper {
  return new EarlyExitWrapper(args);
}
