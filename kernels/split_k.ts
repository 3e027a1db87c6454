/**
 * Split-K reductions on the GPU backends: where each output is a sum over many values and there
 * are too few outputs to keep the GPU busy, the values (whole lines of them) are cut into chunks,
 * one thread sums each chunk into a partial, and the partials are then added up in chunk order (a
 * fixed order: results do not depend on scheduling). Used by Conv2DBackpropFilter on webgl and
 * webgpu and by the webgl BNTT kernels.
 */
import {backend_util} from '@tensorflow/tfjs-core';

/** `chunks` chunks of `linesPerChunk` lines (the last may be shorter). */
export interface ChunkPlan {
  chunks: number;
  linesPerChunk: number;
}

/** A chunk sums at least this many values, so that adding the partials up stays cheap. */
const MIN_VALUES_PER_CHUNK = 256;
/** At most this many partial sums (floats) in all: enough threads, bounded memory. */
const MAX_PARTIAL_ELEMENTS = 1 << 20;

/** Cuts `lines` lines of `valuesPerLine` values, each chunk writing `partialsPerChunk` partial sums. */
export function splitLines(lines: number, valuesPerLine: number, partialsPerChunk: number): ChunkPlan {
  const byMemory = Math.floor(MAX_PARTIAL_ELEMENTS / partialsPerChunk);
  const byLength = Math.floor((lines * valuesPerLine) / MIN_VALUES_PER_CHUNK);
  const wanted = Math.max(1, Math.min(byMemory, byLength, lines));
  const linesPerChunk = Math.ceil(lines / wanted);
  return {chunks: Math.ceil(lines / linesPerChunk), linesPerChunk};
}

/**
 * Conv2DBackpropFilter's plan on webgl and webgpu: the batch·outH dy rows as lines of outW positions, each chunk
 * writing a partial filter gradient.
 */
export function filterGradChunkPlan(c: backend_util.Conv2DInfo): ChunkPlan {
  const filterSize = c.filterHeight * c.filterWidth * c.inChannels * c.outChannels;
  return splitLines(c.batchSize * c.outHeight, c.outWidth, filterSize);
}
