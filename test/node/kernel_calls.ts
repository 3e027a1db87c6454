/**
 * The kernels a run calls and the attributes it calls them with: the engine's runKernel wrapped for the run (by
 * hand, not a jasmine spy, which could not be set twice in one spec), restored after it, also where it throws.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelCall {
  name: string;
  /** A copy of the attributes the kernel was called with. */
  attrs: Record<string, unknown>;
}

type RunKernel = (name: string, inputs: unknown, attrs: unknown) => unknown;

function watch(names: readonly string[], calls: KernelCall[]): () => void {
  const engine = tf.engine() as unknown as {runKernel: RunKernel};
  const original = engine.runKernel;
  engine.runKernel = function (this: unknown, name: string, inputs: unknown, attrs: unknown) {
    if (names.includes(name)) calls.push({name, attrs: {...(attrs as Record<string, unknown>)}});
    return original.call(this, name, inputs, attrs);
  };
  return () => {
    engine.runKernel = original;
  };
}

/** The calls of the kernels `names` that `run` makes, in order. */
export function kernelCalls(names: readonly string[], run: () => void): KernelCall[] {
  const calls: KernelCall[] = [];
  const restore = watch(names, calls);
  try {
    run();
  } finally {
    restore();
  }
  return calls;
}

/** {@link kernelCalls} for an async run (model.trainOnBatch). */
export async function kernelCallsAsync(names: readonly string[], run: () => Promise<void>): Promise<KernelCall[]> {
  const calls: KernelCall[] = [];
  const restore = watch(names, calls);
  try {
    await run();
  } finally {
    restore();
  }
  return calls;
}
