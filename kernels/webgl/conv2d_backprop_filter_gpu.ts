/**
 * The WebGL programs of Conv2DBackpropFilter (NHWC, dilations 1):
 *
 *   dW[i, j, c, o] = Σ_{n, p, q} x[n, sh·p + i − top, sw·q + j − left, c] · dy[n, p, q, o]
 *
 * tfjs-backend-webgl's own program gives each filter element one thread that loops over
 * all batch·outH·outW positions, reading one float of x and one of dy per product. Here
 * (split-K) the dy rows (n, p) are cut into chunks: FilterGradChunksProgram sums each
 * chunk into a partial dW, SumChunksProgram adds the partials up. Both are packed: a
 * thread computes a 2×2 block (channels c, c + 1 × o, o + 1) of one tap, and one dy texel
 * holds two neighbouring positions (q, q + 1) × (o, o + 1), so a pair of positions costs
 * one dy and two x fetches (one at stride 1) for 8 products, instead of 16 fetches.
 * Chunks are whole dy rows, so only the row index needs a division.
 */
import {backend_util} from '@tensorflow/tfjs-core';

import {ChunkPlan} from '../split_k';
import {WebGLProgram} from './webgl_backend';

/**
 * GLSL adding one dy row's products to `sum`, dy columns q in [first, last] (x column
 * stride·q + colOffset). dy texels hold column pairs (q, q + 1) with q even, x texels column
 * pairs (2k, 2k + 1) × channels (c, c + 1).
 */
function addRowGlsl(stride: number): string {
  if (stride === 1) {
    // x columns q + colOffset: both of a pair are in one x texel when colOffset is even; when it is
    // odd they straddle two, and the right one is the next pair's left one.
    return `
      void addRowStride1(inout vec4 sum, int b, int p, int xRow, int c, int o, int colOffset, int first, int last) {
        int start = first - imod(first, 2);
        if ((colOffset & 1) == 0) {
          for (int q = start; q <= last; q += 2) {
            vec4 dyPair = getDy(b, p, q, o);
            vec4 xTexel = getX(b, xRow, q + colOffset, c);
            if (q >= first) sum += xTexel.xxyy * dyPair.xyxy;
            if (q < last) sum += xTexel.zzww * dyPair.zwzw;
          }
        } else {
          vec4 left = getX(b, xRow, start + colOffset - 1, c);
          for (int q = start; q <= last; q += 2) {
            vec4 dyPair = getDy(b, p, q, o);
            vec4 right = getX(b, xRow, q + colOffset + 1, c);
            if (q >= first) sum += left.zzww * dyPair.xyxy;
            if (q < last) sum += right.xxyy * dyPair.zwzw;
            left = right;
          }
        }
      }`;
  }
  return `
      // x[b, row, col, (c, c + 1)]
      vec2 xPair(int b, int row, int col, int c) {
        vec4 texel = getX(b, row, col, c);
        return imod(col, 2) == 0 ? texel.xy : texel.zw;
      }

      void addRow(inout vec4 sum, int b, int p, int xRow, int c, int o, int colOffset, int first, int last) {
        for (int q = first - imod(first, 2); q <= last; q += 2) {
          vec4 dyPair = getDy(b, p, q, o);
          if (q >= first) sum += xPair(b, xRow, ${stride} * q + colOffset, c).xxyy * dyPair.xyxy;
          if (q < last) sum += xPair(b, xRow, ${stride} * (q + 1) + colOffset, c).xxyy * dyPair.zwzw;
        }
      }`;
}

/** Partial filter gradients, one per chunk of dy rows: [chunks, kh·kw, inChannels, outChannels]. */
export class FilterGradChunksProgram implements WebGLProgram {
  variableNames = ['x', 'dy'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(c: backend_util.Conv2DInfo, plan: ChunkPlan) {
    const taps = c.filterHeight * c.filterWidth;
    this.outputShape = [plan.chunks, taps, c.inChannels, c.outChannels];
    const rows = c.batchSize * c.outHeight;
    const sw = c.strideWidth;
    this.userCode = `
      ${addRowGlsl(sw)}

      void main() {
        ivec4 coords = getOutputCoords();
        int chunk = coords.x;
        int wR = coords.y / ${c.filterWidth};
        int wC = coords.y - wR * ${c.filterWidth};
        int c = coords.z;
        int o = coords.w;
        // x column = ${sw}·q + colOffset; the dy columns q in [first, last] read a column inside x.
        int colOffset = wC - ${c.padInfo.left};
        int first = colOffset >= 0 ? 0 : (${sw - 1} - colOffset) / ${sw};
        int lastRead = ${c.inWidth - 1} - colOffset;
        int last = lastRead < 0 ? -1 : min(${c.outWidth - 1}, lastRead / ${sw});
        int rowBegin = chunk * ${plan.linesPerChunk};
        int rowEnd = min(rowBegin + ${plan.linesPerChunk}, ${rows});

        vec4 sum = vec4(0.0);
        for (int r = rowBegin; r < rowEnd; r++) {
          int b = r / ${c.outHeight};
          int p = r - b * ${c.outHeight};
          int xRow = p * ${c.strideHeight} + wR - ${c.padInfo.top};
          if (xRow < 0 || xRow >= ${c.inHeight}) continue;
          ${sw === 1 ? 'addRowStride1' : 'addRow'}(sum, b, p, xRow, c, o, colOffset, first, last);
        }
        setOutput(sum);
      }`;
  }
}

/** The sum of the partials [chunks, kh·kw, inChannels, outChannels], in chunk order: [kh, kw, inChannels, outChannels]. */
export class SumChunksProgram implements WebGLProgram {
  variableNames = ['partials'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(filterShape: [number, number, number, number], chunks: number) {
    this.outputShape = filterShape;
    this.userCode = `
      void main() {
        ivec4 coords = getOutputCoords();
        int tap = coords.x * ${filterShape[1]} + coords.y;
        vec4 sum = vec4(0.0);
        for (int s = 0; s < ${chunks}; s++) sum += getPartials(s, tap, coords.z, coords.w);
        setOutput(sum);
      }`;
  }
}
