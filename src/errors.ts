/**
 * What every error message of the package is built from: a value shown as the message shows it, and an
 * error that keeps the one it wraps as its cause.
 */
import {Tensor} from '@tensorflow/tfjs-core';

/** A value as an error message shows it: strings quoted, arrays and objects as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  if (value instanceof Tensor)
    return `${/^[aeiou]/.test(value.dtype) ? 'an' : 'a'} ${value.dtype} tensor of shape [${value.shape}]`;
  if (typeof value === 'number' || value == null || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** An Error `message: <the cause's message>` that keeps `cause` as its cause. */
export function withCause(message: string, cause: unknown): Error {
  const causeMessage = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${message}: ${causeMessage}`, {cause});
}

/** The `code` of a Node.js system error ('ENOENT', …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return (error as {code?: string} | null)?.code;
}

/** Names as a message lists a choice: `'gamma', 'confidence'`. */
export function quotedList(names: readonly string[]): string {
  return names.map(name => `'${name}'`).join(', ');
}

/**
 * The names of an options interface `T`, in the order given, from an object that must name every one of them:
 * the compiler rejects a missing, extra or misspelt name, so the list an "unknown option" check reads cannot
 * drift from the interface.
 *
 * ```ts
 * const KNOWN = optionNames<SpikeOptions>({threshold: true, surrogate: true, alpha: true});   // ['threshold', …]
 * ```
 */
export function optionNames<T extends object>(names: {[K in keyof Required<T>]: true}): ReadonlyArray<
  keyof T & string
> {
  return Object.freeze(Object.keys(names)) as ReadonlyArray<keyof T & string>;
}
