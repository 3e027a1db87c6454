/**
 * How many images the commands run at a time: the layer outputs of one batch (its input and every layer's output,
 * all T steps, float32) must fit in a limit per backend, checked before anything is allocated.
 */
import * as tfl from '@tensorflow/tfjs-layers';

const MiB = 2 ** 20;

/**
 * The most bytes of layer outputs one batch may take: 512 MiB on wasm (its heap is at most 4 GiB, and a training
 * step takes 4–6× its layer outputs there: gradients, optimizer state, temporaries); 16 GiB on cpu and tensorflow
 * (as much as one typed array holds, and more than most machines have).
 */
export function batchByteLimit(backend: string): number {
  return backend === 'wasm' ? 512 * MiB : 16 * 1024 * MiB;
}

/** float32 values of one image's input and layer outputs (all T steps). */
export function valuesPerImage(model: tfl.LayersModel): number {
  const shapes = [...model.inputs.map(input => input.shape), ...model.layers.map(layer => layer.outputShape)];
  const size = (shape: unknown) => (shape as Array<number | null>).slice(1).reduce((n: number, d) => n * (d ?? 1), 1);
  return shapes.reduce((n: number, shape) => n + size(shape), 0);
}

const mib = (bytes: number) => {
  const value = bytes / MiB;
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
};

/**
 * The largest batch whose layer outputs fit `backend`'s limit. Throws when not even one image fits, naming
 * `timeSteps.subject` (e.g. '--time-steps 20000') and ending with `timeSteps.advice`.
 */
export function largestBatch(
  model: tfl.LayersModel,
  backend: string,
  timeSteps: {subject: string; advice: string}
): number {
  const perImage = 4 * valuesPerImage(model);
  const limit = batchByteLimit(backend);
  if (perImage > limit) {
    throw new Error(
      `${timeSteps.subject}: one image's layer outputs take ${mib(perImage)} MiB, more than the ` +
        `${mib(limit)} MiB a batch may take on the ${backend} backend; ${timeSteps.advice}`
    );
  }
  return Math.floor(limit / perImage);
}

/** Throws, naming `flag` and the largest batch size that fits, when `batchSize` images do not fit. */
export function checkBatchSize(
  model: tfl.LayersModel,
  backend: string,
  flag: string,
  batchSize: number,
  largest: number,
  timeSteps: number
): void {
  if (batchSize <= largest) return;
  const perImage = 4 * valuesPerImage(model);
  throw new Error(
    `${flag} ${batchSize}: a batch's layer outputs would take ${mib(batchSize * perImage)} MiB ` +
      `(${mib(perImage)} MiB per image at T ${timeSteps}), more than the ` +
      `${mib(batchByteLimit(backend))} MiB allowed on the ${backend} backend; the largest batch size ` +
      `that fits is ${largest}`
  );
}
