import {
  PLANE_PRODUCTS_PARAMS,
  planeProducts,
  planeProductsProgram,
  PRODUCTS_BLOCK,
  ProductsForm,
  ProductsTile,
} from '../../kernels/wasm/simd/plane_products_program';
import {SYNC_COMPILE_BYTES} from '../../kernels/wasm/simd/simd_runtime';
import {encodeModule} from '../../kernels/wasm/simd/wasm_emit';
import {randomArray} from '../reference/lif_reference';

interface Case {
  rows: number;
  cols: number;
  depth: number;
}

/**
 * Sizes with whole register tiles only, and with the last rows (not a multiple of the tile's 4) and the last
 * columns (a multiple of 4, not of 8) in narrower tiles; a depth of 1.
 */
const CASES: Case[] = [
  {rows: 8, cols: 16, depth: 5},
  {rows: 7, cols: 12, depth: 9},
  {rows: 1, cols: 4, depth: 1},
  {rows: 13, cols: 28, depth: 33},
  {rows: 64, cols: 64, depth: 40},
  // Blocks of columns and depth (PRODUCTS_BLOCK): 256 + 12 columns, 256 + 44 of depth.
  {rows: 6, cols: 268, depth: 300},
];

const PLANES = 3;

/**
 * float64 products of plane `p` in `form` (a [rows, depth] for 'rows', [depth, rows] for 'sums'; b [depth, cols]),
 * added to `initial` for 'sums'.
 */
function reference(form: ProductsForm, c: Case, a: Float32Array, b: Float32Array, initial: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.rows; i++) {
    for (let j = 0; j < c.cols; j++) {
      let sum = form === 'sums' ? initial[i * c.cols + j] : 0;
      for (let l = 0; l < c.depth; l++) {
        const av = form === 'rows' ? a[i * c.depth + l] : a[l * c.rows + i];
        sum += av * b[l * c.cols + j];
      }
      out.push(sum);
    }
  }
  return out;
}

/**
 * Runs the program on planes [first, end) of PLANES random planes (b packed block by block in a pack area for
 * `packed`); returns every plane of out.
 */
function run(form: ProductsForm, c: Case, first: number, end: number, tile?: ProductsTile, packed = false) {
  const floats = {a: c.rows * c.depth, b: c.depth * c.cols, out: c.rows * c.cols};
  // Plane distances with a gap of 3 floats, so that a program reading past its plane reads the wrong values.
  const plane = {a: (floats.a + 3) * 4, b: (floats.b + 3) * 4, out: (floats.out + 3) * 4};
  const at = {a: 64, b: 64 + PLANES * plane.a, out: 64 + PLANES * (plane.a + plane.b)};
  const pack = at.out + PLANES * plane.out + 64;
  const bytes = pack + PRODUCTS_BLOCK.depth * PRODUCTS_BLOCK.cols * 4;
  const memory = new WebAssembly.Memory({initial: Math.ceil(bytes / 65536)});
  const heap = new Float32Array(memory.buffer);
  const fill = (address: number, values: Float32Array) => heap.set(values, address / 4);
  const planes = Array.from({length: PLANES}, (_, p) => {
    const a = randomArray(floats.a, 100 + p);
    const b = randomArray(floats.b, 200 + p);
    const initial = randomArray(floats.out, 300 + p);
    fill(at.a + p * plane.a, a);
    fill(at.b + p * plane.b, b);
    fill(at.out + p * plane.out, initial);
    return {a, b, initial};
  });
  const fn = planeProductsProgram(form, {tile, packed}).on(memory);
  const args = [at.a, at.b, at.out, c.rows, c.cols, c.depth, first, end, plane.a, plane.b, plane.out, pack];
  expect(args.length).toBe(PLANE_PRODUCTS_PARAMS.length);
  fn(...args);
  return planes.map((p, index) => ({
    ...p,
    out: Array.from(heap.subarray((at.out + index * plane.out) / 4, (at.out + index * plane.out) / 4 + floats.out)),
  }));
}

describe('plane products (the Winograd products program)', () => {
  it('encodes under the size Chrome compiles synchronously', () => {
    for (const fn of [planeProducts('rows'), planeProducts('rows', {packed: true}), planeProducts('sums')]) {
      expect(encodeModule([fn], false).length).toBeLessThan(SYNC_COMPILE_BYTES);
    }
    expect(() => planeProducts('sums', {packed: true})).toThrowError(/packed applies to 'rows' only/);
    expect(() => planeProducts('rows', {depthBlock: 0})).toThrowError(/depthBlock must be an integer ≥ 1; got 0/);
  });

  const variants = [
    {form: 'rows', packed: false},
    {form: 'rows', packed: true},
    {form: 'sums', packed: false},
  ] as const;
  for (const {form, packed} of variants) {
    for (const c of CASES) {
      const name = `${form}${packed ? ', packed' : ''}`;
      it(`${name}: equals float64 on planes 1 and 2 and leaves plane 0 alone, ${JSON.stringify(c)}`, () => {
        const planes = run(form, c, 1, 3, undefined, packed);
        expect(planes[0].out).toEqual(Array.from(planes[0].initial));
        for (const p of planes.slice(1)) {
          const expected = reference(form, c, p.a, p.b, p.initial);
          const scale = Math.max(1, ...expected.map(Math.abs));
          const worst = Math.max(...p.out.map((v, i) => Math.abs(v - expected[i])));
          // float32 sums of `depth` products of values in [-1, 1): a few ulps of the largest term per step.
          expect(worst / scale).toBeLessThan(1e-6 * Math.max(1, c.depth));
        }
      });
    }
  }

  it('gives the same results with other register tiles', () => {
    const c = CASES[3];
    for (const form of ['rows', 'sums'] as const) {
      const base = run(form, c, 0, PLANES).map(p => p.out);
      for (const tile of [
        {rows: 2, vectors: 4},
        {rows: 1, vectors: 1},
        {rows: 3, vectors: 2},
      ]) {
        expect(run(form, c, 0, PLANES, tile).map(p => p.out)).toEqual(base);
        if (form === 'rows') expect(run(form, c, 0, PLANES, tile, true).map(p => p.out)).toEqual(base);
      }
    }
  });
});
