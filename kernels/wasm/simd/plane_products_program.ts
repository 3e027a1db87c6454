/**
 * The matrix products of a Winograd convolution (kernels/wasm/winograd.ts) and of a dense layer (batch_mat_mul.ts)
 * as a WebAssembly SIMD program: for each of a range of planes (the 36 of a transformed tile; one for a dense
 * layer), one product of two row-major float32 matrices, in one of two forms:
 *
 *   'rows':  out[i][j]  = Σ_l a[i][l] · b[l][j]   a [rows, depth], b [depth, cols], out [rows, cols]
 *   'sums':  out[i][j] += Σ_l a[l][i] · b[l][j]   a [depth, rows], b [depth, cols], out [rows, cols]
 *
 * 'rows' is the convolution's M = V U (tiles × input channels by input × output channels) and a dense layer's x·W;
 * 'sums' is the filter gradient's S += Dᵀ V, summed over a chunk of tiles (the depth) and added to S, which
 * collects every chunk, and a dense layer's xᵀ·dy (into zeros).
 *
 * A register tile of {@link PRODUCTS_TILE}'s rows of `out` by its vectors of four columns keeps its sums in
 * registers through the whole depth: each step loads the tile's columns of one row of b and splats one value of a
 * per row (`v128.load32_splat`). 4 rows × 8 columns (8 sums, 2 vectors of b, 1 splat: 11 of x64's 16 vector
 * registers) ran 53-64 GFLOP/s on one thread here (AMD EPYC, VGG9's planes), where XNNPACK's fully-connected
 * operator runs 38-44 with its packed operand cached and 24 when it packs afresh; 4 × 12 ran out of registers (31
 * GFLOP/s).
 * The last columns (a multiple of four past the last whole tile) take a tile one vector wide, the last rows (past a
 * multiple of the tile's) a tile one row high.
 *
 * Planes are `aPlane`, `bPlane` and `outPlane` bytes apart; every address and size is the caller's to check.
 */
import {CompiledProgram, compiledProgram, SimdFunction, simdFunction} from './simd_runtime';
import {
  Code,
  f32x4,
  f32x4Constant,
  get,
  I32,
  i32,
  ifThen,
  load,
  loadSplat,
  set,
  store,
  V128,
  WasmFunction,
  whileLoop,
} from './wasm_emit';

/** The program's parameters, in order (i32: byte addresses, sizes in floats, plane distances in bytes). */
export const PLANE_PRODUCTS_PARAMS = [
  'a',
  'b',
  'out',
  'rows',
  'cols',
  'depth',
  'firstPlane',
  'endPlane',
  'aPlane',
  'bPlane',
  'outPlane',
  'pack',
] as const;

/** How a's values are laid out, and whether out is written or added to (see the file's header). */
export type ProductsForm = 'rows' | 'sums';

/** A register tile: rows of `out` by vectors of four columns. */
export interface ProductsTile {
  rows: number;
  vectors: number;
}

export const PRODUCTS_TILE: ProductsTile = {rows: 4, vectors: 2};

/**
 * The program walks out in blocks of these many columns and of the depth (a multiple of 4), so that b's block
 * (256 × 256 floats, 256 KiB) stays in the L2 cache while every row block of a passes over it: a matrix of a
 * dense layer's weights (VGG9's [4096, 1024], 16 MiB) would otherwise come from memory once per 4 rows. The
 * Winograd planes (depth and columns at most 256) are one block.
 */
export const PRODUCTS_BLOCK = {depth: 256, cols: 256};

/**
 * The products of `form` (options: the register tile, a parameter for benches, the default measured; packing;
 * the depth of a block). `packed` ('rows' only): each block of b is first copied to `pack` (PRODUCTS_BLOCK's
 * floats), a panel of the tile's columns after another, each panel's rows adjacent, so that a tile reads b in one
 * stream. Without it a tile steps down b's rows; rows a multiple of 4 KiB apart (a dense layer's 1024 columns) then
 * fall in one L1 set.
 */
export function planeProducts(form: ProductsForm, options: ProductsOptions = {}): WasmFunction {
  const {tile = PRODUCTS_TILE, packed = false, depthBlock = PRODUCTS_BLOCK.depth} = options;
  if (packed && form !== 'rows') throw new Error(`planeProducts: packed applies to 'rows' only, not '${form}'`);
  if (!(Number.isInteger(depthBlock) && depthBlock >= 1)) {
    throw new Error(`planeProducts: depthBlock must be an integer ≥ 1; got ${depthBlock}`);
  }
  const f = new WasmFunction(`planeProducts_${form}${packed ? '_packed' : ''}`, PLANE_PRODUCTS_PARAMS.length);
  const [a, b, out, rows, cols, depth, firstPlane, endPlane, aPlane, bPlane, outPlane, pack] =
    PLANE_PRODUCTS_PARAMS.map((_, i) => i);
  const sums = form === 'sums';
  const [plane, i, j, pa, pb, end, at, aBase, bBase, outBase, aStep, aRow, colBytes] = locals(f, I32, 13);
  const [kc, kcLength, nc, ncEnd] = locals(f, I32, 4);
  // 'rows': the byte distance from a's row i to row i + r (r ≥ 1).
  const rowOffsets = locals(f, I32, tile.rows);
  const acc = locals(f, V128, tile.rows * tile.vectors);
  const bv = locals(f, V128, tile.vectors);
  const splat = f.local(V128);
  const zeros = f32x4Constant(f, 0);
  const outAt = (r: number): Code => (r === 0 ? get(at) : i32.add(get(at), i32.mul(i32.const(r), get(colBytes))));
  /** a's value for tile row r at the step's column (or row, for 'sums') `pa`. */
  const aValue = (r: number): Code =>
    sums ? loadSplat(get(pa), 4 * r) : loadSplat(r === 0 ? get(pa) : i32.add(get(pa), get(rowOffsets[r])));
  const min = (x: Code, y: Code): Code => i32.select(x, y, i32.ltS(x, y));

  /**
   * One tile of `height` rows and `vectors` vectors at out row i, column j, over the depth block [kc, kc +
   * kcLength); then j moves past it. 'rows' starts from out after the first block; 'sums' adds to out.
   */
  const tileCode = (height: number, vectors: number): Code[] => {
    const sum = (r: number, v: number) => acc[r * tile.vectors + v];
    const code: Code[] = [
      set(at, i32.add(get(outBase), i32.mul(i32.add(i32.mul(get(i), get(cols)), get(j)), i32.const(4)))),
    ];
    for (let r = 0; r < height; r++) for (let v = 0; v < vectors; v++) code.push(set(sum(r, v), zeros));
    if (!sums) {
      const loads: Code[] = [];
      for (let r = 0; r < height; r++)
        for (let v = 0; v < vectors; v++) loads.push(set(sum(r, v), load(outAt(r), 16 * v)));
      code.push(ifThen(i32.gtS(get(kc), i32.const(0)), ...loads));
    }
    code.push(
      set(
        pa,
        i32.add(i32.add(get(aBase), i32.mul(get(i), sums ? i32.const(4) : get(aRow))), i32.mul(get(kc), get(aStep)))
      ),
      set(
        pb,
        packed
          ? i32.add(get(pack), i32.mul(i32.mul(i32.sub(get(j), get(nc)), get(kcLength)), i32.const(4)))
          : i32.add(i32.add(get(bBase), i32.mul(get(kc), get(colBytes))), i32.mul(get(j), i32.const(4)))
      ),
      set(end, i32.add(get(pa), i32.mul(get(kcLength), get(aStep))))
    );
    const step: Code[] = [];
    for (let v = 0; v < vectors; v++) step.push(set(bv[v], load(get(pb), 16 * v)));
    for (let r = 0; r < height; r++) {
      step.push(set(splat, aValue(r)));
      for (let v = 0; v < vectors; v++) {
        step.push(set(sum(r, v), f32x4.add(get(sum(r, v)), f32x4.mul(get(splat), get(bv[v])))));
      }
    }
    step.push(
      set(pa, i32.add(get(pa), get(aStep))),
      set(pb, i32.add(get(pb), packed ? i32.const(16 * vectors) : get(colBytes)))
    );
    code.push(whileLoop(i32.ltU(get(pa), get(end)), ...step));
    for (let r = 0; r < height; r++) {
      for (let v = 0; v < vectors; v++) {
        const value = sums ? f32x4.add(load(outAt(r), 16 * v), get(sum(r, v))) : get(sum(r, v));
        code.push(store(outAt(r), value, 16 * v));
      }
    }
    code.push(set(j, i32.add(get(j), i32.const(4 * vectors))));
    return code;
  };

  /** The columns [nc, ncEnd) of `height` rows from row i: whole tiles, then one vector at a time. */
  const columns = (height: number): Code[] => [
    set(j, get(nc)),
    whileLoop(i32.geS(i32.sub(get(ncEnd), get(j)), i32.const(4 * tile.vectors)), ...tileCode(height, tile.vectors)),
    ...(tile.vectors > 1 ? [whileLoop(i32.ltS(get(j), get(ncEnd)), ...tileCode(height, 1))] : []),
    set(i, i32.add(get(i), i32.const(height))),
  ];

  /** `packed`: b's panel of `vectors` vectors from column j of the block to pack (j − nc)·kcLength floats on. */
  const panel = (vectors: number): Code[] => {
    const copy: Code[] = [];
    for (let v = 0; v < vectors; v++) copy.push(store(get(pb), load(get(pa), 16 * v), 16 * v));
    return [
      set(pa, i32.add(i32.add(get(bBase), i32.mul(get(kc), get(colBytes))), i32.mul(get(j), i32.const(4)))),
      set(pb, i32.add(get(pack), i32.mul(i32.mul(i32.sub(get(j), get(nc)), get(kcLength)), i32.const(4)))),
      set(end, i32.add(get(pa), i32.mul(get(kcLength), get(colBytes)))),
      whileLoop(
        i32.ltU(get(pa), get(end)),
        ...copy,
        set(pa, i32.add(get(pa), get(colBytes))),
        set(pb, i32.add(get(pb), i32.const(16 * vectors)))
      ),
      set(j, i32.add(get(j), i32.const(4 * vectors))),
    ];
  };
  const packing: Code[] = packed
    ? [
        set(j, get(nc)),
        whileLoop(i32.geS(i32.sub(get(ncEnd), get(j)), i32.const(4 * tile.vectors)), ...panel(tile.vectors)),
        ...(tile.vectors > 1 ? [whileLoop(i32.ltS(get(j), get(ncEnd)), ...panel(1))] : []),
      ]
    : [];

  /** Every row, over the block of columns [nc, ncEnd) and of depth [kc, kc + kcLength). */
  const block: Code[] = [
    ...packing,
    set(i, i32.const(0)),
    whileLoop(i32.geS(i32.sub(get(rows), get(i)), i32.const(tile.rows)), ...columns(tile.rows)),
    ...(tile.rows > 1 ? [whileLoop(i32.ltS(get(i), get(rows)), ...columns(1))] : []),
  ];

  f.emit(
    set(colBytes, i32.mul(get(cols), i32.const(4))),
    // 'sums': a's rows are the depth, `rows` floats each; 'rows': a's rows are out's, `depth` floats each.
    set(aStep, sums ? i32.mul(get(rows), i32.const(4)) : i32.const(4)),
    set(aRow, i32.mul(get(depth), i32.const(4))),
    ...rowOffsets.slice(1).map((local, r) => set(local, i32.mul(i32.const(r + 1), get(aRow)))),
    set(plane, get(firstPlane)),
    whileLoop(
      i32.ltS(get(plane), get(endPlane)),
      set(aBase, i32.add(get(a), i32.mul(get(plane), get(aPlane)))),
      set(bBase, i32.add(get(b), i32.mul(get(plane), get(bPlane)))),
      set(outBase, i32.add(get(out), i32.mul(get(plane), get(outPlane)))),
      set(kc, i32.const(0)),
      whileLoop(
        i32.ltS(get(kc), get(depth)),
        set(kcLength, min(i32.const(depthBlock), i32.sub(get(depth), get(kc)))),
        set(nc, i32.const(0)),
        whileLoop(
          i32.ltS(get(nc), get(cols)),
          set(ncEnd, min(i32.add(get(nc), i32.const(PRODUCTS_BLOCK.cols)), get(cols))),
          ...block,
          set(nc, get(ncEnd))
        ),
        set(kc, i32.add(get(kc), get(kcLength)))
      ),
      set(plane, i32.add(get(plane), i32.const(1)))
    )
  );
  return f;
}

/** How {@link planeProducts} is built. */
export interface ProductsOptions {
  /** The register tile (PRODUCTS_TILE). */
  tile?: ProductsTile;
  /** 'rows' only: copy each block of b to `pack` first. */
  packed?: boolean;
  /**
   * The depth of a block (PRODUCTS_BLOCK.depth): each output's sum over a block is added to out after the block
   * ('sums'), so a smaller block fixes the order of the sums whatever the caller's chunks of depth.
   */
  depthBlock?: number;
}

/** The products program: `on` instantiates it on a memory, `program` gives its module for program workers. */
export interface ProductsProgram {
  on(memory: WebAssembly.Memory): SimdFunction;
  program(memory: WebAssembly.Memory): CompiledProgram;
}

/** The products of `form` built with `options`, compiled once per memory kind. */
export function planeProductsProgram(form: ProductsForm, options: ProductsOptions = {}): ProductsProgram {
  const {tile = PRODUCTS_TILE, packed = false, depthBlock = PRODUCTS_BLOCK.depth} = options;
  const key = `planeProducts|${form}|${tile.rows}x${tile.vectors}|${packed ? 'packed' : 'strided'}|${depthBlock}`;
  const build = () => planeProducts(form, {tile, packed, depthBlock});
  return {on: memory => simdFunction(memory, key, build), program: memory => compiledProgram(memory, key, build)};
}

function locals(f: WasmFunction, type: typeof I32 | typeof V128, count: number): number[] {
  return Array.from({length: count}, () => f.local(type));
}
