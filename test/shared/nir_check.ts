/** NIR conformance: a model loaded from a fixture against tools/reference/nir_reference.py's float64 outputs. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import {relativeMaxError} from '../reference/lif_reference';

/** What nir_reference.py writes for one file (NIR layouts: inputs [batch, time, C, H, W]). */
export interface NirReference {
  file: string;
  dt: number;
  inputShape: number[];
  outputShape: number[];
  inputOnes: number[];
  output: number[];
}

/** The reference's input spikes as our tensor: [batch, time, ...] with 3-D maps channels-last. */
export function referenceInput(ref: NirReference): tf.Tensor {
  const values = new Float32Array(ref.inputShape.reduce((a, b) => a * b, 1));
  for (const i of ref.inputOnes) values[i] = 1;
  return tf.tidy(() => {
    const x = tf.tensor(values, ref.inputShape);
    return ref.inputShape.length === 5 ? tf.transpose(x, [0, 1, 3, 4, 2]) : x;
  });
}

export interface NirErrors {
  /** Output elements whose spike differs (spiking outputs), or null for an analog output. */
  spikeMismatches: number | null;
  /** max |Δ| / max |reference| (analog outputs), 0 for spikes. */
  relativeError: number;
  spikes: number;
}

/** Runs `model` on the reference input and compares its output; leaves no tensors. */
export function compareWithReference(model: tfl.LayersModel, ref: NirReference): NirErrors {
  const x = referenceInput(ref);
  const y = model.predict(x) as tf.Tensor;
  const got = y.dataSync();
  tf.dispose([x, y]);
  expect(got.length).toBe(ref.output.length);
  const isSpikes = ref.output.every(v => v === 0 || v === 1);
  if (isSpikes) {
    let mismatches = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== ref.output[i]) mismatches++;
    return {spikeMismatches: mismatches, relativeError: 0, spikes: ref.output.filter(v => v === 1).length};
  }
  return {spikeMismatches: null, relativeError: relativeMaxError(got, ref.output), spikes: 0};
}
