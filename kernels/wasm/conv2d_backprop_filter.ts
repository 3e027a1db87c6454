/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 lacks
 * (so `tf.grad` of a conv, hence `model.fit` of any conv model, fails there).
 *
 * The filter gradient is itself a convolution, run by wasm's fast (XNNPACK) Conv2D:
 *
 *   dW[i, j, c, o] = Σ_{n, p, q} xPadded[n, sh·p + i, sw·q + j, c] · dy[n, p, q, o]
 *
 * Seen as a conv, x is ONE image of height H and width W·Cin whose N channels are
 * the batch (x transposed to [H, W, Cin, N]), the filter is dy as [OH, OW, N, Cout],
 * the stride is 1 and the dilations are [sh, sw·Cin]: output pixel (i, j·Cin + c)
 * is dW[i, j, c, :], so the result is already [kh, kw, Cin, Cout]. Folding Cin into
 * the width (rather than using it as the conv's batch) makes the output need no
 * transpose and turns x's transpose into a plain 2D one.
 * bench/wasm_conv_grad.ts measures this against im2col + matmul, per-tap matmuls and
 * wasm's Conv3DBackpropFilterV2 (which is also wrong for strides > 1 in 4.22).
 */
import {
  backend_util,
  Conv2D,
  Conv2DAttrs,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  engine,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  reshape,
  slice,
  Tensor,
  tidy,
  transpose,
  util,
  zeros,
} from '@tensorflow/tfjs-core';

/** How much of x the conv windows read: rows/cols of x kept, and the zero padding around them. */
interface Footprint {
  keptRows: number;
  keptCols: number;
  pad: {top: number; bottom: number; left: number; right: number};
}

export const conv2dBackpropFilterWasm: KernelFunc = ({inputs, attrs}) => {
  const {x, dy} = inputs as {x: Tensor; dy: Tensor};
  const convInfo = convInfoOf(x, dy, attrs as unknown as Conv2DBackpropFilterAttrs);
  const footprint = footprintOf(convInfo);
  if (footprint.keptRows <= 0 || footprint.keptCols <= 0) return zeros(convInfo.filterShape);
  return tidy(() => {
    const dW = engine().runKernel(
      Conv2D,
      {x: imageOf(x, convInfo, footprint), filter: transpose(dy, [1, 2, 0, 3])},
      gradConvAttrs(convInfo, footprint)
    );
    return reshape(dW as Tensor, convInfo.filterShape);
  });
};

function convInfoOf(x: Tensor, dy: Tensor, attrs: Conv2DBackpropFilterAttrs): backend_util.Conv2DInfo {
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} = attrs;
  util.assert(dataFormat !== 'NCHW', () => `wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got 'NCHW'`);
  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast'
  );
  util.assert(
    util.arraysEqual(dy.shape, convInfo.outShape),
    () => `Conv2DBackpropFilter: dy has shape [${dy.shape}] but the conv's output is [${convInfo.outShape}]`
  );
  return convInfo;
}

/**
 * The windows end at row sh·(OH-1) + kh of the padded x: rows of x past that are
 * never read (e.g. 'valid' with a stride that does not divide the size) and are
 * cropped, since the conv below cannot take a negative padding.
 */
function footprintOf(c: backend_util.Conv2DInfo): Footprint {
  const rowsRead = c.strideHeight * (c.outHeight - 1) + c.filterHeight;
  const colsRead = c.strideWidth * (c.outWidth - 1) + c.filterWidth;
  const {top, left} = c.padInfo;
  const keptRows = Math.min(c.inHeight, rowsRead - top);
  const keptCols = Math.min(c.inWidth, colsRead - left);
  return {keptRows, keptCols, pad: {top, bottom: rowsRead - top - keptRows, left, right: colsRead - left - keptCols}};
}

/** x [N, H, W, Cin] as one image [1, H, W·Cin, N], cropped to the rows and columns read. */
function imageOf(x: Tensor, c: backend_util.Conv2DInfo, footprint: Footprint): Tensor {
  const {batchSize, inHeight, inWidth, inChannels} = c;
  const pixelsLast = transpose(reshape(x, [batchSize, inHeight * inWidth * inChannels]));
  const image = reshape(pixelsLast, [1, inHeight, inWidth * inChannels, batchSize]);
  if (footprint.keptRows === inHeight && footprint.keptCols === inWidth) return image;
  return slice(image, [0, 0, 0, 0], [1, footprint.keptRows, footprint.keptCols * inChannels, batchSize]);
}

function gradConvAttrs(c: backend_util.Conv2DInfo, {pad}: Footprint): NamedAttrMap {
  const cin = c.inChannels;
  const convAttrs: Conv2DAttrs = {
    strides: [1, 1],
    pad: [
      [0, 0],
      [pad.top, pad.bottom],
      [pad.left * cin, pad.right * cin],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations: [c.strideHeight, c.strideWidth * cin],
  };
  return convAttrs as unknown as NamedAttrMap;
}

export const conv2dBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm,
};
