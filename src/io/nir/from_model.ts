/**
 * A tf.LayersModel as a NIR graph: the inverse of to_model.ts for a chain of our layers (each layer fed by the one
 * before it). Our HWIO kernels and HWC maps go out in PyTorch's OIHW and CHW; the neurons' decays become time
 * constants with `dt` (discretise.ts). What NIR cannot express is an error naming the layer and the reason.
 */
import type * as tfl from '@tensorflow/tfjs-layers';

import {cubaToNir, Discretised, ifToNir, leakyToNir} from './discretise';
import type {NirArray, NirGraph, NirNode} from './graph';

/** Where the features stand: our shape, and how NIR orders them (as in to_model.ts). */
interface Flow {
  nirShape: number[];
  chw: boolean;
  perm: number[] | null;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

type Config = {[key: string]: unknown};

const NEURON_CLASSES = ['SnnLif', 'SnnIfNeuron', 'SnnLi', 'SnnCubaLif', 'SnnRLif', 'SnnRCubaLif'];

/** Why a layer has no NIR node, by class name. */
const CANNOT: {[className: string]: string} = {
  SnnBntt:
    "BNTT's per-step affine (a different scale at every time step) is time-varying, which NIR's nodes cannot express",
  SnnSpikingBatchNorm: 'batch normalisation has no NIR node (fold it into the weights before exporting)',
  SnnDirectEncoder:
    'an encoder turns an image into a spike train inside the model; NIR graphs take the spike train: export a model that starts after the encoder',
  SnnPoissonEncoder:
    'an encoder turns an image into a spike train inside the model; NIR graphs take the spike train: export a model that starts after the encoder',
  SnnTimeAverage: 'a readout over time (the mean of the steps) has no NIR node; NIR graphs map a train step by step',
  SnnAlif: 'the adaptive threshold has no NIR node',
  SnnEarlyExitWrapper: 'the early exit decides at run time how many steps to run; NIR has no node for it',
};

/** Values of our order in NIR's order. */
function toNirOrder(values: number[], f: Flow): number[] {
  if (f.chw) {
    const [c, h, w] = f.nirShape;
    const out = new Array<number>(values.length);
    for (let ci = 0; ci < c; ci++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(ci * h + y) * w + x] = values[(y * w + x) * c + ci];
    return out;
  }
  if (f.perm == null) return values;
  const out = new Array<number>(values.length);
  f.perm.forEach((p, i) => (out[p] = values[i]));
  return out;
}

/** Flattens a number or nested array, with its shape. */
function flatten(value: unknown): {shape: number[]; values: number[]} {
  if (typeof value === 'number') return {shape: [], values: [value]};
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  return {shape, values: (value as unknown[]).flat(Infinity) as number[]};
}

/** Broadcasts values of `shape` (trailing-aligned) to the features shape. */
function broadcast(p: {shape: number[]; values: number[]}, features: number[]): number[] {
  const n = size(features);
  const lead = features.length - p.shape.length;
  const out = new Array<number>(n);
  const strides = features.map((_, k) => size(features.slice(k + 1)));
  for (let i = 0; i < n; i++) {
    let rest = i;
    let index = 0;
    let stride = 1;
    const at = strides.map(c => {
      const q = Math.floor(rest / c);
      rest -= q * c;
      return q;
    });
    for (let k = p.shape.length - 1; k >= 0; k--) {
      index += (p.shape[k] === 1 ? 0 : at[lead + k]) * stride;
      stride *= p.shape[k];
    }
    out[i] = p.values[index];
  }
  return out;
}

function nirArray(values: number[], shape: number[], dtype: NirArray['dtype'] = 'float64'): NirArray {
  return {shape, data: values, dtype};
}

function ints(values: number[]): NirArray {
  return {shape: [values.length], data: values, dtype: 'int64'};
}

/** Converts `model` (`where` starts errors). */
export function modelToGraph(model: tfl.LayersModel, dt: number, where: string): NirGraph {
  const nodes: NirGraph['nodes'] = {};
  const edges: NirGraph['edges'] = [];
  const layers = model.layers.filter(l => l.getClassName() !== 'InputLayer');
  const fail = (layer: tfl.layers.Layer, problem: string): never => {
    throw new Error(`${where}: layer '${layer.name}' (${layer.getClassName()}): ${problem}`);
  };
  for (const layer of layers) {
    const why = CANNOT[layer.getClassName()];
    if (why != null) fail(layer, `cannot be exported to NIR: ${why}`);
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `${where}: a model with one input and one output is exported; this one has ${model.inputs.length} and ${model.outputs.length}`
    );
  }
  const inputShape = model.inputs[0].shape.slice(2) as number[];
  if (model.inputs[0].shape.length < 3 || inputShape.some(d => d == null)) {
    throw new Error(
      `${where}: the model's input must be [batch, time, ...features] with known features; got [${model.inputs[0].shape.join(', ')}]`
    );
  }
  // Each layer must take the one before it (a chain).
  layers.forEach((layer, k) => {
    const inbound = layer.inboundNodes.map(n => n.inboundLayers.map(l => l.name));
    const expected = k === 0 ? null : layers[k - 1].name;
    const ok =
      inbound.length === 1 && inbound[0].length === 1 && (expected == null ? true : inbound[0][0] === expected);
    if (!ok) fail(layer, 'only a chain of layers (each fed by the one before it) is exported');
  });

  const used = new Set<string>(['input', 'output']);
  const nodeName = (layer: tfl.layers.Layer): string => {
    let base = layer.name.replace(/^nir_/, '').replace(/\//g, '_');
    if (used.has(base)) base = `${base}_${used.size}`;
    used.add(base);
    return base;
  };
  const chw = inputShape.length === 3;
  let flow: Flow = {nirShape: chw ? [inputShape[2], inputShape[0], inputShape[1]] : inputShape, chw, perm: null};
  const ourShape = (f: Flow) => (f.chw ? [f.nirShape[1], f.nirShape[2], f.nirShape[0]] : f.nirShape);
  nodes.input = {type: 'Input', params: {shape: ints(flow.nirShape)}};
  let last = 'input';
  const add = (name: string, node: NirNode) => {
    nodes[name] = node;
    edges.push([last, name]);
    last = name;
  };
  let pendingPad: [number, number] | null = null;
  let pendingAffine: {scale: number[]; bias: number[]} | null = null;

  for (let k = 0; k < layers.length; k++) {
    const layer = layers[k];
    const cls = layer.getClassName();
    const config = layer.getConfig() as Config;
    const weights = layer.getWeights();
    const weight = (suffix: string) => {
      const index = layer.weights.findIndex(v => v.originalName.split('/').pop() === suffix);
      return index < 0 ? null : {shape: weights[index].shape, values: Array.from(weights[index].dataSync())};
    };
    const param = (key: string) => broadcast(weight(key) ?? flatten(config[key]), ourShape(flow));
    if (pendingPad != null && cls !== 'SnnSpikingConv2d')
      fail(layer, 'a spikingZeroPad2d must be followed by a spikingConv2d to be exported');
    const name = nodeName(layer);
    switch (cls) {
      case 'SnnSpikingZeroPad2d':
        pendingPad = config.padding as [number, number];
        break;
      case 'SnnSpikingConv2d': {
        const [kh, kw] = config.kernelSize as number[];
        const [sh, sw] = config.strides as number[];
        const dilation = config.dilationRate as number[];
        const [h, w] = ourShape(flow);
        const kernel = weights[0].dataSync();
        const [, , ci, co] = weights[0].shape;
        const oihw = new Array<number>(kernel.length);
        for (let o = 0; o < co; o++)
          for (let i = 0; i < ci; i++)
            for (let y = 0; y < kh; y++)
              for (let x = 0; x < kw; x++)
                oihw[((o * ci + i) * kh + y) * kw + x] = kernel[((y * kw + x) * ci + i) * co + o];
        let padding: number[];
        if (config.padding === 'same') {
          const spans = [(kh - 1) * dilation[0], (kw - 1) * dilation[1]];
          if (sh !== 1 || sw !== 1 || spans.some(s => s % 2 !== 0) || pendingPad != null) {
            fail(
              layer,
              "padding 'same' with a stride above 1 or an even kernel pads unevenly, which NIR's Conv2d (PyTorch's symmetric padding) cannot express"
            );
          }
          padding = spans.map(s => s / 2);
        } else {
          padding = pendingPad ?? [0, 0];
        }
        const inputHW = [h, w];
        pendingPad = null;
        const bias = weights.length > 1 ? Array.from(weights[1].dataSync()) : new Array<number>(co).fill(0);
        add(name, {
          type: 'Conv2d',
          params: {
            weight: nirArray(oihw, [co, ci, kh, kw], 'float32'),
            bias: nirArray(bias, [co], 'float32'),
            stride: ints([sh, sw]),
            padding: ints(padding),
            dilation: ints(dilation),
            groups: {shape: [], data: [1], dtype: 'int64'},
            input_shape: ints(inputHW),
          },
        });
        const out = layer.outputShape as number[];
        flow = {nirShape: [co, out[2], out[3]], chw: true, perm: null};
        break;
      }
      case 'SnnSpikingDense': {
        const kernel = weights[0].dataSync();
        const [inn, out] = weights[0].shape;
        const w = new Array<number>(inn * out);
        for (let i = 0; i < inn; i++) {
          const dst = flow.perm == null ? i : flow.perm[i];
          for (let o = 0; o < out; o++) w[o * inn + dst] = kernel[i * out + o];
        }
        const params: NirNode['params'] = {weight: nirArray(w, [out, inn], 'float32')};
        if (weights.length > 1) params.bias = nirArray(Array.from(weights[1].dataSync()), [out], 'float32');
        add(name, {type: weights.length > 1 ? 'Affine' : 'Linear', params});
        flow = {nirShape: [out], chw: false, perm: null};
        break;
      }
      case 'SnnSpikingAvgPool2d': {
        if (config.padding !== 'valid')
          fail(
            layer,
            "padding 'same' averages over the window inside the map only, which NIR's AvgPool2d cannot express"
          );
        const poolSize = config.poolSize as number[];
        const next = layers[k + 1];
        let type = 'AvgPool2d';
        if (next != null && next.getClassName() === 'SnnStepAffine') {
          const c = next.getConfig() as Config;
          const s = flatten(c.scale);
          const b = flatten(c.bias);
          if (s.values.every(v => v === poolSize[0] * poolSize[1]) && b.values.every(v => v === 0)) {
            type = 'SumPool2d';
            k++;
          }
        }
        add(name, {
          type,
          params: {kernel_size: ints(poolSize), stride: ints(config.strides as number[]), padding: ints([0, 0])},
        });
        const out = layer.outputShape as number[];
        flow = {nirShape: [flow.nirShape[0], out[2], out[3]], chw: true, perm: null};
        break;
      }
      case 'SnnSpikingFlatten': {
        const nirShape = flow.nirShape;
        let perm: number[] | null = flow.perm;
        if (flow.chw) {
          const [c, h, w] = nirShape;
          perm = new Array<number>(c * h * w);
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++)
              for (let ci = 0; ci < c; ci++) perm[(y * w + x) * c + ci] = (ci * h + y) * w + x;
        }
        add(name, {
          type: 'Flatten',
          params: {
            start_dim: {shape: [], data: [0], dtype: 'int64'},
            end_dim: {shape: [], data: [-1], dtype: 'int64'},
            input_type: ints(nirShape),
          },
        });
        flow = {nirShape: [size(nirShape)], chw: false, perm};
        break;
      }
      case 'SnnStepAffine': {
        const scale = param('scale');
        const bias = param('bias');
        const next = layers[k + 1];
        if (next != null && NEURON_CLASSES.includes(next.getClassName())) {
          pendingAffine = {scale, bias};
          used.delete(name);
          break;
        }
        if (bias.some(b => b !== 0))
          fail(layer, "an offset ('bias') not followed by a neuron has no NIR node (NIR's Scale only scales)");
        add(name, {type: 'Scale', params: {scale: nirArray(toNirOrder(scale, flow), flow.nirShape, 'float32')}});
        break;
      }
      case 'SnnHeaviside':
        add(name, {
          type: 'Threshold',
          params: {threshold: nirArray(toNirOrder(param('threshold'), flow), flow.nirShape, 'float32')},
        });
        break;
      case 'SnnLif':
      case 'SnnIfNeuron':
      case 'SnnLi':
      case 'SnnCubaLif':
      case 'SnnRLif':
      case 'SnnRCubaLif': {
        const n = size(flow.nirShape);
        const affine = pendingAffine ?? {scale: new Array<number>(n).fill(1), bias: new Array<number>(n).fill(0)};
        pendingAffine = null;
        const nir = (values: number[]) => nirArray(toNirOrder(values, flow), flow.nirShape);
        const params: NirNode['params'] = {};
        let type: string;
        if (cls !== 'SnnLi') {
          const resetMode = config.resetMode ?? 'subtract';
          if (resetMode !== 'zero') {
            fail(
              layer,
              `resetMode '${resetMode}' has no NIR equivalent: NIR's neurons reset to v_reset (resetMode 'zero'); build the model with resetMode: 'zero' to export it`
            );
          }
          params.v_threshold = nir(param('threshold'));
          params.v_reset = nir(new Array<number>(n).fill((config.vReset as number | undefined) ?? 0));
        }
        const leak = cls === 'SnnIfNeuron' ? new Array<number>(n).fill(1) : param('leak');
        // A recurrent CubaLIF's input offset is its recurrent Affine's bias (scaled like the recurrent input).
        const recurrentBias = cls === 'SnnRCubaLif' ? affine.bias : null;
        const d: Discretised = {
          leak,
          scale: affine.scale,
          bias: recurrentBias ? affine.bias.map(() => 0) : affine.bias,
        };
        if (cls !== 'SnnIfNeuron' && leak.some(b => b >= 1))
          fail(layer, 'a leak of 1 has no finite time constant (use ifNeuron for integrate-and-fire)');
        if (cls === 'SnnIfNeuron') {
          if (affine.bias.some(b => b !== 0))
            fail(layer, "an input offset before an IF neuron has no NIR equivalent (NIR's IF has no v_leak)");
          type = 'IF';
          params.r = nir(ifToNir(dt, d).r);
        } else if (cls === 'SnnCubaLif' || cls === 'SnnRCubaLif') {
          if (cls === 'SnnCubaLif' && affine.bias.some(b => b !== 0)) {
            fail(
              layer,
              "an input offset before a CubaLIF has no NIR equivalent (it is not v_leak, which CubaLIF's import requires to be 0)"
            );
          }
          d.synapticLeak = param('synapticLeak');
          if (d.synapticLeak.some(a => a >= 1)) fail(layer, 'a synapticLeak of 1 has no finite time constant');
          const c = cubaToNir(dt, d);
          type = 'CubaLIF';
          Object.assign(params, {
            tau_syn: nir(c.tau_syn),
            tau_mem: nir(c.tau_mem),
            r: nir(c.r),
            w_in: nir(c.w_in),
            v_leak: nir(c.v_leak),
          });
        } else {
          const l = leakyToNir(dt, d);
          type = cls === 'SnnLi' ? 'LI' : 'LIF';
          Object.assign(params, {tau: nir(l.tau), r: nir(l.r), v_leak: nir(l.v_leak)});
        }
        add(name, {type, params});
        if (cls === 'SnnRLif' || cls === 'SnnRCubaLif') {
          if (flow.chw || flow.perm != null) fail(layer, 'a recurrent layer must take flat input');
          const kernel = weight('recurrentKernel')!.values;
          if (affine.scale.some(s => s === 0))
            fail(layer, 'an input scale of 0 before a recurrent neuron cannot be undone from its recurrent weight');
          const w = new Array<number>(n * n);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[j * n + i] = kernel[i * n + j] / affine.scale[j];
          const rec = `${name}.w_rec`;
          used.add(rec);
          const recParams: NirNode['params'] = {weight: nirArray(w, [n, n], 'float32')};
          if (recurrentBias != null && recurrentBias.some(b => b !== 0)) {
            recParams.bias = nirArray(
              recurrentBias.map((b, j) => b / affine.scale[j]),
              [n],
              'float32'
            );
          }
          nodes[rec] = {type: recParams.bias ? 'Affine' : 'Linear', params: recParams};
          edges.push([name, rec], [rec, name]);
        }
        break;
      }
      default:
        fail(
          layer,
          `cannot be exported to NIR: no NIR node for ${cls} (exported: spikingConv2d, spikingZeroPad2d, spikingDense, spikingAvgPool2d, spikingFlatten, stepAffine, heaviside, lif, plif, ifNeuron, li, cubaLif, rlif, rCubaLif)`
        );
    }
  }
  if (pendingPad != null) throw new Error(`${where}: the model ends with a spikingZeroPad2d`);
  nodes.output = {type: 'Output', params: {shape: ints(flow.nirShape)}};
  edges.push([last, 'output']);
  return {version: '0.2.0', nodes, edges};
}
