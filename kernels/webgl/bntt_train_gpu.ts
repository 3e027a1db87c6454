/**
 * The WebGL programs of the BNTT training kernels (see bntt_attrs.ts for the contract).
 *
 * Each statistic reduces N = outer·S values per (row r, channel c), and there are only
 * R·C of them, so one thread per statistic would loop over all N. Instead (split-K, as in
 * conv2d_backprop_filter_gpu.ts) the values of a row are cut into chunks:
 * PartialSumsProgram sums each chunk, ChunkTotalProgram adds the partials up in chunk
 * order. The forward takes two such passes, the mean and then Σ(x − mean)² (as the cpu
 * kernel does: E[x²] − E[x]² cancels), and the backward one, Σdy and Σdy·(x − mean) at once.
 *
 * All programs are packed and read x through a view that tfjs reshapes for free (the last
 * two axes kept): [P, H, W, C], a texel holding columns (w, w + 1) × channels (c, c + 1).
 * Loop bounds are compile-time constants (with `break`), which WebGL 1's GLSL allows.
 */
import {ChunkPlan, splitLines} from '../split_k';
import {PackedProgram, WebGLProgram} from './webgl_backend';

/** x as [P, H, W, C] and where each value's statistics row comes from. */
export interface BnttView {
  shape: [number, number, number, number];
  rows: number;
  /**
   * false: row = p mod R, and a row's values are whole lines (p, h, ·) — x [B, T, ...spatial, W, C] viewed as
   * [B·T, ∏spatial, W, C], or rank-3 x with R = 1 as [B, 1, T, C]. true: rank-3 x [B, T, C] with R = T > 1,
   * viewed as [B, 1, T, C], where row = w.
   */
  rowOnW: boolean;
  /** Lines (p, h) holding a row's values: for rowOnW, one value (w = r) each. */
  linesPerRow: number;
  /** N, the values per statistic. */
  count: number;
}

export function bnttView(xShape: readonly number[], rows: number): BnttView {
  const [batch, steps, channels] = [xShape[0], xShape[1], xShape[xShape.length - 1]];
  if (xShape.length === 3) {
    const shape: BnttView['shape'] = [batch, 1, steps, channels];
    return rows === 1
      ? {shape, rows, rowOnW: false, linesPerRow: batch, count: batch * steps}
      : {shape, rows, rowOnW: true, linesPerRow: batch, count: batch};
  }
  const spatial = xShape.slice(2, -1);
  const width = spatial[spatial.length - 1];
  const height = spatial.slice(0, -1).reduce((n, d) => n * d, 1);
  const linesPerRow = ((batch * steps) / rows) * height;
  return {
    shape: [batch * steps, height, width, channels],
    rows,
    rowOnW: false,
    linesPerRow,
    count: linesPerRow * width,
  };
}

/** A row's lines, each chunk writing two partial sums per (row, channel). */
export function chunkPlan(view: BnttView): ChunkPlan {
  const valuesPerLine = view.rowOnW ? 1 : view.shape[2];
  return splitLines(view.linesPerRow, valuesPerLine, 2 * view.rows * view.shape[3]);
}

/** A GLSL float literal. */
export function glslFloat(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** The half of a packed [R, C] texel that holds row r, channels (c, c + 1). */
const ROW_HALF_GLSL = `
      vec2 rowHalf(vec4 texel, int r) { return imod(r, 2) == 0 ? texel.xy : texel.zw; }`;

/**
 * GLSL `vec4 paramAt(vec4 texel)`: a packed [R, C] parameter texel, fetched at (row, c), laid out as the view's
 * output texel (w, w + 1) × (c, c + 1). With rowOnW the rows are w, w + 1, which is that texel as it is.
 */
function paramAtGlsl(view: BnttView): string {
  return view.rowOnW
    ? 'vec4 paramAt(vec4 texel, int row) { return texel; }'
    : 'vec4 paramAt(vec4 texel, int row) { return rowHalf(texel, row).xyxy; }';
}

/** GLSL `int rowOf(ivec4 coords)`: the parameter row of an output texel of the view. */
function rowOfGlsl(view: BnttView): string {
  const row = view.rowOnW ? 'coords.z' : view.rows === 1 ? '0' : `imod(coords.x, ${view.rows})`;
  return `int rowOf(ivec4 coords) { return ${row}; }`;
}

/**
 * userCode of a program computing one output texel of the view from per-(row, channel) parameters:
 * `body` sees coords, its parameter row r and channel c, and paramAt, rowHalf, rowOf.
 */
function viewTexelGlsl(view: BnttView, body: string): string {
  return `
      ${ROW_HALF_GLSL}
      ${paramAtGlsl(view)}
      ${rowOfGlsl(view)}

      void main() {
        ivec4 coords = getOutputCoords();
        int r = rowOf(coords);
        int c = coords.w;
        ${body}
      }`;
}

/** What PartialSumsProgram adds up, into two slots per channel. */
export type PartialQuantity = 'sum' | 'squaredDeviation' | 'gradient';

const QUANTITY_INPUTS: Record<PartialQuantity, string[]> = {
  sum: ['x'],
  squaredDeviation: ['x', 'mean'],
  gradient: ['dy', 'x', 'mean'],
};

/** GLSL adding the value pair `v` (dy pair `g`) to the slots. */
const QUANTITY_GLSL: Record<PartialQuantity, string> = {
  sum: 'first += v;',
  squaredDeviation: 'vec2 d = v - mu; first += d * d;',
  gradient: 'first += g; second += g * (v - mu);',
};

/**
 * Per chunk: sums over the chunk's values into two slots, [R, chunks, 2, C]: Σx (slot 1 zero),
 * Σ(x − mean)² (slot 1 zero), or Σdy and Σdy·(x − mean). A thread sums one chunk of one row for a channel pair.
 */
export class PartialSumsProgram implements WebGLProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(view: BnttView, plan: ChunkPlan, quantity: PartialQuantity) {
    this.variableNames = QUANTITY_INPUTS[quantity];
    const [, height, width, channels] = view.shape;
    this.outputShape = [view.rows, plan.chunks, 2, channels];
    const hasDy = quantity === 'gradient';
    const hasMean = quantity !== 'sum';
    const add = (half: string) => `{
              vec2 v = xTexel.${half};
              ${hasDy ? `vec2 g = dyTexel.${half};` : ''}
              ${QUANTITY_GLSL[quantity]}
            }`;
    const fetch = (coords: string) => `
            vec4 xTexel = getX(${coords});
            ${hasDy ? `vec4 dyTexel = getDy(${coords});` : ''}`;
    const addLine = view.rowOnW
      ? `
          {
            ${fetch('line, 0, r, c')}
            vec2 v = rowHalf(xTexel, r);
            ${hasDy ? 'vec2 g = rowHalf(dyTexel, r);' : ''}
            ${QUANTITY_GLSL[quantity]}
          }`
      : `
          int o = line / ${height};
          int h = line - o * ${height};
          int p = o * ${view.rows} + r;
          for (int w = 0; w < ${width}; w += 2) {
            ${fetch('p, h, w, c')}
            ${add('xy')}
            ${width % 2 === 0 ? add('zw') : `if (w + 1 < ${width}) ${add('zw')}`}
          }`;
    this.userCode = `
      ${ROW_HALF_GLSL}

      void main() {
        ivec4 coords = getOutputCoords();
        int r = coords.x;
        int chunk = coords.y;
        int c = coords.w;
        ${hasMean ? 'vec2 mu = rowHalf(getMean(r, c), r);' : ''}
        vec2 first = vec2(0.0);
        vec2 second = vec2(0.0);
        for (int i = 0; i < ${plan.linesPerChunk}; i++) {
          int line = chunk * ${plan.linesPerChunk} + i;
          if (line >= ${view.linesPerRow}) break;
          ${addLine}
        }
        setOutput(vec4(first, second));
      }`;
  }
}

/** One slot of the partials [R, chunks, 2, C] summed over chunks in chunk order, divided by `divisor`: [R, C]. */
export class ChunkTotalProgram implements WebGLProgram {
  variableNames = ['partials'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, channels: number, chunks: number, slot: 0 | 1, divisor: number) {
    this.outputShape = [rows, channels];
    const half = slot === 0 ? 'xy' : 'zw';
    this.userCode = `
      void main() {
        ivec2 coords = getOutputCoords();
        int r = coords.x;
        int c = coords.y;
        bool hasNext = r + 1 < ${rows};
        vec2 top = vec2(0.0);
        vec2 bottom = vec2(0.0);
        for (int k = 0; k < ${chunks}; k++) {
          top += getPartials(r, k, 0, c).${half};
          if (hasNext) bottom += getPartials(r + 1, k, 0, c).${half};
        }
        setOutput(${divisor === 1 ? 'vec4(top, bottom)' : `vec4(top, bottom) / ${glslFloat(divisor)}`});
      }`;
  }
}

export const EPSILON_UNIFORM = [{name: 'epsilon', type: 'float' as const}];

/** A packed program computing each texel of the view from per-(row, channel) parameters and ε: see viewTexelGlsl. */
export abstract class ViewTexelProgram extends PackedProgram {
  abstract variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms = EPSILON_UNIFORM;

  protected constructor(view: BnttView, body: string) {
    super();
    this.outputShape = view.shape.slice();
    this.userCode = viewTexelGlsl(view, body);
  }
}

/** y = (x − mean)·gamma/sqrt(variance + ε) + beta over the view. */
export class NormalizeProgram extends ViewTexelProgram {
  variableNames = ['x', 'mean', 'variance', 'gamma', 'beta'];

  constructor(view: BnttView) {
    super(
      view,
      `
        vec4 mu = paramAt(getMean(r, c), r);
        vec4 scale = paramAt(getGamma(r, c), r) / sqrt(paramAt(getVariance(r, c), r) + epsilon);
        vec4 xTexel = getX(coords.x, coords.y, coords.z, c);
        setOutput((xTexel - mu) * scale + paramAt(getBeta(r, c), r));`
    );
  }
}
