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
 * made in that window by anything else would go too, so the window must hold nothing else (a load
 * runs without awaiting anything between the build and the failure, and the caller disposes at once).
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
