import type {DataId, DataType, TensorInfo} from '@tensorflow/tfjs-core';

/**
 * How a typed-array kernel reads its float32 inputs and hands back outputs,
 * whichever backend holds the data (the loops in kernels/cpu serve cpu and wasm).
 */
export interface TypedArrayIO {
  read(info: TensorInfo): Float32Array;
  output(shape: number[], values: Float32Array): TensorInfo;
}

/** The part of tfjs-backend-cpu's MathBackendCPU these kernels use. */
export interface CpuBackendLike {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

export function cpuIO(backend: unknown): TypedArrayIO {
  const cpu = backend as CpuBackendLike;
  return {
    read: info => cpu.readSync(info.dataId) as Float32Array,
    output: (shape, values) => cpu.makeTensorInfo(shape, 'float32', values),
  };
}
