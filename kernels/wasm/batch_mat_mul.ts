/**
 * BatchMatMul for the wasm backend: wasm's own kernel runs XNNPACK only for untransposed
 * operands and a plain loop otherwise: 1.3–1.6 against 31–37 GFLOP/s on the small SNN's dense
 * layer gradients x^T·dy and dy·W^T (bench/wasm_conv_grad.ts). This one transposes the
 * operands in memory first (one copy each) and runs the fast case: 12–20× faster there.
 */
import {
  BatchMatMul,
  BatchMatMulAttrs,
  engine,
  KernelConfig,
  NamedAttrMap,
  Tensor,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core';

import {replacementOf} from '../replace_kernel';

/** Swaps the last two axes. */
function transposed(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
  return transpose(t, perm);
}

/** The product of the axes before the last two. */
const batchOf = (t: Tensor) => t.shape.slice(0, -2).reduce((n, side) => n * side, 1);

export function batchMatMulWasmConfig(builtIn: KernelConfig): KernelConfig {
  return replacementOf(builtIn, wasmOwn => args => {
    const {transposeA, transposeB} = args.attrs as unknown as BatchMatMulAttrs;
    if (!transposeA && !transposeB) return wasmOwn(args);
    const {a, b} = args.inputs as {a: Tensor; b: Tensor};
    if (!transposeA && transposeB && batchOf(a) === 1 && batchOf(b) === 1 && b.size > a.size) {
      // a·bᵀ = (b·aᵀ)ᵀ: for a dense layer's input gradient dy·Wᵀ, W is large and dy small, and the two small
      // transposes (dy and the result) cost far less than W's (36 ms for VGG9's [4096, 1024] on one thread), and
      // XNNPACK packs aᵀ rather than W.
      return tidy(() =>
        transposed(
          engine().runKernel(BatchMatMul, {a: b, b: transposed(a)}, {
            transposeA: false,
            transposeB: false,
          } as unknown as NamedAttrMap) as Tensor
        )
      );
    }
    return tidy(
      () =>
        engine().runKernel(BatchMatMul, {a: transposeA ? transposed(a) : a, b: transposeB ? transposed(b) : b}, {
          transposeA: false,
          transposeB: false,
        } as unknown as NamedAttrMap) as Tensor
    );
  });
}
