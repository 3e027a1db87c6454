/**
 * Identity for the wasm backend without a copy. tfjs-core saves every tensor a gradient needs through
 * `engine.clone`, i.e. the Identity kernel, and tfjs-backend-wasm 4.22's Identity copies the whole buffer: in a
 * training step every saved activation was held twice (and copied once). Tensors are immutable, so the output
 * can share the input's buffer, as wasm's own Reshape and the cpu backend's Identity already do: one more
 * reference to the same heap data. String tensors go to the built-in kernel.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';

interface RefCounting {
  incRef(dataId: TensorInfo['dataId']): void;
}

export function identityWasmConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, builtInFunc => {
    const identity: KernelFunc = args => {
      const x = (args.inputs as {x: TensorInfo}).x;
      if (x.dtype === 'string') return builtInFunc(args);
      (args.backend as unknown as RefCounting).incRef(x.dataId);
      return {dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype};
    };
    return identity;
  });
}
