import {DataId, DataType, getKernel, TensorInfo} from '@tensorflow/tfjs-core';

/**
 * The fields of tfjs-backend-webgpu's WebGPUProgram these kernels set (typed structurally: webgpu is an optional
 * peer, never imported). runWebGPUProgram declares every input as a read-only storage array of f32 named after its
 * variable, the output as the read-write array `result`, and the `uniforms` fields after its own.
 */
export interface WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  /** The program's variant (reset mode, surrogate...); runWebGPUProgram appends the inputs' ranks and dtypes. */
  shaderKey: string;
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** WGSL struct fields (`name : f32, ...`) set per run from runWebGPUProgram's uniform values. */
  uniforms: string;
  getUserCode(): string;
}

/** One uniform value as runWebGPUProgram takes it. */
export interface ProgramUniform {
  type: 'int32' | 'float32';
  data: number[];
}

/** The part of tfjs-backend-webgpu's WebGPUBackend these kernels use. */
export interface WebGPUBackendLike {
  runWebGPUProgram(
    program: WebGPUProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    programDefinedUniform?: ProgramUniform[]
  ): TensorInfo;
  disposeData(dataId: DataId): boolean;
}

/** Invocations per workgroup (tfjs-backend-webgpu's elementwise programs use 64 or 128). */
export const WORKGROUP_SIZE = 64;

/**
 * A program with one invocation per `invocations` (flat: `main(index)` gets the invocation's index), whatever its
 * output shape. runWebGPUProgram splits the dispatch over y and z past the 65535-workgroup limit, and the global
 * index it passes still counts every invocation once.
 */
export abstract class FlatProgram implements WebGPUProgram {
  abstract variableNames: string[];
  abstract shaderKey: string;
  outputShape: number[];
  dispatchLayout: {x: number[]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  abstract uniforms: string;

  constructor(outputShape: number[], invocations: number) {
    this.outputShape = outputShape;
    this.dispatchLayout = {x: outputShape.map((_, i) => i)};
    this.dispatch = [Math.ceil(invocations / WORKGROUP_SIZE), 1, 1];
  }

  abstract getUserCode(): string;
}

/** Runs a Reshape or Slice of the webgpu backend's own (a reshape shares the buffer). The result is the caller's. */
function runBuiltIn(kernelName: string, backend: WebGPUBackendLike, x: TensorInfo, attrs: object): TensorInfo {
  const kernel = getKernel(kernelName, 'webgpu');
  if (kernel == null) throw new Error(`tfjs-snn: the webgpu backend has no ${kernelName} kernel`);
  return kernel.kernelFunc({inputs: {x}, backend: backend as never, attrs: attrs as never}) as TensorInfo;
}

export function reshape(backend: WebGPUBackendLike, x: TensorInfo, shape: number[]): TensorInfo {
  return runBuiltIn('Reshape', backend, x, {shape});
}

export function slice(backend: WebGPUBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  return runBuiltIn('Slice', backend, x, {begin, size});
}
