/**
 * BatchMatMul in float64, for the specs of tfjs-snn's BatchMatMul on wasm (test/node/wasm_mat_mul_spec.ts) and of the
 * products program in a page (test/browser/wasm_programs_spec.ts).
 */

export interface MatMulCase {
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** out[..., i, j] = Σ_k A[..., i, k] · B[..., k, j] with A, B the (transposed) operands and batch dims broadcast. */
export function referenceMatMul(
  c: MatMulCase,
  a: Float32Array,
  b: Float32Array
): {values: Float64Array; shape: number[]} {
  const [ar, br] = [c.aShape.length, c.bShape.length];
  const rows = c.transposeA ? c.aShape[ar - 1] : c.aShape[ar - 2];
  const inner = c.transposeA ? c.aShape[ar - 2] : c.aShape[ar - 1];
  const cols = c.transposeB ? c.bShape[br - 2] : c.bShape[br - 1];
  const aBatch = c.aShape.slice(0, -2).reduce((x, y) => x * y, 1);
  const bBatch = c.bShape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batch = Math.max(aBatch, bBatch);
  const aAt = (n: number, i: number, k: number) =>
    a[(n % aBatch) * rows * inner + (c.transposeA ? k * rows + i : i * inner + k)];
  const bAt = (n: number, k: number, j: number) =>
    b[(n % bBatch) * inner * cols + (c.transposeB ? j * inner + k : k * cols + j)];
  const values = new Float64Array(batch * rows * cols);
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        for (let k = 0; k < inner; k++) sum += aAt(n, i, k) * bAt(n, k, j);
        values[(n * rows + i) * cols + j] = sum;
      }
    }
  }
  const batchShape = (c.aShape.length >= c.bShape.length ? c.aShape : c.bShape).slice(0, -2);
  return {values, shape: [...batchShape, rows, cols]};
}
