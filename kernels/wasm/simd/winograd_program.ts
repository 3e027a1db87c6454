/**
 * The transforms of a Winograd F(4×4, 3×3) convolution (Lavin & Gray, 2016) as WebAssembly SIMD programs; the 36
 * matrix products between them are plane_products_program.ts's (kernels/wasm/winograd.ts runs them all). A 3×3, stride-1 convolution gives each
 * 4×4 tile of the output from a 6×6 tile d of the input:
 *
 *   Y = Aᵀ [ Σ_c (G g G ᵀ)[c, k] ⊙ (Bᵀ d B)[c] ] A
 *
 * so that the 16·9 multiply-adds per tile, input channel and output channel of the direct convolution become 36,
 * one per (ξ, ν) of the 6×6 transformed tile: for each of the 36, a product [tiles, C] × [C, K]. The matrices are
 * those of the interpolation points 0, ±1, ±2 and ∞:
 *
 *   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
 *   G  = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1]
 *   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
 *
 * Layouts (float32, byte addresses): each operand is 36 planes, plane ξ·6 + ν at ξ·6 + ν times the `plane`
 * parameter (bytes) from the first. The transformed filter U has planes [rows, cols] (rows the product's inner
 * axis). Tiles are numbered p over image n, tile row ty, tile column tx in that order, and are transformed in chunks
 * of consecutive tiles from `base`: the chunk's transformed input V has planes [chunk, C] and its products M
 * [chunk, K], tile p in row p − base. The caller pads `plane` to an odd number of 64-byte lines (planeBytes): the
 * programs write or read all 36 planes at one offset, and a plane of a multiple of 4 KiB would put all 36 in one
 * L1 set (3-5× slower on the 32×32×64 layer). Every transform works on four channels at a time, so C and K must be multiples
 * of 4. Input pixels outside the image are read from `zero` (C zeros) and output pixels past the output's edge are
 * written to `sink` (K floats the caller discards), so no border needs its own code.
 */
import {planeProducts} from './plane_products_program';
import {CompiledProgram, compiledProgram, SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  call,
  countUp,
  f32x4,
  f32x4Constant,
  get,
  I32,
  i32,
  load,
  loadLane,
  set,
  store,
  V128,
  WasmFunction,
  whileLoop,
} from './wasm_emit';

/**
 * The byte distance between planes of `bytes` each: an odd number of 64-byte lines, so that the 36 planes at one
 * offset fall in 36 different cache sets.
 */
export function planeBytes(bytes: number): number {
  const lines = Math.ceil(bytes / 64);
  return (lines % 2 === 0 ? lines + 1 : lines) * 64;
}

/** The side of an output tile, and of a transformed tile. */
export const WINOGRAD_TILE = 4;
export const WINOGRAD_POINTS = 6;
/** The number of matrix products: one per position of a transformed tile. */
export const WINOGRAD_PRODUCTS = WINOGRAD_POINTS * WINOGRAD_POINTS;

type Out = (index: number, value: Code) => Code;
const {add, sub, mul} = f32x4;

/** The 6 values of Bᵀ·d for d = the 6 inputs (`get`s of locals), handed to `out`; `t` are 2 scratch locals. */
function inputRows(f: WasmFunction, d: Code[], out: Out, t: [number, number]): Code[] {
  const [c2, c4, c5] = [2, 4, 5].map(v => f32x4Constant(f, v));
  return [
    out(0, add(sub(mul(c4, d[0]), mul(c5, d[2])), d[4])),
    out(5, add(sub(mul(c4, d[1]), mul(c5, d[3])), d[5])),
    set(t[0], add(d[1], d[2])),
    set(t[1], add(d[3], d[4])),
    out(1, sub(get(t[1]), mul(c4, get(t[0])))),
    set(t[0], sub(d[1], d[2])),
    set(t[1], sub(d[4], d[3])),
    out(2, add(get(t[1]), mul(c4, get(t[0])))),
    set(t[0], mul(c2, sub(d[3], d[1]))),
    set(t[1], sub(d[4], d[2])),
    out(3, add(get(t[1]), get(t[0]))),
    out(4, sub(get(t[1]), get(t[0]))),
  ];
}

/** The 6 values of G·g for g = the 3 taps (`get`s of locals); `t` are 2 scratch locals. */
function filterRows(f: WasmFunction, g: Code[], out: Out, t: [number, number]): Code[] {
  const [quarter, sixth, twelfth, twentyFourth] = [1 / 4, 1 / 6, 1 / 12, 1 / 24].map(v => f32x4Constant(f, v));
  const minusSixth = f32x4Constant(f, -1 / 6);
  return [
    out(0, mul(quarter, g[0])),
    out(5, g[2]),
    set(t[0], add(g[0], g[2])),
    out(1, mul(minusSixth, add(get(t[0]), g[1]))),
    out(2, mul(sixth, sub(g[1], get(t[0])))),
    set(t[0], add(mul(twentyFourth, g[0]), mul(sixth, g[2]))),
    set(t[1], mul(twelfth, g[1])),
    out(3, add(get(t[0]), get(t[1]))),
    out(4, sub(get(t[0]), get(t[1]))),
  ];
}

/** The 4 values of Aᵀ·m for m = the 6 products (`get`s of locals); `t` are 4 scratch locals. */
function outputRows(f: WasmFunction, m: Code[], out: Out, t: [number, number, number, number]): Code[] {
  const [c2, c4, c8] = [2, 4, 8].map(v => f32x4Constant(f, v));
  const [s12, d12, s34, d34] = t;
  return [
    set(s12, add(m[1], m[2])),
    set(d12, sub(m[1], m[2])),
    set(s34, add(m[3], m[4])),
    set(d34, sub(m[3], m[4])),
    out(0, add(add(m[0], get(s12)), get(s34))),
    out(1, add(get(d12), mul(c2, get(d34)))),
    out(2, add(get(s12), mul(c4, get(s34)))),
    out(3, add(add(get(d12), mul(c8, get(d34))), m[5])),
  ];
}

const locals = (f: WasmFunction, type: typeof I32 | typeof V128, count: number): number[] =>
  Array.from({length: count}, () => f.local(type));

/** The filter transform's parameters, in order (i32: byte addresses, sizes, byte strides that may be negative). */
export const WINOGRAD_FILTER_PARAMS = [
  'w',
  'u',
  'rows',
  'cols',
  'tapStride',
  'rowStride',
  'colStride',
  'plane',
] as const;

/**
 * U[ξ·6 + ν, row, col] = Σ_{i, j} G[ξ, i] G[ν, j] · w[w + (3i + j)·tapStride + row·rowStride + col·colStride], four
 * cols at a time. With colStride 4 the four are one load; otherwise (`gather`) four lane loads.
 */
function filterTransform(gather: boolean): WasmFunction {
  const f = new WasmFunction('winogradFilter', WINOGRAD_FILTER_PARAMS.length);
  const [w, u, rows, cols, tapStride, rowStride, colStride, plane] = WINOGRAD_FILTER_PARAMS.map((_, i) => i);
  const [row, col, at, to] = locals(f, I32, 4);
  const g = locals(f, V128, 9);
  const h = locals(f, V128, 18);
  const t = locals(f, V128, 2) as [number, number];
  const tap = (k: number): Code => i32.add(get(at), i32.mul(i32.const(k), get(tapStride)));
  const read = (address: Code): Code => {
    if (!gather) return load(address);
    let v = f32x4.splat(0);
    for (let lane = 0; lane < 4; lane++) {
      v = loadLane(i32.add(address, i32.mul(i32.const(lane), get(colStride))), v, lane);
    }
    return v;
  };
  const body: Code[] = [
    set(at, i32.add(i32.add(get(w), i32.mul(get(row), get(rowStride))), i32.mul(get(col), get(colStride)))),
    ...g.map((local, k) => set(local, read(tap(k)))),
  ];
  // Along j within each filter row i: h[i][ν]; then along i: U[ξ][ν], stored at to + (6ξ + ν)·plane.
  for (let i = 0; i < 3; i++) {
    body.push(
      ...filterRows(
        f,
        [0, 1, 2].map(j => get(g[3 * i + j])),
        (nu, value) => set(h[6 * i + nu], value),
        t
      )
    );
  }
  body.push(set(to, i32.add(get(u), i32.mul(i32.add(i32.mul(get(row), get(cols)), get(col)), i32.const(4)))));
  for (let nu = 0; nu < 6; nu++) {
    body.push(
      ...filterRows(
        f,
        [0, 1, 2].map(i => get(h[6 * i + nu])),
        (xi, value) => store(i32.add(get(to), i32.mul(i32.const(6 * xi + nu), get(plane))), value),
        t
      )
    );
  }
  f.emit(
    countUp(
      row,
      get(rows),
      set(col, i32.const(0)),
      whileLoop(i32.ltS(get(col), get(cols)), ...body, set(col, i32.add(get(col), i32.const(4))))
    )
  );
  return f;
}

/**
 * The parameters the tile transforms share, after their three byte addresses (the array read, a zero or sink area,
 * the array written): the chunk's first tile (`base`), the range of tiles of this call, the image read or written
 * ([height, width, channels]) and the tile grid.
 */
export const TILE_WALK_PARAMS = [
  'base',
  'firstTile',
  'endTile',
  'height',
  'width',
  'channels',
  'tilesDown',
  'tilesAcross',
] as const;

/** The input transform's parameters, in order (i32). */
export const WINOGRAD_INPUT_PARAMS = ['x', 'zero', 'v', ...TILE_WALK_PARAMS, 'top', 'left', 'plane'] as const;

/** The first pixel of tile p's 6×6 (or 4×4) window: image n, row ty·4 − top, column tx·4 − left. */
function tileOrigin(
  f: WasmFunction,
  p: number,
  tilesDown: number,
  tilesAcross: number,
  n: number,
  row0: number,
  col0: number
): Code[] {
  const [perImage, rest, ty] = locals(f, I32, 3);
  return [
    set(perImage, i32.mul(get(tilesDown), get(tilesAcross))),
    set(n, i32.divU(get(p), get(perImage))),
    set(rest, i32.sub(get(p), i32.mul(get(n), get(perImage)))),
    set(ty, i32.divU(get(rest), get(tilesAcross))),
    set(row0, i32.mul(get(ty), i32.const(WINOGRAD_TILE))),
    set(col0, i32.mul(i32.sub(get(rest), i32.mul(get(ty), get(tilesAcross))), i32.const(WINOGRAD_TILE))),
  ];
}

/**
 * The walk the tile transforms share: for each tile p in [firstTile, endTile), `setup` (its window's addresses),
 * then `perChannels` for every 16 bytes cb of a pixel's channels (four at a time).
 */
function overTiles(
  at: {p: number; firstTile: number; endTile: number; cb: number; pixelBytes: number},
  setup: Code[],
  perChannels: Code[]
): Code {
  const {p, firstTile, endTile, cb, pixelBytes} = at;
  return [
    ...set(p, get(firstTile)),
    ...whileLoop(
      i32.ltS(get(p), get(endTile)),
      ...setup,
      set(cb, i32.const(0)),
      whileLoop(i32.ltS(get(cb), get(pixelBytes)), ...perChannels, set(cb, i32.add(get(cb), i32.const(16)))),
      set(p, i32.add(get(p), i32.const(1)))
    ),
  ];
}

/**
 * The byte addresses of a size × size window's pixels into `address` (row-major): pixel (r, s) of the window whose
 * first pixel is row `row0`, column `col0` of the image at `image`, or `outside` where that pixel is not in the
 * image (a zero to read, or a sink to write).
 */
function windowAddresses(
  f: WasmFunction,
  size: number,
  at: {row0: number; col0: number; image: number; outside: number},
  dims: {height: number; width: number; rowBytes: number; pixelBytes: number},
  address: number[]
): Code[] {
  const [row, rowAt, rowOk] = locals(f, I32, 3);
  const colAt = locals(f, I32, size);
  const colOk = locals(f, I32, size);
  const code: Code[] = [];
  for (let s = 0; s < size; s++) {
    code.push(
      set(colOk[s], i32.ltU(i32.add(get(at.col0), i32.const(s)), get(dims.width))),
      set(colAt[s], i32.mul(i32.add(get(at.col0), i32.const(s)), get(dims.pixelBytes)))
    );
  }
  for (let r = 0; r < size; r++) {
    code.push(
      set(row, i32.add(get(at.row0), i32.const(r))),
      set(rowOk, i32.ltU(get(row), get(dims.height))),
      set(rowAt, i32.add(get(at.image), i32.mul(get(row), get(dims.rowBytes))))
    );
    for (let s = 0; s < size; s++) {
      code.push(
        set(
          address[size * r + s],
          i32.select(i32.add(get(rowAt), get(colAt[s])), get(at.outside), i32.and(get(rowOk), get(colOk[s])))
        )
      );
    }
  }
  return code;
}

/**
 * For each tile in [firstTile, endTile) and four channels at a time: V[ξ·6 + ν, p − base, c] = (Bᵀ d B)[ξ, ν] of the 6×6
 * window d of x ([batch, height, width, channels]) at row ty·4 − top, column tx·4 − left.
 */
function inputTransform(): WasmFunction {
  const f = new WasmFunction('winogradInput', WINOGRAD_INPUT_PARAMS.length);
  const [x, zero, v, base, firstTile, endTile, height, width, channels, tilesDown, tilesAcross, top, left, plane] =
    WINOGRAD_INPUT_PARAMS.map((_, i) => i);
  // The inner loop's locals first: an index under 128 is one byte, and the program must stay under 4 KB.
  [2, 4, 5].forEach(value => f32x4Constant(f, value));
  const d = locals(f, V128, 6);
  const t = locals(f, V128, 2) as [number, number];
  const rowsT = locals(f, V128, 36);
  const address = locals(f, I32, 36);
  const [cb, out, outNu, pixelBytes] = locals(f, I32, 4);
  // planes[ξ]: the byte distance from V[ν] to V[6ξ + ν].
  const planes = locals(f, I32, 6);
  const [p, n, row0, col0, rowBytes, image] = locals(f, I32, 6);
  const setup: Code[] = [
    ...tileOrigin(f, p, tilesDown, tilesAcross, n, row0, col0),
    set(row0, i32.sub(get(row0), get(top))),
    set(col0, i32.sub(get(col0), get(left))),
    set(image, i32.add(get(x), i32.mul(i32.mul(get(n), get(height)), get(rowBytes)))),
    ...windowAddresses(f, 6, {row0, col0, image, outside: zero}, {height, width, rowBytes, pixelBytes}, address),
  ];
  const perChannels: Code[] = [];
  // Along each window row r: rowsT[r][ν] = (d[r] B)[ν]; then along the rows: V[ξ][ν], at out + (6ξ + ν)·plane.
  for (let r = 0; r < 6; r++) {
    perChannels.push(...d.map((local, s) => set(local, load(i32.add(get(address[6 * r + s]), get(cb))))));
    perChannels.push(...inputRows(f, d.map(get), (nu, value) => set(rowsT[6 * r + nu], value), t));
  }
  perChannels.push(set(out, i32.add(i32.add(get(v), i32.mul(i32.sub(get(p), get(base)), get(pixelBytes))), get(cb))));
  for (let nu = 0; nu < 6; nu++) {
    perChannels.push(
      set(outNu, i32.add(get(out), i32.mul(i32.const(nu), get(plane)))),
      ...inputRows(
        f,
        [0, 1, 2, 3, 4, 5].map(r => get(rowsT[6 * r + nu])),
        (xi, value) => store(i32.add(get(outNu), get(planes[xi])), value),
        t
      )
    );
  }
  f.emit(
    set(pixelBytes, i32.mul(get(channels), i32.const(4))),
    set(rowBytes, i32.mul(get(width), get(pixelBytes))),
    ...planes.map((local, xi) => set(local, i32.mul(i32.const(6 * xi), get(plane)))),
    overTiles({p, firstTile, endTile, cb, pixelBytes}, setup, perChannels)
  );
  return f;
}

/** The output transform's parameters, in order (i32). */
export const WINOGRAD_OUTPUT_PARAMS = ['m', 'y', 'sink', ...TILE_WALK_PARAMS, 'plane'] as const;

/**
 * For each tile in [firstTile, endTile) and four channels at a time: the 4×4 output tile Aᵀ M A of the products M
 * (planes [chunk, channels], tile p in row p − base) into y ([batch, height, width, channels]) at row ty·4, column tx·4; pixels past y's
 * edge go to `sink`.
 */
function outputTransform(): WasmFunction {
  const f = new WasmFunction('winogradOutput', WINOGRAD_OUTPUT_PARAMS.length);
  const [m, y, sink, base, firstTile, endTile, height, width, channels, tilesDown, tilesAcross, plane] =
    WINOGRAD_OUTPUT_PARAMS.map((_, i) => i);
  const [p, n, row0, col0, pixelBytes, rowBytes, cb, from, image] = locals(f, I32, 9);
  const address = locals(f, I32, 16);
  const mRow = locals(f, V128, 6);
  const rowsT = locals(f, V128, 24);
  const t = locals(f, V128, 4) as [number, number, number, number];
  const setup: Code[] = [
    ...tileOrigin(f, p, tilesDown, tilesAcross, n, row0, col0),
    set(image, i32.add(get(y), i32.mul(i32.mul(get(n), get(height)), get(rowBytes)))),
    ...windowAddresses(f, 4, {row0, col0, image, outside: sink}, {height, width, rowBytes, pixelBytes}, address),
  ];
  const perChannels: Code[] = [
    set(from, i32.add(i32.add(get(m), i32.mul(i32.sub(get(p), get(base)), get(pixelBytes))), get(cb))),
  ];
  // Along ν within each row ξ of M: rowsT[ξ][b] = (M[ξ] A)[b]; then along ξ: Y[a][b].
  for (let xi = 0; xi < 6; xi++) {
    perChannels.push(
      ...mRow.map((local, nu) => set(local, load(i32.add(get(from), i32.mul(i32.const(6 * xi + nu), get(plane))))))
    );
    perChannels.push(...outputRows(f, mRow.map(get), (b, value) => set(rowsT[4 * xi + b], value), t));
  }
  for (let b = 0; b < 4; b++) {
    perChannels.push(
      ...outputRows(
        f,
        [0, 1, 2, 3, 4, 5].map(xi => get(rowsT[4 * xi + b])),
        (a, value) => store(i32.add(get(address[4 * a + b]), get(cb)), value),
        t
      )
    );
  }
  f.emit(
    set(pixelBytes, i32.mul(get(channels), i32.const(4))),
    set(rowBytes, i32.mul(get(width), get(pixelBytes))),
    overTiles({p, firstTile, endTile, cb, pixelBytes}, setup, perChannels)
  );
  return f;
}

/** The 6 values of A·g (A = (Aᵀ)ᵀ, 6×4) for g = the 4 values of a dy tile's row or column; `t` 2 scratch locals. */
function gradientRows(f: WasmFunction, g: Code[], out: Out, t: [number, number]): Code[] {
  const [c2, c4, c8] = [2, 4, 8].map(v => f32x4Constant(f, v));
  return [
    out(0, g[0]),
    out(5, g[3]),
    set(t[0], add(g[0], g[2])),
    set(t[1], add(g[1], g[3])),
    out(1, add(get(t[0]), get(t[1]))),
    out(2, sub(get(t[0]), get(t[1]))),
    set(t[0], add(g[0], mul(c4, g[2]))),
    set(t[1], add(mul(c2, g[1]), mul(c8, g[3]))),
    out(3, add(get(t[0]), get(t[1]))),
    out(4, sub(get(t[0]), get(t[1]))),
  ];
}

/** The 3 values of Gᵀ·s for s = 6 sums of products (`get`s of locals); `t` 2 scratch locals. */
function filterGradRows(f: WasmFunction, s: Code[], out: Out, t: [number, number]): Code[] {
  const [quarter, sixth, twelfth, twentyFourth] = [1 / 4, 1 / 6, 1 / 12, 1 / 24].map(v => f32x4Constant(f, v));
  return [
    set(t[0], add(s[1], s[2])),
    set(t[1], add(s[3], s[4])),
    out(0, add(sub(mul(quarter, s[0]), mul(sixth, get(t[0]))), mul(twentyFourth, get(t[1])))),
    out(2, add(mul(sixth, sub(get(t[1]), get(t[0]))), s[5])),
    out(1, add(mul(sixth, sub(s[2], s[1])), mul(twelfth, sub(s[3], s[4])))),
  ];
}

/** The dy transform's parameters, in order (i32). */
export const WINOGRAD_GRADIENT_PARAMS = ['dy', 'zero', 'd', ...TILE_WALK_PARAMS, 'plane'] as const;

/**
 * For the filter gradient: for each tile in [firstTile, endTile) and four channels at a time, D[ξ·6 + ν, p − base, k]
 * = (A g Aᵀ)[ξ, ν] of the 4×4 tile g of dy ([batch, height, width, channels], zeros past its edge) at row ty·4,
 * column tx·4. D has planes [chunk, channels], as the input transform's V.
 */
function gradientTransform(): WasmFunction {
  const f = new WasmFunction('winogradGradient', WINOGRAD_GRADIENT_PARAMS.length);
  const [dy, zero, d, base, firstTile, endTile, height, width, channels, tilesDown, tilesAcross, plane] =
    WINOGRAD_GRADIENT_PARAMS.map((_, i) => i);
  [2, 4, 8].forEach(value => f32x4Constant(f, value));
  const g = locals(f, V128, 16);
  const t = locals(f, V128, 2) as [number, number];
  const rowsT = locals(f, V128, 24);
  const address = locals(f, I32, 16);
  const [cb, out, outNu, pixelBytes] = locals(f, I32, 4);
  // planes[ξ]: the byte distance from D[ν] to D[6ξ + ν].
  const planes = locals(f, I32, 6);
  const [p, n, row0, col0, rowBytes, image] = locals(f, I32, 6);
  const setup: Code[] = [
    ...tileOrigin(f, p, tilesDown, tilesAcross, n, row0, col0),
    set(image, i32.add(get(dy), i32.mul(i32.mul(get(n), get(height)), get(rowBytes)))),
    ...windowAddresses(f, 4, {row0, col0, image, outside: zero}, {height, width, rowBytes, pixelBytes}, address),
  ];
  const perChannels: Code[] = [];
  // Along each tile row a: rowsT[a][ν] = (g[a] Aᵀ)[ν]; then along the rows: D[ξ][ν], at out + (6ξ + ν)·plane.
  for (let a = 0; a < 4; a++) {
    perChannels.push(...[0, 1, 2, 3].map(b => set(g[4 * a + b], load(i32.add(get(address[4 * a + b]), get(cb))))));
    perChannels.push(
      ...gradientRows(
        f,
        [0, 1, 2, 3].map(b => get(g[4 * a + b])),
        (nu, v) => set(rowsT[6 * a + nu], v),
        t
      )
    );
  }
  perChannels.push(set(out, i32.add(i32.add(get(d), i32.mul(i32.sub(get(p), get(base)), get(pixelBytes))), get(cb))));
  for (let nu = 0; nu < 6; nu++) {
    perChannels.push(
      set(outNu, i32.add(get(out), i32.mul(i32.const(nu), get(plane)))),
      ...gradientRows(
        f,
        [0, 1, 2, 3].map(a => get(rowsT[6 * a + nu])),
        (xi, v) => store(i32.add(get(outNu), get(planes[xi])), v),
        t
      )
    );
  }
  f.emit(
    set(pixelBytes, i32.mul(get(channels), i32.const(4))),
    set(rowBytes, i32.mul(get(width), get(pixelBytes))),
    ...planes.map((local, xi) => set(local, i32.mul(i32.const(6 * xi), get(plane)))),
    overTiles({p, firstTile, endTile, cb, pixelBytes}, setup, perChannels)
  );
  return f;
}

/** The filter gradient's last transform's parameters, in order (i32). */
export const WINOGRAD_FILTER_GRAD_PARAMS = ['s', 'dw', 'inChannels', 'outChannels', 'plane'] as const;

/**
 * dW[i, j, c, k] += Σ_{ξ, ν} G[ξ, i] G[ν, j] · S[ξ·6 + ν, k, c] for S (planes [outChannels, inChannels], the sums
 * of the products over all tiles) and dW [3, 3, inChannels, outChannels], four k at a time (S read lane by lane).
 */
function filterGradTransform(): WasmFunction {
  const f = new WasmFunction('winogradFilterGrad', WINOGRAD_FILTER_GRAD_PARAMS.length);
  const [s, dw, inChannels, outChannels, plane] = WINOGRAD_FILTER_GRAD_PARAMS.map((_, i) => i);
  [1 / 4, 1 / 6, 1 / 12, 1 / 24].forEach(value => f32x4Constant(f, value));
  const m = locals(f, V128, 36);
  const h = locals(f, V128, 18);
  const t = locals(f, V128, 2) as [number, number];
  const [c, k, at, to, tap] = locals(f, I32, 5);
  // lanes[l]: the byte distance from S[ξ][k][c] to S[ξ][k + l][c].
  const lanes = locals(f, I32, 4);
  const lane = lanes[1];
  const zeros = f32x4Constant(f, 0);
  const gather = (address: Code): Code => {
    let v = zeros;
    for (let l = 0; l < 4; l++) v = loadLane(l === 0 ? address : i32.add(address, get(lanes[l])), v, l);
    return v;
  };
  const body: Code[] = [
    // S[ξ][k + l][c] at S[0][k][c] + ξ·plane + l·lane.
    set(at, i32.add(get(s), i32.mul(i32.add(i32.mul(get(k), get(inChannels)), get(c)), i32.const(4)))),
  ];
  m.forEach(local => body.push(set(local, gather(get(at))), set(at, i32.add(get(at), get(plane)))));
  for (let xi = 0; xi < 6; xi++) {
    body.push(
      ...filterGradRows(
        f,
        [0, 1, 2, 3, 4, 5].map(nu => get(m[6 * xi + nu])),
        (j, v) => set(h[3 * xi + j], v),
        t
      )
    );
  }
  body.push(set(to, i32.add(get(dw), i32.mul(i32.add(i32.mul(get(c), get(outChannels)), get(k)), i32.const(4)))));
  for (let j = 0; j < 3; j++) {
    body.push(
      ...filterGradRows(
        f,
        [0, 1, 2, 3, 4, 5].map(xi => get(h[3 * xi + j])),
        (i, v) => {
          const address = i32.add(get(to), i32.mul(i32.const(3 * i + j), get(tap)));
          return store(address, add(load(address), v));
        },
        t
      )
    );
  }
  f.emit(
    set(lane, i32.mul(get(inChannels), i32.const(4))),
    set(lanes[2], i32.add(get(lane), get(lane))),
    set(lanes[3], i32.add(get(lanes[2]), get(lane))),
    set(tap, i32.mul(get(outChannels), get(lane))),
    countUp(
      c,
      get(inChannels),
      set(k, i32.const(0)),
      whileLoop(i32.ltS(get(k), get(outChannels)), ...body, set(k, i32.add(get(k), i32.const(4))))
    )
  );
  return f;
}

/** The convolution's chunks program's parameters, in order (i32: byte addresses, then sizes). */
export const WINOGRAD_CONV_CHUNKS_PARAMS = [
  'x',
  'zero',
  'v',
  'm',
  'y',
  'sink',
  'u',
  'firstTile',
  'endTile',
  'chunk',
  'inHeight',
  'inWidth',
  'inChannels',
  'outHeight',
  'outWidth',
  'outChannels',
  'tilesDown',
  'tilesAcross',
  'top',
  'left',
  'vPlane',
  'uPlane',
  'mPlane',
] as const;

/**
 * A whole convolution over tiles [firstTile, endTile) in chunks of `chunk` tiles: per chunk the input transform
 * into V, the 36 products M = V U (plane_products_program.ts's 'rows') and the output transform into y, each a
 * function of this module. A program worker given a range of tiles (and a V and an M of its own) runs it with no
 * further hand-over: the three programs called one by one hand each chunk's halves to the workers three times.
 * The module (8 KB) runs only with program workers, in Node: Chrome before 114 would not compile it synchronously.
 */
function convChunks(): WasmFunction {
  const f = new WasmFunction('winogradConvChunks', WINOGRAD_CONV_CHUNKS_PARAMS.length);
  const p = Object.fromEntries(WINOGRAD_CONV_CHUNKS_PARAMS.map((name, i) => [name, i])) as Record<
    (typeof WINOGRAD_CONV_CHUNKS_PARAMS)[number],
    number
  >;
  const [input, products, output] = [inputTransform(), planeProducts('rows'), outputTransform()].map(helper =>
    f.uses(helper)
  );
  const [base, end] = locals(f, I32, 2);
  const walk = (...names: Array<keyof typeof p>) => names.map(name => get(p[name]));
  f.emit(
    set(base, get(p.firstTile)),
    whileLoop(
      i32.ltS(get(base), get(p.endTile)),
      set(end, i32.add(get(base), get(p.chunk))),
      set(end, i32.select(get(end), get(p.endTile), i32.ltS(get(end), get(p.endTile)))),
      call(
        input,
        ...walk('x', 'zero', 'v'),
        get(base),
        get(base),
        get(end),
        ...walk('inHeight', 'inWidth', 'inChannels', 'tilesDown', 'tilesAcross', 'top', 'left', 'vPlane')
      ),
      call(
        products,
        ...walk('v', 'u', 'm'),
        i32.sub(get(end), get(base)),
        ...walk('outChannels', 'inChannels'),
        i32.const(0),
        i32.const(WINOGRAD_PRODUCTS),
        ...walk('vPlane', 'uPlane', 'mPlane'),
        i32.const(0)
      ),
      call(
        output,
        ...walk('m', 'y', 'sink'),
        get(base),
        get(base),
        get(end),
        ...walk('outHeight', 'outWidth', 'outChannels', 'tilesDown', 'tilesAcross', 'mPlane')
      ),
      set(base, get(end))
    )
  );
  return f;
}

/** A transform: `on` instantiates it on a memory, `program` gives its module for program workers (one key, both). */
export interface WinogradProgram {
  on(memory: WebAssembly.Memory): SimdFunction;
  program(memory: WebAssembly.Memory): CompiledProgram;
}

function programOf(key: string, build: () => WasmFunction): WinogradProgram {
  return {on: memory => simdFunction(memory, key, build), program: memory => compiledProgram(memory, key, build)};
}

/** The filter transform; `gather` when the four cols of a vector are not adjacent in w. */
export const winogradFilterProgram = (gather: boolean): WinogradProgram =>
  programOf(`winogradFilter|${gather}`, () => filterTransform(gather));
export const winogradInputProgram = programOf('winogradInput', inputTransform);
export const winogradOutputProgram = programOf('winogradOutput', outputTransform);
export const winogradGradientProgram = programOf('winogradGradient', gradientTransform);
export const winogradFilterGradProgram = programOf('winogradFilterGrad', filterGradTransform);
/** The whole convolution in chunks (one module of the input transform, the products and the output transform). */
export const winogradConvChunksProgram = programOf('winogradConvChunks', convChunks);

/** The programs' functions, for tests of their sizes (each must compile synchronously, SYNC_COMPILE_BYTES). */
export const WINOGRAD_FUNCTIONS = {
  filterTransform,
  inputTransform,
  outputTransform,
  gradientTransform,
  filterGradTransform,
  convChunks,
};
