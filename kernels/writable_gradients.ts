import {DataId, engine, Tensor} from '@tensorflow/tfjs-core';

/**
 * Gradients a backward kernel may write over. In backpropagation, the gradient an op's gradient function returns for
 * one of its inputs is held by the engine's map from tensors to their gradients, and read by the gradient function
 * of the op that produced that input, then nobody else: so that op's backward kernel may write its own result over
 * it (BNTT's dx over dy: no new buffer the size of x, and the writes land on lines just read).
 *
 * Only where that holds beyond doubt:
 * - the gradient was made by one of this package's gradient functions ({@link markWritableGradient}, the LIF
 *   kernels' dCurrents), for exactly the tensor the consuming op produced (the same data);
 * - the engine took it as it was: had the input a second consumer, the engine would have added the two gradients,
 *   a new tensor without the mark;
 * - backpropagation is not being recorded (no higher-order gradient: a recording tape may have saved it);
 * - the producing op's node is on the tape the gradient was made for (a gradient made inside another, nested
 *   `tf.grad` and handed back as a value is not).
 */
interface Mark {
  /** The data of the input the gradient is for. */
  input: DataId;
  /** The tape the gradient function ran for. */
  tape: unknown;
}

const marks = new WeakMap<Tensor, Mark>();
let enabled = true;

/** Test hook: `false` marks no gradient writable (every backward kernel writes a new buffer). Returns the previous. */
export function setWritableGradientsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

interface TapeNode {
  outputs: Tensor[];
  saved?: Tensor[];
}

function activeTape(): TapeNode[] | null {
  const state = engine().state as unknown as {gradientDepth: number; activeTape: TapeNode[] | null};
  return state.gradientDepth === 0 ? state.activeTape : null;
}

/** Marks `gradient`, just made by a gradient function for its op's input `input`, as writable by `input`'s producer. */
export function markWritableGradient(gradient: Tensor, input: Tensor): void {
  const tape = activeTape();
  if (enabled && tape != null) marks.set(gradient, {input: input.dataId, tape});
}

/**
 * Whether the backward kernel of the op whose tape node saved `saved` (the array a gradient function gets) may write
 * over `dy`, the gradient of that op's first output.
 */
export function isWritableGradient(dy: Tensor, saved: Tensor[]): boolean {
  const mark = marks.get(dy);
  const tape = activeTape();
  if (mark == null || tape == null || mark.tape !== tape || dy.isDisposed) return false;
  const node = tape.find(n => n.saved === saved);
  return node != null && node.outputs[0]?.dataId === mark.input;
}
