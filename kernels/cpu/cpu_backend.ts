import type {DataId, DataType, TensorInfo} from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-cpu's MathBackendCPU these kernels use. */
export interface CpuBackendLike {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
}

export function readFloat32(backend: CpuBackendLike, info: TensorInfo): Float32Array {
  return backend.readSync(info.dataId) as Float32Array;
}
