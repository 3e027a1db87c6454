/**
 * tfjs-layers builds a model's layers (and their weight variables) before it can tell that the
 * topology or the weights do not fit, and drops them when it throws. These helpers dispose what a
 * failed build left behind.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The names of the variables that exist now. */
export function variableNames(): Set<string> {
  return new Set(Object.keys(tf.engine().state.registeredVariables));
}

/**
 * Disposes the variables made since `before` was taken. Only for a failed model build: the variables
 * made in that window by anything else would go too. The window spans the awaits of a load (microtask
 * turns, no I/O once the artifacts are read), so code that makes variables concurrently with a failing
 * load (another model's first training step) could lose them: docs/saving.md says so.
 */
export function disposeVariablesSince(before: Set<string>): void {
  const variables = tf.engine().state.registeredVariables;
  for (const name of Object.keys(variables)) {
    if (!before.has(name)) variables[name].dispose();
  }
}

/** Runs `build`; when it throws, disposes the variables it made, then rethrows. */
export async function buildGuarded<T>(build: () => Promise<T>): Promise<T> {
  const before = variableNames();
  try {
    return await build();
  } catch (e) {
    disposeVariablesSince(before);
    throw e;
  }
}
