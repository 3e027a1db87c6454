import {DataId, DataType, getKernel, TensorInfo} from '@tensorflow/tfjs-core';

/** The fields of tfjs-backend-webgl's GPGPUProgram these kernels set. */
export interface WebGLProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs?: boolean;
  packedOutput?: boolean;
  customUniforms?: Array<{name: string; type: 'float' | 'int'}>;
}

/** A program that reads and writes packed textures (2×2 blocks of the last two axes). */
export abstract class PackedProgram implements WebGLProgram {
  packedInputs = true;
  packedOutput = true;
  abstract variableNames: string[];
  abstract outputShape: number[];
  abstract userCode: string;
  abstract customUniforms: Array<{name: string; type: 'float'}>;
}

/** The part of tfjs-backend-webgl's MathBackendWebGL these kernels use. */
export interface WebGLBackendLike {
  runWebGLProgram(
    program: WebGLProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    customUniformValues?: number[][]
  ): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
  /** A tensor of these values, on the CPU until a program reads it. */
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array): TensorInfo;
  /**
   * Where a tensor's values are: its texture (null while they are on the CPU), packed or not, and the shape it
   * was packed for (a reshaped tensor shares the texture of its source).
   */
  texData: {get(dataId: DataId): {isPacked?: boolean; texture?: unknown; shape: number[]}};
}

/**
 * Reshapes through the backend's own Reshape kernel (free for unpacked
 * textures, a repacking program for packed ones). The result is owned by the caller.
 */
export function reshape(backend: WebGLBackendLike, x: TensorInfo, shape: number[]): TensorInfo {
  const reshapeKernel = getKernel('Reshape', 'webgl');
  if (reshapeKernel == null) throw new Error('tfjs-snn: the webgl backend has no Reshape kernel');
  return reshapeKernel.kernelFunc({inputs: {x}, backend: backend as never, attrs: {shape}}) as TensorInfo;
}
