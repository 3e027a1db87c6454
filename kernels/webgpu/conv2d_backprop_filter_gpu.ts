/**
 * The WebGPU programs of Conv2DBackpropFilter (NHWC, dilations 1):
 *
 *   dW[i, j, c, o] = Σ_{n, p, q} x[n, sh·p + i − top, sw·q + j − left, c] · dy[n, p, q, o]
 *
 * tfjs-backend-webgpu 4.22's own program gives each filter element one invocation that loops over all
 * batch·outH·outW positions, reading one float of x and one of dy per product and testing both bounds at each.
 * Here (split-K, as the webgl kernel) the batch·outH dy rows are cut into chunks: FilterGradChunksProgram sums each
 * chunk into a partial dW, SumChunksProgram adds the partials up in chunk order. An invocation of the first
 * computes a block of up to 4 input channels × 4 output channels of one tap (4·4 products for 4 + 4 loads), and
 * works out per tap which dy columns read inside x, so its inner loop over a row has no bounds test. Channels past
 * the last of a partial block are read clamped to the last and not written.
 *
 * The sizes are uniforms, so new shapes reuse the compiled pipelines (tfjs keys them on `shaderKey`, which holds
 * the block's channel count, and the inputs' ranks and dtypes).
 */
import {backend_util} from '@tensorflow/tfjs-core';

import {ChunkPlan} from '../split_k';
import {FlatProgram, ProgramUniform} from './webgpu_backend';

/** Output channels per invocation (a vec4). */
const OUT_BLOCK = 4;
/** Input channels per invocation, at most. */
const MAX_IN_BLOCK = 4;

/** The uniforms of FilterGradChunksProgram, in the order {@link filterGradUniforms} gives their values. */
const FILTER_GRAD_UNIFORMS =
  'inHeight : i32, inWidth : i32, inChannels : i32, outHeight : i32, outWidth : i32, outChannels : i32, ' +
  'filterWidth : i32, taps : i32, strideHeight : i32, strideWidth : i32, padTop : i32, padLeft : i32, ' +
  'rows : i32, rowsPerChunk : i32, chunks : i32,';

export function filterGradUniforms(c: backend_util.Conv2DInfo, plan: ChunkPlan): ProgramUniform[] {
  const values = [
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.outHeight,
    c.outWidth,
    c.outChannels,
    c.filterWidth,
    c.filterHeight * c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.top,
    c.padInfo.left,
    c.batchSize * c.outHeight,
    plan.linesPerChunk,
    plan.chunks,
  ];
  return values.map(v => ({type: 'int32', data: [v]}));
}

/** Partial filter gradients, one per chunk of dy rows: [chunks, kh·kw·inChannels·outChannels]. Inputs {x, dy}. */
export class FilterGradChunksProgram extends FlatProgram {
  variableNames = ['x', 'dy'];
  shaderKey: string;
  uniforms = FILTER_GRAD_UNIFORMS;
  private readonly inBlock: number;

  constructor(c: backend_util.Conv2DInfo, plan: ChunkPlan) {
    const taps = c.filterHeight * c.filterWidth;
    const inBlock = Math.min(MAX_IN_BLOCK, c.inChannels);
    const blocks = taps * Math.ceil(c.inChannels / inBlock) * Math.ceil(c.outChannels / OUT_BLOCK);
    super([plan.chunks, taps * c.inChannels * c.outChannels], plan.chunks * blocks);
    this.inBlock = inBlock;
    this.shaderKey = `snnConv2DBackpropFilterChunks_${inBlock}`;
  }

  getUserCode(): string {
    const ks = Array.from({length: this.inBlock}, (_, k) => k);
    const os = Array.from({length: OUT_BLOCK}, (_, j) => j);
    const writes = ks
      .flatMap(k =>
        os.map(
          j => `if (c0 + ${k} < C && o0 + ${j} < O) { result[base + (c0 + ${k}) * O + o0 + ${j}] = sum${k}[${j}]; }`
        )
      )
      .join('\n        ');
    return `
      fn main(index : i32) {
        let C = uniforms.inChannels;
        let O = uniforms.outChannels;
        let oBlocks = (O + ${OUT_BLOCK - 1}) / ${OUT_BLOCK};
        let cBlocks = (C + ${this.inBlock - 1}) / ${this.inBlock};
        // index = ((chunk·taps + tap)·cBlocks + cBlock)·oBlocks + oBlock
        let oBlock = index % oBlocks;
        let rest = index / oBlocks;
        let cBlock = rest % cBlocks;
        let tapChunk = rest / cBlocks;
        let tap = tapChunk % uniforms.taps;
        let chunk = tapChunk / uniforms.taps;
        if (chunk >= uniforms.chunks) { return; }
        let c0 = cBlock * ${this.inBlock};
        let o0 = oBlock * ${OUT_BLOCK};
        ${ks.map(k => `let xc${k} = min(c0 + ${k}, C - 1);`).join('\n        ')}
        ${os.map(j => `let dyo${j} = min(o0 + ${j}, O - 1);`).join('\n        ')}
        let wR = tap / uniforms.filterWidth;
        let wC = tap - wR * uniforms.filterWidth;
        let sw = uniforms.strideWidth;
        // x column = sw·q + colOffset; the dy columns q in [first, last] read a column inside x.
        let colOffset = wC - uniforms.padLeft;
        let first = select(0, (sw - 1 - colOffset) / sw, colOffset < 0);
        let lastRead = uniforms.inWidth - 1 - colOffset;
        let last = select(min(uniforms.outWidth - 1, lastRead / sw), -1, lastRead < 0);
        let xStep = sw * C;
        let rowBegin = chunk * uniforms.rowsPerChunk;
        let rowEnd = min(rowBegin + uniforms.rowsPerChunk, uniforms.rows);
        ${ks.map(k => `var sum${k} = vec4<f32>(0.0);`).join('\n        ')}
        for (var r = rowBegin; r < rowEnd; r++) {
          let b = r / uniforms.outHeight;
          let p = r - b * uniforms.outHeight;
          let xRow = p * uniforms.strideHeight + wR - uniforms.padTop;
          if (xRow < 0 || xRow >= uniforms.inHeight) { continue; }
          var xi = ((b * uniforms.inHeight + xRow) * uniforms.inWidth + sw * first + colOffset) * C;
          var di = (r * uniforms.outWidth + first) * O;
          for (var q = first; q <= last; q++) {
            let g = vec4<f32>(${os.map(j => `dy[di + dyo${j}]`).join(', ')});
            ${ks.map(k => `sum${k} += x[xi + xc${k}] * g;`).join('\n            ')}
            xi += xStep;
            di += O;
          }
        }
        let base = chunk * uniforms.taps * C * O + tap * C * O;
        ${writes}
      }`;
  }
}

/** The sum of the partials [chunks, filterSize], in chunk order: [filterSize]. Input {partials}. */
export class SumChunksProgram extends FlatProgram {
  variableNames = ['partials'];
  shaderKey = 'snnSumChunks';
  uniforms = 'chunks : i32, filterSize : i32,';

  constructor(filterSize: number) {
    super([filterSize], filterSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.filterSize) { return; }
        var sum = 0.0;
        for (var s = 0; s < uniforms.chunks; s++) { sum += partials[s * uniforms.filterSize + index]; }
        result[index] = sum;
      }`;
  }
}

export function sumChunksUniforms(chunks: number, filterSize: number): ProgramUniform[] {
  return [
    {type: 'int32', data: [chunks]},
    {type: 'int32', data: [filterSize]},
  ];
}
