/**
 * GFLOP/s of Conv2DBackpropFilter on wasm (tfjs-snn's kernel and the other designs tried)
 * against tfjs-backend-cpu's, with wasm's conv forward for scale, and of Conv2DBackpropInput
 * (tfjs-snn's XNNPACK conv against wasm's own loop), on the conv shapes of a small SNN on
 * 28×28 and of VGG9 on CIFAR (batch·time images); then BatchMatMul with transposed operands
 * (a dense layer's gradients), tfjs-snn's against wasm's own.
 *
 *   npx esbuild bench/wasm_conv_grad.ts --bundle --platform=node --packages=external \
 *     --outfile=build/bench-wasm-conv.cjs && node build/bench-wasm-conv.cjs [--quick]
 *
 * (--packages=external keeps tfjs-backend-wasm next to its .wasm files.) --quick divides
 * the batches by 8. The slow kernels (cpu's, wasm's Conv3DBackpropFilterV2; < 0.5 GFLOP/s)
 * run one image per shape: GFLOP/s is a rate, so the ratios hold. Times are the best of
 * the timed runs (other processes only ever slow a run down). Every ratio compares numbers
 * measured in this run.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../kernels/register';

import {replacedKernel} from '../kernels/replace_kernel';

import * as tf from '@tensorflow/tfjs-core';
import {cpus} from 'node:os';

import {relativeMaxError} from '../test/reference/lif_reference';

type Shape4 = [number, number, number, number];
type FilterGrad = (x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4) => tf.Tensor;

interface ConvShape {
  name: string;
  xShape: Shape4;
  outChannels: number;
}

interface Variant {
  label: string;
  /** Measured on one image rather than the whole batch. */
  oneImage?: boolean;
  backend: 'wasm' | 'cpu';
  run: (x: tf.Tensor4D, dy: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor;
  /** Not a filter gradient: excluded from the check against tfjs-snn's kernel. */
  reference?: boolean;
}

const QUICK = process.argv.includes('--quick');
const BATCH_DIVISOR = QUICK ? 8 : 1;
const MIN_TIMED_MS = QUICK ? 300 : 1500;

const SHAPES: ConvShape[] = [
  {name: 'SNN 28×28 conv1 (N = 64·6)', xShape: [384, 28, 28, 1], outChannels: 32},
  {name: 'SNN 28×28 conv2 (N = 64·6)', xShape: [384, 14, 14, 32], outChannels: 64},
  {name: 'VGG9 CIFAR 32×32×64→64 (N = 16·8)', xShape: [128, 32, 32, 64], outChannels: 64},
  {name: 'VGG9 CIFAR 16×16×128→128 (N = 16·8)', xShape: [128, 16, 16, 128], outChannels: 128},
];

// All shapes are 3×3, stride 1, 'same' (the SNN and VGG convs).
const STRIDES = 1;
const PAD = 'same';

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

const registeredKernel: FilterGrad = (x, dy, filterShape) =>
  runKernel('Conv2DBackpropFilter', {x, dy}, {strides: STRIDES, pad: PAD, dataFormat: 'NHWC', filterShape});

/** The first design: x as Cin images [Cin, H, W, N] (Cin is the conv's batch), then a transpose of dW. */
const cinAsBatch: FilterGrad = (x, dy, filterShape) =>
  tf.tidy(() => {
    const padding = samePadding(filterShape);
    const image = tf.transpose(x, [3, 1, 2, 0]);
    const dW = runKernel(
      'Conv2D',
      {x: image, filter: tf.transpose(dy, [1, 2, 0, 3])},
      {
        strides: [1, 1],
        pad: [[0, 0], padding[0], padding[1], [0, 0]],
        dataFormat: 'NHWC',
        dilations: [1, 1],
      }
    );
    return tf.transpose(dW, [1, 2, 0, 3]);
  });

/** [N·H·W, kh·kw·Cin] built once from shifted views of the padded x, then one matmul. */
const im2colMatMul: FilterGrad = (x, dy, filterShape) =>
  tf.tidy(() => {
    const rows = x.shape[0] * x.shape[1] * x.shape[2];
    const columns = tf.reshape(tf.concat(tapViews(x, filterShape), 3), [rows, -1]);
    const dyT = tf.transpose(tf.reshape(dy, [rows, filterShape[3]]));
    return tf.reshape(tf.transpose(tf.matMul(dyT, columns)), filterShape);
  });

/** One matmul [Cout, N·H·W]·[N·H·W, Cin] per tap; dy stays the same matmul operand. */
const perTapMatMul: FilterGrad = (x, dy, filterShape) =>
  tf.tidy(() => {
    const rows = x.shape[0] * x.shape[1] * x.shape[2];
    const dyT = tf.transpose(tf.reshape(dy, [rows, filterShape[3]]));
    const taps = tapViews(x, filterShape).map(view => tf.matMul(dyT, tf.reshape(view, [rows, filterShape[2]])));
    return tf.reshape(tf.transpose(tf.stack(taps), [0, 2, 1]), filterShape);
  });

/** wasm's own Conv3DBackpropFilterV2 on a depth-1 volume (4.22 gets strides > 1 wrong). */
const conv3dDepthOne: FilterGrad = (x, dy, filterShape) =>
  tf.tidy(() => {
    const dW = runKernel(
      'Conv3DBackpropFilterV2',
      {x: tf.expandDims(x, 1), dy: tf.expandDims(dy, 1)},
      {
        strides: [1, STRIDES, STRIDES],
        pad: PAD,
        filterShape: [1, ...filterShape],
      }
    );
    return tf.reshape(dW, filterShape);
  });

function samePadding([kh, kw]: Shape4): [[number, number], [number, number]] {
  return [
    [(kh - 1) >> 1, kh >> 1],
    [(kw - 1) >> 1, kw >> 1],
  ];
}

/** The stride-1 'same' x window of each filter tap, [N, H, W, Cin] each. */
function tapViews(x: tf.Tensor4D, filterShape: Shape4): tf.Tensor4D[] {
  const [kh, kw] = filterShape;
  const padded = tf.pad(x, [[0, 0], ...samePadding(filterShape), [0, 0]]);
  const views: tf.Tensor4D[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) views.push(tf.slice(padded, [0, i, j, 0], x.shape));
  }
  return views;
}

const gradVariant = (label: string, grad: FilterGrad): Variant => ({
  label,
  backend: 'wasm',
  run: (x, dy, filter) => grad(x, dy, filter.shape as Shape4),
});

const OURS = '**tfjs-snn: XNNPACK conv, Cin in width**';
const CPU = 'cpu Conv2DBackpropFilter (1 image)';
const FORWARD = 'wasm Conv2D forward';

const VARIANTS: Variant[] = [
  gradVariant(OURS, registeredKernel),
  gradVariant('XNNPACK conv, Cin as batch', cinAsBatch),
  gradVariant('im2col + 1 matmul', im2colMatMul),
  gradVariant('per-tap matmuls', perTapMatMul),
  {...gradVariant('wasm Conv3DBackpropFilterV2, depth 1 (1 image)', conv3dDepthOne), oneImage: true},
  {label: CPU, backend: 'cpu', oneImage: true, run: (x, dy, filter) => registeredKernel(x, dy, filter.shape as Shape4)},
  {label: FORWARD, backend: 'wasm', reference: true, run: (x, _dy, filter) => tf.conv2d(x, filter, STRIDES, PAD)},
  {
    label: 'wasm Conv2DBackpropInput: tfjs-snn (XNNPACK conv)',
    backend: 'wasm',
    reference: true,
    run: (x, dy, filter) => runKernel('Conv2DBackpropInput', {dy, filter}, backpropInputAttrs(x)),
  },
  {
    label: "wasm Conv2DBackpropInput: wasm's own",
    backend: 'wasm',
    reference: true,
    run: (x, dy, filter) =>
      tf.engine().makeTensorFromTensorInfo(
        wasmOwnBackpropInput().kernelFunc({
          inputs: {dy, filter},
          attrs: backpropInputAttrs(x) as unknown as tf.NamedAttrMap,
          backend: tf.backend(),
        }) as tf.TensorInfo
      ),
  },
];

const backpropInputAttrs = (x: tf.Tensor4D) => ({strides: STRIDES, pad: PAD, dataFormat: 'NHWC', inputShape: x.shape});

function wasmOwnBackpropInput(): tf.KernelConfig {
  const builtIn = replacedKernel(tf.getKernel('Conv2DBackpropInput', 'wasm')!);
  if (builtIn == null) throw new Error("tfjs-snn did not replace wasm's Conv2DBackpropInput");
  return builtIn;
}

interface Measured {
  gflops: number;
  ms: number;
  /** max |variant − tfjs-snn| / max |tfjs-snn|, for the filter gradients. */
  error?: number;
}

function flopsOf(xShape: Shape4, outChannels: number): number {
  const [n, h, w, cin] = xShape;
  return 2 * n * h * w * 9 * cin * outChannels;
}

/**
 * Best wall time of `run` after a warm-up: at least 3 runs, or 1 when one run outlasts
 * MIN_TIMED_MS. wasm and cpu kernels compute synchronously, so the call's time is the
 * work's time (no read-back is timed).
 */
function timeMs(run: () => tf.Tensor): number {
  run().dispose();
  const times: number[] = [];
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const wantsMore = () =>
    times.length === 0 ||
    (times.length < 3 && elapsed() < 3 * MIN_TIMED_MS) ||
    (elapsed() < MIN_TIMED_MS && times.length < 20);
  while (wantsMore()) {
    const t0 = performance.now();
    const out = run();
    times.push(performance.now() - t0);
    out.dispose();
    if (times.length === 1 && times[0] > MIN_TIMED_MS) break;
  }
  return Math.min(...times);
}

interface ShapeData {
  xShape: Shape4;
  x: Float32Array;
  dy: Float32Array;
  filter: Float32Array;
  filterShape: Shape4;
}

function shapeData(shape: ConvShape, images: number): ShapeData {
  const xShape: Shape4 = [images, shape.xShape[1], shape.xShape[2], shape.xShape[3]];
  const filterShape: Shape4 = [3, 3, shape.xShape[3], shape.outChannels];
  const random = (size: number, seed: number) =>
    tf.tidy(() => tf.randomUniform([size], -1, 1, 'float32', seed).dataSync());
  return {
    xShape,
    filterShape,
    x: random(
      xShape.reduce((a, b) => a * b),
      1
    ) as Float32Array,
    dy: random(images * xShape[1] * xShape[2] * shape.outChannels, 2) as Float32Array,
    filter: random(
      filterShape.reduce((a, b) => a * b),
      3
    ) as Float32Array,
  };
}

async function measure(variant: Variant, shape: ConvShape, data: ShapeData, expected: Float32Array): Promise<Measured> {
  await tf.setBackend(variant.backend);
  const [n, h, w] = data.xShape;
  const x = tf.tensor4d(data.x, data.xShape);
  const dy = tf.tensor4d(data.dy, [n, h, w, shape.outChannels]);
  const filter = tf.tensor4d(data.filter, data.filterShape);
  const ms = timeMs(() => variant.run(x, dy, filter));
  const errorOf = () => tf.tidy(() => relativeMaxError(variant.run(x, dy, filter).dataSync(), expected));
  const error = variant.reference ? undefined : errorOf();
  tf.dispose([x, dy, filter]);
  return {ms, gflops: flopsOf(data.xShape, shape.outChannels) / ms / 1e6, error};
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 80);
}

/** tfjs-snn's dW on the current backend (wasm). */
function filterGradOf(data: ShapeData, shape: ConvShape): Float32Array {
  const [n, h, w] = data.xShape;
  return tf.tidy(() =>
    registeredKernel(
      tf.tensor4d(data.x, data.xShape),
      tf.tensor4d(data.dy, [n, h, w, shape.outChannels]),
      data.filterShape
    ).dataSync()
  ) as Float32Array;
}

async function measureShape(shape: ConvShape): Promise<Map<string, Measured | string>> {
  const batch = Math.max(1, shape.xShape[0] / BATCH_DIVISOR);
  const full = shapeData(shape, batch);
  const one = shapeData(shape, 1);
  await tf.setBackend('wasm');
  const expected = {full: filterGradOf(full, shape), one: filterGradOf(one, shape)};
  const results = new Map<string, Measured | string>();
  for (const variant of VARIANTS) {
    try {
      const [data, reference] = variant.oneImage ? [one, expected.one] : [full, expected.full];
      const measured = await measure(variant, shape, data, reference);
      results.set(variant.label, measured);
      const timing = `${measured.ms.toFixed(1)} ms, ${measured.gflops.toFixed(2)} GFLOP/s`;
      console.error(`  ${shape.name}: ${variant.label}: ${timing}`);
    } catch (e) {
      results.set(variant.label, errorText(e));
      console.error(`  ${shape.name}: ${variant.label}: failed: ${errorText(e)}`);
    }
  }
  return results;
}

function cell(result: Measured | string | undefined): string {
  if (result == null || typeof result === 'string') return `failed${result ? `: ${result}` : ''}`;
  const flag = result.error != null && result.error > 1e-4 ? ` ⚠ rel. err ${result.error.toExponential(1)}` : '';
  return `${result.gflops.toFixed(2)}${flag}`;
}

function ratio(results: Map<string, Measured | string>, over: string): string {
  const ours = results.get(OURS);
  const other = results.get(over);
  if (typeof ours !== 'object' || typeof other !== 'object') return '–';
  return `${(ours.gflops / other.gflops).toFixed(ours.gflops / other.gflops >= 10 ? 0 : 2)}×`;
}

function markdownTable(all: Array<[ConvShape, Map<string, Measured | string>]>): string {
  const labels = VARIANTS.map(v => v.label);
  const header = ['shape (x → Cout, 3×3 same)', 'GFLOP', ...labels, 'tfjs-snn / cpu', 'tfjs-snn / forward'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const [shape, results] of all) {
    const x = [Math.max(1, shape.xShape[0] / BATCH_DIVISOR), ...shape.xShape.slice(1)];
    const gflop = flopsOf(x as Shape4, shape.outChannels) / 1e9;
    const cells = labels.map(label => cell(results.get(label)));
    const row = [
      `${shape.name}: [${x}] → ${shape.outChannels}`,
      gflop.toFixed(2),
      ...cells,
      ratio(results, CPU),
      ratio(results, FORWARD),
    ];
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The small SNN's dense layer fc1 ([batch·T, 3136] → 256): its forward and its two gradients' matmuls. */
const DENSE = {rows: 384, inputs: 3136, units: 256};
const MATMULS: Array<{label: string; a: number[]; b: number[]; transposeA: boolean; transposeB: boolean}> = [
  {
    label: 'forward x·W',
    a: [DENSE.rows, DENSE.inputs],
    b: [DENSE.inputs, DENSE.units],
    transposeA: false,
    transposeB: false,
  },
  {
    label: 'dx = dy·Wᵀ',
    a: [DENSE.rows, DENSE.units],
    b: [DENSE.inputs, DENSE.units],
    transposeA: false,
    transposeB: true,
  },
  {
    label: 'dW = xᵀ·dy',
    a: [DENSE.rows, DENSE.inputs],
    b: [DENSE.rows, DENSE.units],
    transposeA: true,
    transposeB: false,
  },
];

/** BatchMatMul through tfjs-snn's replacement and through wasm's own kernel, GFLOP/s on the same operands. */
function matMulTable(): string {
  const wasmOwn = replacedKernel(tf.getKernel('BatchMatMul', 'wasm')!);
  if (wasmOwn == null) throw new Error("tfjs-snn did not replace wasm's BatchMatMul");
  const lines = [
    "| dense fc1 [384, 3136] → 256 | GFLOP | tfjs-snn | wasm's own | tfjs-snn / own |",
    '|---|---|---|---|---|',
  ];
  for (const m of MATMULS) {
    const [a, b] = [tf.randomUniform(m.a, -1, 1, 'float32', 1), tf.randomUniform(m.b, -1, 1, 'float32', 2)];
    const attrs = {transposeA: m.transposeA, transposeB: m.transposeB};
    const ours = timeMs(() => tf.matMul(a, b, m.transposeA, m.transposeB));
    const own = timeMs(() =>
      tf.engine().makeTensorFromTensorInfo(
        wasmOwn.kernelFunc({
          inputs: {a, b},
          attrs: attrs as unknown as tf.NamedAttrMap,
          backend: tf.backend(),
        }) as tf.TensorInfo
      )
    );
    tf.dispose([a, b]);
    const flop = 2 * DENSE.rows * DENSE.inputs * DENSE.units;
    const [oursRate, ownRate] = [flop / ours / 1e6, flop / own / 1e6];
    lines.push(
      `| ${m.label} | ${(flop / 1e9).toFixed(2)} | ${oursRate.toFixed(2)} | ${ownRate.toFixed(2)} | ` +
        `${(oursRate / ownRate).toFixed(1)}× |`
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const all: Array<[ConvShape, Map<string, Measured | string>]> = [];
  for (const shape of SHAPES) all.push([shape, await measureShape(shape)]);
  console.log(
    `\nConv2DBackpropFilter and Conv2DBackpropInput, GFLOP/s (2·N·H·W·9·Cin·Cout / best time)${QUICK ? ', --quick' : ''}`
  );
  console.log(
    `Node ${process.version}, tfjs ${tf.version_core}, ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `wasm SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}\n`
  );
  console.log(markdownTable(all));
  await tf.setBackend('wasm');
  console.log('\nBatchMatMul on wasm, GFLOP/s (2·M·K·N / best time)\n');
  console.log(matMulTable());
}

main().catch(e => {
  console.error(e);
  process.exitCode = 1;
});
