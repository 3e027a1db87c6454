/**
 * AvgPoolGrad for the wasm backend where the windows tile the input (strides equal to the window, 'valid' or no
 * padding needed), as spiking networks pool: a SIMD program spreads each dy pixel over its window
 * (simd/avg_pool_grad_program.ts). tfjs-backend-wasm 4.22's own kernel took 8 % of a small-model training step.
 * Other windows, dilations and engines without SIMD go to the built-in kernel.
 */
import {AvgPoolGradAttrs, backend_util, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';
import {avgPoolGradOn} from './simd/avg_pool_grad_program';
import {simdKernelsAvailable} from './simd/simd_runtime';
import {heapMemory, heapOutputsAndViews} from './wasm_backend';

export function avgPoolGradWasmConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, builtInFunc => {
    const avgPoolGrad: KernelFunc = args => {
      const {dy, input} = args.inputs as {dy: TensorInfo; input: TensorInfo};
      const attrs = args.attrs as unknown as AvgPoolGradAttrs;
      if (!simdKernelsAvailable() || dy.dtype !== 'float32' || input.shape.length !== 4) return builtInFunc(args);
      const info = backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        attrs.filterSize,
        attrs.strides,
        1,
        attrs.pad
      );
      const tiles =
        info.strideHeight === info.filterHeight &&
        info.strideWidth === info.filterWidth &&
        info.padInfo.top + info.padInfo.bottom + info.padInfo.left + info.padInfo.right === 0 &&
        info.outHeight * info.filterHeight <= info.inHeight &&
        info.outWidth * info.filterWidth <= info.inWidth &&
        dy.shape.every((d, i) => d === info.outShape[i]);
      if (!tiles) return builtInFunc(args);
      const {
        outputs: [dx],
        views: [dys, dxs],
      } = heapOutputsAndViews(args.backend, [dy], [input.shape.slice()]);
      const memory = heapMemory(args.backend, dys);
      if (memory == null) {
        (args.backend as unknown as {disposeData(id: unknown): void}).disposeData(dx.dataId);
        return builtInFunc(args);
      }
      if (info.outHeight * info.filterHeight < info.inHeight || info.outWidth * info.filterWidth < info.inWidth) {
        dxs.fill(0);
      }
      avgPoolGradOn(memory, info.filterHeight, info.filterWidth)(
        dys.byteOffset,
        dxs.byteOffset,
        info.batchSize,
        info.outHeight,
        info.outWidth,
        info.inHeight,
        info.inWidth,
        info.inChannels
      );
      return dx;
    };
    return avgPoolGrad;
  });
}
