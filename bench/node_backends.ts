/** Runs the Node half of the plan: tfjs-backend-cpu and tfjs-backend-wasm in this process. */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradients of the core ops the naive LIF uses

import * as tf from '@tensorflow/tfjs-core';

import {Log, runConfig} from './measure';
import type {ConfigSpec, Row} from './types';

export interface WasmInfo {
  simd: boolean;
  threads: boolean;
}

async function useBackend(name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
}

export async function wasmInfo(): Promise<WasmInfo> {
  return {
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean,
    threads: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean,
  };
}

export async function runNodePlan(specs: ConfigSpec[], log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  for (const spec of specs) {
    await useBackend(spec.backend);
    rows.push(...(await runConfig(spec, log)));
  }
  return rows;
}
