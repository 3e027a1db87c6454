/**
 * The float64 reference for the gradients of a conv2d (NHWC, dilations 1), shared by the
 * wasm (node) and webgl (browser) conv gradient specs.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
export type Shape4 = [number, number, number, number];

export interface GradCase {
  xShape: Shape4;
  kernel: [number, number];
  outChannels: number;
  strides: number | [number, number];
  pad: Pad;
}

export function caseName(c: GradCase): string {
  return (
    `x [${c.xShape}], ${c.kernel.join('×')}→${c.outChannels}, strides ${JSON.stringify(c.strides)}, ` +
    `pad ${JSON.stringify(c.pad)}`
  );
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** The zero padding before the first row (axis 0) or column (axis 1), following TensorFlow's rules. */
function padBefore(size: number, kernel: number, stride: number, pad: Pad, axis: 0 | 1): number {
  if (pad === 'valid') return 0;
  if (typeof pad === 'number') return pad;
  if (pad !== 'same') return pad[axis + 1][0];
  const out = Math.ceil(size / stride);
  return Math.floor(Math.max((out - 1) * stride + kernel - size, 0) / 2);
}

/**
 * Calls `visit(x, dy, w)` for every (input pixel, output pixel, filter tap) a conv connects, with the flat
 * offsets of x[n, row, col, 0], dy[n, p, q, 0] and W[i, j, 0, 0] (row = sh·p + i − top, col = sw·q + j − left).
 */
export function forEachConnection(c: GradCase, visit: (x: number, dy: number, w: number) => void): void {
  const [n, h, w, cin] = c.xShape;
  const [kh, kw] = c.kernel;
  const [sh, sw] = pair(c.strides);
  const [, outRows, outCols, cout] = dyShapeOf(c);
  const top = padBefore(h, kh, sh, c.pad, 0);
  const left = padBefore(w, kw, sw, c.pad, 1);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < outRows; p++) {
      for (let q = 0; q < outCols; q++) {
        for (let i = 0; i < kh; i++) {
          const row = sh * p + i - top;
          if (row < 0 || row >= h) continue;
          for (let j = 0; j < kw; j++) {
            const col = sw * q + j - left;
            if (col < 0 || col >= w) continue;
            visit(((b * h + row) * w + col) * cin, ((b * outRows + p) * outCols + q) * cout, (i * kw + j) * cin * cout);
          }
        }
      }
    }
  }
}

/** dW[i, j, c, o] = Σ x[n, sh·p + i − top, sw·q + j − left, c] · dy[n, p, q, o], in float64. */
export function referenceFilterGrad(c: GradCase, x: Float32Array, dy: Float32Array): Float64Array {
  const [cin, cout] = [c.xShape[3], c.outChannels];
  const dW = new Float64Array(c.kernel[0] * c.kernel[1] * cin * cout);
  forEachConnection(c, (xAt, dyAt, wAt) => {
    for (let ci = 0; ci < cin; ci++) {
      for (let o = 0; o < cout; o++) dW[wAt + ci * cout + o] += x[xAt + ci] * dy[dyAt + o];
    }
  });
  return dW;
}

/**
 * dy has the shape of tf.conv2d's output, which computeConv2DInfo gives. For a numeric padding
 * tfjs 4.22 computes both output sizes from the filter height and the row stride.
 */
export function dyShapeOf(c: GradCase): Shape4 {
  const filterShape: Shape4 = [...c.kernel, c.xShape[3], c.outChannels];
  return tf.backend_util.computeConv2DInfo(c.xShape, filterShape, c.strides, 1, c.pad).outShape;
}

/** The number of elements of a shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** y[n, p, q, o] = Σ x[n, sh·p + i − top, sw·q + j − left, c] · W[i, j, c, o], in float64. */
export function referenceConv(c: GradCase, x: Float32Array, w: Float32Array): Float64Array {
  const [cin, cout] = [c.xShape[3], c.outChannels];
  const y = new Float64Array(sizeOf(dyShapeOf(c)));
  forEachConnection(c, (xAt, yAt, wAt) => {
    for (let ci = 0; ci < cin; ci++) {
      for (let o = 0; o < cout; o++) y[yAt + o] += x[xAt + ci] * w[wAt + ci * cout + o];
    }
  });
  return y;
}

/** dx[n, r, c, ci] = Σ dy[n, p, q, o] · W[i, j, ci, o] over sh·p + i − top = r, sw·q + j − left = c, in float64. */
export function referenceInputGrad(c: GradCase, dy: Float32Array, filter: Float32Array): Float64Array {
  const [cin, cout] = [c.xShape[3], c.outChannels];
  const dx = new Float64Array(c.xShape.reduce((a, b) => a * b));
  forEachConnection(c, (xAt, dyAt, wAt) => {
    for (let ci = 0; ci < cin; ci++) {
      for (let o = 0; o < cout; o++) dx[xAt + ci] += dy[dyAt + o] * filter[wAt + ci * cout + o];
    }
  });
  return dx;
}
