/**
 * A NIR graph as a tf.LayersModel `[batch, time, ...input] → [batch, time, ...output]`, step by step. Layouts:
 * NIR keeps PyTorch's (Conv2d weights OIHW, maps and per-neuron arrays CHW); the model is channels-last (HWIO,
 * HWC), so 3-D inputs, maps and outputs are `[height, width, channels]` and every array is transposed here. A
 * Flatten of CHW maps flattens our HWC maps and remembers the permutation, which the next Affine, Linear or
 * per-neuron array takes up.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {withCause} from '../../errors';
import {cubaLif} from '../../layers/cuba_lif';
import {heaviside} from '../../layers/heaviside';
import {li} from '../../layers/li';
import {ifNeuron, lif} from '../../layers/lif';
import type {NestedNumbers} from '../../layers/neuron_parameters';
import {rCubaLif} from '../../layers/r_cuba_lif';
import {rlif} from '../../layers/rlif';
import {spikingAvgPool2d} from '../../layers/spiking_avg_pool2d';
import {spikingConv2d} from '../../layers/spiking_conv2d';
import {spikingDense} from '../../layers/spiking_dense';
import {spikingFlatten} from '../../layers/spiking_flatten';
import {spikingZeroPad2d} from '../../layers/spiking_zero_pad2d';
import {stepAffine} from '../../layers/step_affine';
import {timeAverage} from '../../layers/time_average';
import {cubaFromNir, Discretised, ifFromNir, leakyFromNir} from './discretise';
import type {NirArray, NirGraph, NirNode} from './graph';

/** The node types that are neurons (a cycle must go through one). */
export const NIR_NEURON_TYPES: readonly string[] = Object.freeze(['IF', 'LIF', 'LI', 'CubaLIF']);

/** A tensor between two nodes: its NIR shape, and how our tensor's features relate to it. */
interface Flow {
  tensor: tfl.SymbolicTensor;
  /** The NIR shape (no batch, no time). */
  nirShape: number[];
  /** A rank-3 NIR shape [C, H, W] held as our [H, W, C]. */
  chw: boolean;
  /** For a flat flow: our feature i is NIR's feature perm[i] (null: the same order). */
  perm: number[] | null;
  /** With `perm`: the NIR shape [C, H, W] of the maps whose flatten made it. */
  permMaps?: number[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: number[]) => `[${shape.join(', ')}]`;

/** Our features shape for a flow. */
function ourShape(f: Flow): number[] {
  return f.chw ? [f.nirShape[1], f.nirShape[2], f.nirShape[0]] : f.nirShape;
}

/** NIR-ordered values of a flow's features in our order. */
function toOurOrder(values: number[], f: Flow): number[] {
  if (f.chw) {
    const [c, h, w] = f.nirShape;
    const out = new Array<number>(values.length);
    for (let ci = 0; ci < c; ci++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y * w + x) * c + ci] = values[(ci * h + y) * w + x];
    return out;
  }
  return f.perm == null ? values : f.perm.map(p => values[p]);
}

/** A number when all values are equal, else the nested array of `shape`. */
export function nested(values: number[], shape: number[]): NestedNumbers {
  if (values.every(v => v === values[0])) return values[0];
  const build = (depth: number, offset: number): NestedNumbers[] => {
    const stride = size(shape.slice(depth + 1));
    return Array.from({length: shape[depth]}, (_, i) =>
      depth === shape.length - 1 ? values[offset + i] : build(depth + 1, offset + i * stride)
    );
  };
  return build(0, 0);
}

class NodeError extends Error {}

/** How the model around the graph looks: its input's time axis (null: open) and what follows the Output. */
export interface ModelFrame {
  timeSteps: number | null;
  readout: 'none' | 'timeAverage';
}

/** Converts one graph; `where` starts every error (the function and the file). */
export function graphToModel(
  graph: NirGraph,
  dt: number,
  where: string,
  frame: ModelFrame = {timeSteps: null, readout: 'none'}
): tfl.LayersModel {
  const fail = (node: string, problem: string): never => {
    const type = graph.nodes[node]?.type;
    throw new NodeError(`${where}: node '${node}'${type ? ` (${type})` : ''}: ${problem}`);
  };
  const names = Object.keys(graph.nodes);
  const inputs = new Map<string, string[]>(names.map(n => [n, []]));
  const outputs = new Map<string, string[]>(names.map(n => [n, []]));
  const seen = new Set<string>();
  for (const [a, b] of graph.edges) {
    if (seen.has(`${a}\u0000${b}`)) continue;
    seen.add(`${a}\u0000${b}`);
    outputs.get(a)!.push(b);
    inputs.get(b)!.push(a);
  }
  const ofType = (t: string) => names.filter(n => graph.nodes[n].type === t);
  const inputNodes = ofType('Input');
  const outputNodes = ofType('Output');
  if (inputNodes.length !== 1 || outputNodes.length !== 1) {
    throw new Error(
      `${where}: a graph needs exactly one Input and one Output node; it has ${inputNodes.length} Input ` +
        `(${JSON.stringify(inputNodes)}) and ${outputNodes.length} Output (${JSON.stringify(outputNodes)})`
    );
  }

  // Cycles: each must be a neuron whose spikes a Linear or Affine feeds back to it (a recurrent layer).
  const recurrentOf = new Map<string, string>();
  const absorbed = new Set<string>();
  for (const component of stronglyConnected(names, outputs)) {
    const cyclic = component.length > 1 || outputs.get(component[0])!.includes(component[0]);
    if (!cyclic) continue;
    const cycle = component.join(' → ');
    const neurons = component.filter(n => NIR_NEURON_TYPES.includes(graph.nodes[n].type));
    if (neurons.length === 0)
      fail(
        component[0],
        `it is in a cycle without a neuron in it (${cycle}); a cycle needs a neuron to carry it from one step to the next`
      );
    const [neuron] = neurons;
    const synapse = component.find(n => n !== neuron);
    const ok =
      component.length === 2 &&
      ['LIF', 'CubaLIF'].includes(graph.nodes[neuron].type) &&
      synapse != null &&
      ['Affine', 'Linear'].includes(graph.nodes[synapse].type) &&
      inputs.get(synapse)!.length === 1 &&
      outputs.get(synapse)!.length === 1;
    if (!ok)
      fail(
        neuron,
        `the cycle ${cycle} is not one that loads: only a LIF or CubaLIF whose spikes one Linear or Affine feeds back to it (and to nothing else)`
      );
    recurrentOf.set(neuron, synapse!);
    absorbed.add(synapse!);
  }

  const flows = new Map<string, Flow>();
  const order = topological(
    names.filter(n => !absorbed.has(n)),
    n => inputs.get(n)!.filter(m => !absorbed.has(m))
  );
  let inputTensor: tfl.SymbolicTensor | null = null;
  let result: Flow | null = null;
  for (const name of order) {
    const node = graph.nodes[name];
    const froms = inputs.get(name)!.filter(m => !absorbed.has(m));
    try {
      if (node.type === 'Input') {
        if (froms.length > 0) fail(name, `an Input node has inputs (${JSON.stringify(froms)})`);
        const shape = intsParam(node, 'shape', name, fail);
        if (shape.length === 0 || shape.some(d => d < 1)) fail(name, `its shape ${fmt(shape)} is not a shape`);
        const chw = shape.length === 3;
        const features = chw ? [shape[1], shape[2], shape[0]] : shape;
        inputTensor = tfl.input({shape: [frame.timeSteps, ...features], name: layerName(name)});
        flows.set(name, {tensor: inputTensor, nirShape: shape, chw, perm: null});
        continue;
      }
      if (froms.length === 0) fail(name, 'nothing feeds it (no edge from the Input leads here)');
      const missing = froms.filter(m => !flows.has(m));
      if (missing.length > 0) fail(name, `its input ${JSON.stringify(missing)} is not connected to the Input node`);
      const flow = join(
        name,
        froms.map(m => flows.get(m)!),
        fail
      );
      if (node.type === 'Output') {
        const shape = intsParam(node, 'shape', name, fail);
        if (size(shape) !== size(flow.nirShape)) {
          fail(name, `its shape ${fmt(shape)} does not match the shape ${fmt(flow.nirShape)} that reaches it`);
        }
        result = flow.perm == null ? flow : restoreNirOrder(name, flow);
        continue;
      }
      flows.set(name, convertNode(name, node, flow, dt, recurrentOf.get(name), graph, fail));
    } catch (e) {
      if (e instanceof NodeError) throw e;
      throw withCause(`${where}: node '${name}' (${node.type})`, e);
    }
  }
  if (inputTensor == null || result == null) {
    throw new Error(
      `${where}: the Output node '${outputNodes[0]}' is not reached from the Input node '${inputNodes[0]}'`
    );
  }
  const unused = order.filter(
    n =>
      graph.nodes[n].type !== 'Output' &&
      outputs.get(n)!.filter(m => !absorbed.has(m) && m !== recurrentOf.get(n)).length === 0
  );
  if (unused.length > 0) fail(unused[0], 'its output goes nowhere (no edge from it)');
  const output =
    frame.readout === 'timeAverage'
      ? // every node's layer is named nir_…: this name is free
        (timeAverage({name: 'readout_time_average'}).apply(result.tensor) as tfl.SymbolicTensor)
      : result.tensor;
  return tfl.model({inputs: inputTensor, outputs: output});
}

/**
 * A flat output in NIR's order: the features of a flatten of CHW maps that no Affine or Linear took up are ours
 * (HWC) until reshaped to the maps, transposed to CHW and flattened again.
 */
function restoreNirOrder(name: string, flow: Flow): Flow {
  const [c, h, w] = flow.permMaps!;
  const base = layerName(name);
  const maps = tfl.layers.reshape({targetShape: [-1, h, w, c], name: `${base}_maps`}).apply(flow.tensor);
  const chw = tfl.layers.permute({dims: [1, 4, 2, 3], name: `${base}_chw`}).apply(maps);
  const tensor = spikingFlatten({name: `${base}_flat`}).apply(chw) as tfl.SymbolicTensor;
  return {...flow, tensor, perm: null};
}

/** A layer name from a node name (tfjs allows letters, digits, '_', '.', '-', '/'). */
function layerName(node: string): string {
  return `nir_${node.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

type Fail = (node: string, problem: string) => never;

function numbersParam(node: NirNode, key: string, name: string, fail: Fail): NirArray {
  const p = node.params[key];
  if (p == null) fail(name, `missing parameter '${key}'`);
  if (typeof p === 'string') fail(name, `parameter '${key}' is the string '${p}', not numbers`);
  const a = p as NirArray;
  if (a.data.some(v => !Number.isFinite(v))) fail(name, `parameter '${key}' holds a value that is not finite`);
  return a;
}

function intsParam(node: NirNode, key: string, name: string, fail: Fail): number[] {
  const a = numbersParam(node, key, name, fail);
  if (a.data.some(v => !Number.isInteger(v)))
    fail(name, `parameter '${key}' must hold integers; got ${JSON.stringify(a.data)}`);
  return a.data;
}

/** Two integers (one is repeated), as PyTorch gives stride, padding, dilation and kernel sizes. */
function pairParam(node: NirNode, key: string, name: string, fail: Fail, min: number): [number, number] {
  const v = intsParam(node, key, name, fail);
  const pair = v.length === 1 ? [v[0], v[0]] : v;
  if (pair.length !== 2 || pair.some(x => x < min))
    fail(name, `parameter '${key}' must be one or two integers >= ${min}; got ${JSON.stringify(v)}`);
  return [pair[0], pair[1]];
}

/** A per-neuron parameter shaped like the flow (or one value), in our order. */
function neuronParam(node: NirNode, key: string, name: string, flow: Flow, fail: Fail, fallback?: number): number[] {
  const n = size(flow.nirShape);
  if (node.params[key] == null && fallback != null) return new Array<number>(n).fill(fallback);
  const a = numbersParam(node, key, name, fail);
  if (a.data.length === 1) return new Array<number>(n).fill(a.data[0]);
  if (fmt(a.shape) !== fmt(flow.nirShape)) {
    fail(name, `parameter '${key}' has shape ${fmt(a.shape)}, but its input has shape ${fmt(flow.nirShape)}`);
  }
  return toOurOrder(a.data, flow);
}

/** The flow into a node: one input as is, several summed (they must agree in shape and layout). */
function join(name: string, flows: Flow[], fail: Fail): Flow {
  if (flows.length === 1) return flows[0];
  const [first] = flows;
  for (const f of flows) {
    if (
      fmt(f.nirShape) !== fmt(first.nirShape) ||
      f.chw !== first.chw ||
      JSON.stringify(f.perm) !== JSON.stringify(first.perm)
    ) {
      fail(
        name,
        `its inputs have different shapes (${flows.map(g => fmt(g.nirShape)).join(', ')}) or layouts and cannot be summed`
      );
    }
  }
  const tensor = tfl.layers.add({name: `${layerName(name)}_sum`}).apply(flows.map(f => f.tensor)) as tfl.SymbolicTensor;
  return {...first, tensor};
}

function apply(layer: tfl.layers.Layer, flow: Flow): tfl.SymbolicTensor {
  return layer.apply(flow.tensor) as tfl.SymbolicTensor;
}

function setWeights(layer: tfl.layers.Layer, values: Array<[number[], number[]]>): void {
  const tensors = values.map(([data, shape]) => tf.tensor(data, shape, 'float32'));
  try {
    layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** The layers for one node, applied to its input; the flow out. */
function convertNode(
  name: string,
  node: NirNode,
  flow: Flow,
  dt: number,
  recurrent: string | undefined,
  graph: NirGraph,
  fail: Fail
): Flow {
  const base = layerName(name);
  switch (node.type) {
    case 'Affine':
    case 'Linear': {
      const w = numbersParam(node, 'weight', name, fail);
      if (w.shape.length !== 2) fail(name, `'weight' must be 2-D [out, in]; got shape ${fmt(w.shape)}`);
      const [out, inn] = w.shape;
      if (flow.nirShape.length !== 1 || flow.nirShape[0] !== inn) {
        fail(
          name,
          `'weight' of shape ${fmt(w.shape)} takes ${inn} features, but its input has shape ${fmt(flow.nirShape)}`
        );
      }
      const kernel = new Array<number>(inn * out);
      for (let i = 0; i < inn; i++) {
        const src = flow.perm == null ? i : flow.perm[i];
        for (let o = 0; o < out; o++) kernel[i * out + o] = w.data[o * inn + src];
      }
      const useBias = node.type === 'Affine';
      const layer = spikingDense({units: out, useBias, name: base});
      const tensor = apply(layer, flow);
      const weights: Array<[number[], number[]]> = [[kernel, [inn, out]]];
      if (useBias) {
        const b = numbersParam(node, 'bias', name, fail);
        if (b.data.length !== out)
          fail(name, `'bias' has shape ${fmt(b.shape)}; 'weight' ${fmt(w.shape)} needs [${out}]`);
        weights.push([b.data, [out]]);
      }
      setWeights(layer, weights);
      return {tensor, nirShape: [out], chw: false, perm: null};
    }
    case 'Conv2d': {
      const w = numbersParam(node, 'weight', name, fail);
      if (w.shape.length !== 4)
        fail(name, `'weight' must be 4-D [out, in, height, width] (Conv1d is not read); got shape ${fmt(w.shape)}`);
      const [o, i, kh, kw] = w.shape;
      if (!flow.chw || flow.nirShape[0] !== i) {
        fail(
          name,
          `'weight' of shape ${fmt(w.shape)} takes [${i}, height, width] maps, but its input has shape ${fmt(flow.nirShape)}`
        );
      }
      const groups = intsParam(node, 'groups', name, fail)[0];
      if (groups !== 1) fail(name, `groups ${groups} is not supported (only 1)`);
      const [, h, wd] = flow.nirShape;
      if (node.params.input_shape != null) {
        const given = intsParam(node, 'input_shape', name, fail);
        if (fmt(given) !== fmt([h, wd]))
          fail(name, `'input_shape' ${fmt(given)} does not match its input's height and width ${fmt([h, wd])}`);
      }
      const strides = pairParam(node, 'stride', name, fail, 1);
      const dilationRate = pairParam(node, 'dilation', name, fail, 1);
      const p = node.params.padding;
      let padding: 'same' | 'valid' = 'valid';
      let input = flow;
      if (typeof p === 'string') {
        if (p !== 'same' && p !== 'valid') fail(name, `padding '${p}' is not 'same', 'valid' or integers`);
        if (p === 'same' && strides.some(s => s !== 1))
          fail(name, `padding 'same' needs stride 1 (as in PyTorch); got ${fmt(strides)}`);
        padding = p as 'same' | 'valid';
      } else {
        const pads = pairParam(node, 'padding', name, fail, 0);
        if (pads.some(x => x > 0)) {
          const pad = spikingZeroPad2d({padding: pads, name: `${base}_pad`});
          input = {...flow, tensor: apply(pad, flow)};
        }
      }
      const kernel = new Array<number>(w.data.length);
      for (let oo = 0; oo < o; oo++)
        for (let ii = 0; ii < i; ii++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++)
              kernel[((y * kw + x) * i + ii) * o + oo] = w.data[((oo * i + ii) * kh + y) * kw + x];
      const b = numbersParam(node, 'bias', name, fail);
      if (b.data.length !== o) fail(name, `'bias' has shape ${fmt(b.shape)}; 'weight' ${fmt(w.shape)} needs [${o}]`);
      const layer = spikingConv2d({
        filters: o,
        kernelSize: [kh, kw],
        strides,
        padding,
        dilationRate,
        useBias: true,
        name: base,
      });
      const tensor = apply(layer, input);
      setWeights(layer, [
        [kernel, [kh, kw, i, o]],
        [b.data, [o]],
      ]);
      const [, , oh, ow] = tensor.shape as number[];
      return {tensor, nirShape: [o, oh, ow], chw: true, perm: null};
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      if (!flow.chw) fail(name, `it pools [channels, height, width] maps; its input has shape ${fmt(flow.nirShape)}`);
      const poolSize = pairParam(node, 'kernel_size', name, fail, 1);
      const strides = pairParam(node, 'stride', name, fail, 1);
      const pads = pairParam(node, 'padding', name, fail, 0);
      if (pads.some(x => x > 0)) fail(name, `padding ${fmt(pads)} is not supported (only 0)`);
      let tensor = apply(spikingAvgPool2d({poolSize, strides, padding: 'valid', name: base}), flow);
      if (node.type === 'SumPool2d') {
        tensor = stepAffine({scale: poolSize[0] * poolSize[1], name: `${base}_sum`}).apply(
          tensor
        ) as tfl.SymbolicTensor;
      }
      const [, , oh, ow] = tensor.shape as number[];
      return {tensor, nirShape: [flow.nirShape[0], oh, ow], chw: true, perm: null};
    }
    case 'Flatten': {
      const rank = flow.nirShape.length;
      if (node.params.input_type != null) {
        const given = intsParam(node, 'input_type', name, fail);
        if (fmt(given) !== fmt(flow.nirShape))
          fail(name, `'input_type' ${fmt(given)} does not match its input's shape ${fmt(flow.nirShape)}`);
      }
      const norm = (d: number) => (d < 0 ? d + rank : d);
      const start = norm(intsParam(node, 'start_dim', name, fail)[0]);
      const end = norm(intsParam(node, 'end_dim', name, fail)[0]);
      if (start !== 0 || end !== rank - 1) {
        fail(
          name,
          `it flattens dimensions ${start}..${end} of ${fmt(flow.nirShape)}; only a flatten of all dimensions is read`
        );
      }
      if (rank === 1) return flow;
      const tensor = apply(spikingFlatten({name: base}), flow);
      let perm: number[] | null = null;
      let permMaps = flow.permMaps;
      if (flow.chw) {
        permMaps = flow.nirShape;
        const [c, h, w] = flow.nirShape;
        perm = new Array<number>(c * h * w);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) for (let ci = 0; ci < c; ci++) perm[(y * w + x) * c + ci] = (ci * h + y) * w + x;
        if (perm.every((p, k) => p === k)) perm = null;
      } else if (flow.perm != null) {
        perm = flow.perm;
      }
      return {tensor, nirShape: [size(flow.nirShape)], chw: false, perm, permMaps};
    }
    case 'Delay': {
      const d = numbersParam(node, 'delay', name, fail);
      if (d.data.some(v => v !== 0))
        fail(name, `delays other than 0 are not supported; got ${JSON.stringify(d.data.slice(0, 8))}`);
      return flow;
    }
    case 'Scale': {
      const scale = neuronParam(node, 'scale', name, flow, fail);
      return {...flow, tensor: apply(stepAffine({scale: nested(scale, ourShape(flow)), name: base}), flow)};
    }
    case 'Threshold': {
      const threshold = neuronParam(node, 'threshold', name, flow, fail);
      return {...flow, tensor: apply(heaviside({threshold: nested(threshold, ourShape(flow)), name: base}), flow)};
    }
    default:
      return convertNeuron(name, node, flow, dt, recurrent, graph, fail);
  }
}

function convertNeuron(
  name: string,
  node: NirNode,
  flow: Flow,
  dt: number,
  recurrent: string | undefined,
  graph: NirGraph,
  fail: Fail
): Flow {
  const base = layerName(name);
  const p = (key: string, fallback?: number) => neuronParam(node, key, name, flow, fail, fallback);
  const positive = (key: string, values: number[]) => {
    const bad = values.find(v => !(v > 0));
    if (bad != null) fail(name, `'${key}' must be > 0; it holds ${bad}`);
    const short = values.find(v => v < dt);
    if (short != null)
      fail(
        name,
        `'${key}' ${short} is shorter than dt ${dt}: forward Euler needs dt <= ${key} (decay 1 − dt/${key} in [0, 1])`
      );
    return values;
  };
  const shape = ourShape(flow);
  let d: Discretised;
  const spiking: {threshold?: NestedNumbers; resetMode?: 'zero'; vReset?: number} = {};
  if (node.type !== 'LI') {
    const resets = p('v_reset', 0);
    if (resets.some(v => v !== resets[0]))
      fail(name, "'v_reset' differs between neurons; only one value per node is supported");
    spiking.threshold = nested(p('v_threshold'), shape);
    spiking.resetMode = 'zero';
    spiking.vReset = resets[0];
  }
  if (node.type === 'IF') {
    d = ifFromNir(dt, p('r'));
  } else if (node.type === 'LIF' || node.type === 'LI') {
    d = leakyFromNir(dt, positive('tau', p('tau')), p('r'), p('v_leak'));
  } else if (node.type === 'CubaLIF') {
    const vLeak = p('v_leak');
    if (vLeak.some(v => v !== 0)) fail(name, "'v_leak' other than 0 is not supported for CubaLIF");
    d = cubaFromNir(dt, positive('tau_syn', p('tau_syn')), positive('tau_mem', p('tau_mem')), p('r'), p('w_in', 1));
  } else {
    return fail(name, `unknown or unsupported node type '${node.type}'`);
  }

  let recurrentKernel: number[] | null = null;
  const bias = d.bias.slice();
  if (recurrent != null) {
    if (flow.chw || flow.perm != null || flow.nirShape.length !== 1) {
      fail(name, `a recurrent neuron must take flat input of its own order; its input has shape ${fmt(flow.nirShape)}`);
    }
    const n = flow.nirShape[0];
    const syn = graph.nodes[recurrent];
    const w = numbersParam(syn, 'weight', recurrent, fail);
    if (fmt(w.shape) !== fmt([n, n]))
      fail(
        recurrent,
        `'weight' of the recurrent connection to '${name}' has shape ${fmt(w.shape)}; ${n} neurons need [${n}, ${n}]`
      );
    recurrentKernel = new Array<number>(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) recurrentKernel[i * n + j] = w.data[j * n + i] * d.scale[j];
    if (syn.type === 'Affine') {
      const b = numbersParam(syn, 'bias', recurrent, fail);
      if (b.data.length !== n) fail(recurrent, `'bias' has shape ${fmt(b.shape)}; ${n} neurons need [${n}]`);
      for (let j = 0; j < n; j++) bias[j] += d.scale[j] * b.data[j];
    }
  }

  let input = flow;
  if (d.scale.some(s => Math.fround(s) !== 1) || bias.some(b => Math.fround(b) !== 0)) {
    const affine = stepAffine({scale: nested(d.scale, shape), bias: nested(bias, shape), name: `${base}_input`});
    input = {...flow, tensor: apply(affine, flow)};
  }
  const leak = nested(d.leak, shape);
  let layer: tfl.layers.Layer;
  if (node.type === 'IF') layer = ifNeuron({...spiking, name: base});
  else if (node.type === 'LI') layer = li({leak, name: base});
  else if (node.type === 'LIF')
    layer = recurrent ? rlif({...spiking, leak, name: base}) : lif({...spiking, leak, name: base});
  else {
    const args = {...spiking, leak, synapticLeak: nested(d.synapticLeak!, shape), name: base};
    layer = recurrent ? rCubaLif(args) : cubaLif(args);
  }
  const tensor = apply(layer, input);
  if (recurrentKernel != null) {
    const n = flow.nirShape[0];
    const kernel = tf.tensor2d(recurrentKernel, [n, n]);
    try {
      layer.setWeights(layer.weights.map(v => (v.originalName.endsWith('recurrentKernel') ? kernel : v.read())));
    } finally {
      kernel.dispose();
    }
  }
  return {...flow, tensor};
}

/** Tarjan's strongly connected components. */
function stronglyConnected(names: string[], outputs: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of outputs.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.reverse());
    }
  };
  for (const n of names) if (!index.has(n)) visit(n);
  return components;
}

/** The nodes in an order where each comes after its inputs (the graph is acyclic here). */
function topological(names: string[], inputsOf: (n: string) => string[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const visit = (n: string) => {
    if (done.has(n)) return;
    done.add(n);
    for (const m of inputsOf(n)) visit(m);
    order.push(n);
  };
  for (const n of names) visit(n);
  return order;
}
