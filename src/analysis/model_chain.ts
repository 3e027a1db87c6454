/** The analysis functions' view of a model: its layers as one chain, run layer by layer on batches. */
import {abs, slice, sum, Tensor, tidy} from '@tensorflow/tfjs-core';
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {describeValue} from '../errors';
import {isEncoder, isReadout} from '../layers/roles';

/** The part of a tfjs-layers Layer the analyses use. */
export interface ChainLayer {
  name: string;
  getClassName(): string;
  apply(inputs: Tensor, kwargs?: {[key: string]: unknown}): Tensor | Tensor[];
  getWeights(): Tensor[];
  weights: Array<{originalName: string; read(): Tensor}>;
}

interface ModelLike {
  layers?: unknown;
  inputs?: unknown;
}

/**
 * The layers of `model` in order, when it is one chain: a Sequential, or a functional model
 * whose layers each take the previous one's output. Input layers are left out.
 */
export function layerChain(model: LayersModel, fn: string): ChainLayer[] {
  const layers = (model as ModelLike | null)?.layers;
  if (!Array.isArray(layers)) {
    throw new Error(
      `${fn}: argument 'model' must be a tf.LayersModel (e.g. from snn.models.small or ` +
        `tf.loadLayersModel); got ${describeValue(model)}`
    );
  }
  const chain = layers.filter(l => l.getClassName() !== 'InputLayer') as ChainLayer[];
  for (let i = 1; i < chain.length; i++) {
    const inbound = (chain[i] as unknown as {inboundNodes: Array<{inboundLayers: unknown[]}>}).inboundNodes;
    const fromPrevious =
      inbound.length === 1 && inbound[0].inboundLayers.length === 1 && inbound[0].inboundLayers[0] === chain[i - 1];
    if (!fromPrevious) {
      throw new Error(
        `${fn}: the model must be one chain of layers (a Sequential model, or a functional ` +
          `model without branches); layer '${chain[i].name}' does not take only the output of ` +
          `'${chain[i - 1].name}'`
      );
    }
  }
  return chain;
}

/**
 * A spiking model's T: its encoder's steps, or, for a model that takes spike trains (no encoder), the time axis
 * of its input shape (null when that axis is left open: T is then each input's).
 */
export function modelTimeSteps(model: LayersModel): number | null {
  const first = model.layers.find(l => l.getClassName() !== 'InputLayer');
  if (isEncoder(first)) return first.timeSteps;
  return (model.inputs[0].shape[1] as number | null) ?? null;
}

/** Throws unless the chain ends with a readout (timeAverage: the readout averaged over time). */
export function checkEndsWithTimeAverage(chain: ChainLayer[], fn: string): void {
  const last = chain[chain.length - 1];
  if (!isReadout(last)) {
    throw new Error(
      `${fn}: the model must end with a timeAverage layer (the readout averaged over time); its ` +
        `last layer '${last.name}' is a ${last.getClassName()}`
    );
  }
}

export function checkBatchSize(fn: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${fn}: option 'batchSize' must be an integer >= 1; got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks that `x` is a batch of the model's inputs: float32, `[batch >= 1, ...the model's input shape]`.
 * `whose` names the model in the message (the wrapped model, for earlyExitWrapper).
 */
export function checkImages(fn: string, x: unknown, model: LayersModel, whose = "the model's"): Tensor {
  const inputShape = (model.inputs?.[0]?.shape ?? []) as Array<number | null>;
  const ok =
    x instanceof Tensor &&
    x.dtype === 'float32' &&
    x.rank === inputShape.length &&
    x.shape[0] >= 1 &&
    inputShape.every((d, i) => i === 0 || d == null || d === (x as Tensor).shape[i]);
  if (!ok) {
    const shape = `[batch, ${inputShape.slice(1).join(', ')}]`;
    throw new Error(
      `${fn}: argument 'x' must be a float32 tensor of shape ${shape} (${whose} input, batch >= 1); ` +
        `got ${describeValue(x)}`
    );
  }
  return x as Tensor;
}

/**
 * The class index of every example from labels `y`: class indices `[examples]` (int32 or float32 integers in
 * [0, classes − 1]) or one-hot rows `[examples, classes]` (one 1, zeros elsewhere). Anything else throws,
 * naming the first bad value and where it is: a wrong label would otherwise give a normal-looking accuracy.
 */
export function classLabels(fn: string, y: unknown, examples: number, classes: number): Int32Array {
  const expected = `class indices [${examples}] or one-hot labels [${examples}, ${classes}]`;
  if (
    !(y instanceof Tensor) ||
    (y.dtype !== 'int32' && y.dtype !== 'float32') ||
    y.rank < 1 ||
    y.rank > 2 ||
    y.shape[0] !== examples ||
    (y.rank === 2 && y.shape[1] !== classes)
  ) {
    throw new Error(`${fn}: argument 'y' must be ${expected}; got ${describeValue(y)}`);
  }
  const values = y.dataSync() as Float32Array | Int32Array;
  const labels = new Int32Array(examples);
  if (y.rank === 1) {
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= classes) {
        throw new Error(
          `${fn}: argument 'y' must hold class indices: integers in [0, ${classes - 1}] (the model's ` +
            `${classes} classes); got ${v} at index ${i}`
        );
      }
      labels[i] = v;
    });
    return labels;
  }
  for (let i = 0; i < examples; i++) {
    const row = values.subarray(i * classes, (i + 1) * classes);
    const one = row.indexOf(1);
    if (one < 0 || !row.every((v, c) => v === (c === one ? 1 : 0))) {
      throw new Error(
        `${fn}: argument 'y' must hold one-hot rows: one 1 and 0 elsewhere in each row of the ` +
          `model's ${classes} classes; got [${Array.from(row).join(',')}] at row ${i}`
      );
    }
    labels[i] = one;
  }
  return labels;
}

/** What one analysis gathers from a run of the chain: a visit per layer and batch, then its result. */
export interface Collector<R> {
  visit(index: number, input: Tensor, output: Tensor): void;
  result(): R;
}

/**
 * Runs the chain in inference mode on `x` in batches, calling `visit(index, input, output)` for every
 * layer; the visitor reads what it needs (everything is disposed after each batch). One run can serve
 * several collectors (tfjs-snn analyze).
 */
export function runChain(
  chain: ChainLayer[],
  x: Tensor,
  batchSize: number,
  visit: (index: number, input: Tensor, output: Tensor) => void
): void {
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const size = Math.min(batchSize, x.shape[0] - start);
    tidy(() => {
      let h = slice(x, start, size);
      chain.forEach((layer, i) => {
        const out = layer.apply(h, {training: false}) as Tensor;
        visit(i, h, out);
        h = out;
      });
    });
  }
}

/**
 * Σ|x| over every axis but time (axis 1) of a `[batch, time, ...]` tensor, per step (|x|: a Poisson
 * encoder's spikes carry the input's sign).
 */
export function absSumPerStep(t: Tensor): Float64Array {
  const axes = Array.from({length: t.rank}, (_, axis) => axis).filter(axis => axis !== 1);
  return Float64Array.from(tidy(() => sum(abs(t), axes)).dataSync());
}

export function addInto(total: Float64Array | null, values: Float64Array): Float64Array {
  if (total == null) return values;
  values.forEach((v, i) => (total[i] += v));
  return total;
}

/** Runs the chain once for one collector and returns its result. */
export function collect<R>(chain: ChainLayer[], x: Tensor, batchSize: number, collector: Collector<R>): R {
  runChain(chain, x, batchSize, (i, input, output) => collector.visit(i, input, output));
  return collector.result();
}
