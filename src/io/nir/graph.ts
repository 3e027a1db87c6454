/**
 * NIR graphs as plain objects (what `io.nir.read` returns and `io.nir.save` writes), the node types and their
 * parameters, and their conversion from and to the HDF5 layout NIR's Python package writes (`nir.write`): a string
 * dataset `version` and a group `node` of type `NIRGraph` holding `nodes/<name>/…` and `edges` (pairs of names).
 */
import type {H5Dataset, H5Group} from './hdf5';

/** A numeric parameter: its shape (PyTorch's layouts: Conv2d weights OIHW, per-neuron arrays CHW) and values. */
export interface NirArray {
  shape: number[];
  /** Row-major values. */
  data: number[];
  /** How it is stored: float32, float64 or int64. */
  dtype: 'float32' | 'float64' | 'int64';
}

/** A node: its NIR type (`'LIF'`, `'Conv2d'`, …) and its parameters by NIR's names (strings for `padding` 'same'). */
export interface NirNode {
  type: string;
  params: {[name: string]: NirArray | string};
}

/** A NIR graph: nodes by name and the edges between them (`[from, to]`). */
export interface NirGraph {
  /** The NIR version the file declares (this package writes '0.2.0'). */
  version: string;
  nodes: {[name: string]: NirNode};
  edges: Array<[string, string]>;
}

/** The parameters each node type must have, and those it may have. */
export const NIR_NODE_PARAMS: {readonly [type: string]: {required: readonly string[]; optional: readonly string[]}} =
  Object.freeze({
    Input: {required: ['shape'], optional: []},
    Output: {required: ['shape'], optional: []},
    Affine: {required: ['weight', 'bias'], optional: []},
    Linear: {required: ['weight'], optional: []},
    Conv2d: {required: ['weight', 'bias', 'stride', 'padding', 'dilation', 'groups'], optional: ['input_shape']},
    SumPool2d: {required: ['kernel_size', 'stride', 'padding'], optional: []},
    AvgPool2d: {required: ['kernel_size', 'stride', 'padding'], optional: []},
    Flatten: {required: ['start_dim', 'end_dim'], optional: ['input_type']},
    Scale: {required: ['scale'], optional: []},
    Threshold: {required: ['threshold'], optional: []},
    Delay: {required: ['delay'], optional: []},
    IF: {required: ['r', 'v_threshold'], optional: ['v_reset']},
    LIF: {required: ['tau', 'r', 'v_leak', 'v_threshold'], optional: ['v_reset']},
    LI: {required: ['tau', 'r', 'v_leak'], optional: []},
    CubaLIF: {required: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold'], optional: ['v_reset', 'w_in']},
  });

/** The node types `io.nir.load` reads, in the order docs/nir.md lists them. */
export const NIR_NODE_TYPES: readonly string[] = Object.freeze(Object.keys(NIR_NODE_PARAMS));

const DTYPES: {[h5: string]: NirArray['dtype']} = {'<f': 'float32', '<d': 'float64', '<q': 'int64', '<i': 'int64'};

function toParam(set: H5Dataset, where: string): NirArray | string {
  if (set.dtype === 'S') {
    if (set.shape.length !== 0) throw new Error(`${where}: expected a string or numbers, got an array of strings`);
    return (set.values as string[])[0];
  }
  const dtype =
    DTYPES[set.dtype] ?? (/^[<>|]?[iu]/.test(set.dtype) ? 'int64' : /^[<>]?[fd]/.test(set.dtype) ? 'float64' : null);
  if (dtype == null) throw new Error(`${where}: an HDF5 type NIR does not use (${set.dtype})`);
  return {shape: set.shape, data: set.values as number[], dtype};
}

/** The graph in an HDF5 tree as NIR's `nir.write` lays it out; errors start with `name` and name the node. */
export function graphFromHdf5(root: H5Group, name: string): NirGraph {
  const notNir = (why: string) => new Error(`${name}: not a NIR file: ${why}`);
  const top = root.members.node;
  if (top == null || top.kind !== 'group')
    throw notNir(`it has no group 'node' (its top level holds ${JSON.stringify(Object.keys(root.members))})`);
  const typeOf = (group: H5Group): string | null => {
    const t = group.members.type;
    return t != null && t.kind === 'dataset' && t.dtype === 'S' ? String(t.values[0]) : null;
  };
  if (typeOf(top) !== 'NIRGraph')
    throw notNir(`'node' is not of type 'NIRGraph' (its type: ${JSON.stringify(typeOf(top))})`);
  const nodesGroup = top.members.nodes;
  const edgesSet = top.members.edges;
  if (nodesGroup == null || nodesGroup.kind !== 'group') throw notNir("'node' has no group 'nodes'");
  if (edgesSet == null || edgesSet.kind !== 'dataset') throw notNir("'node' has no dataset 'edges'");
  const versionSet = root.members.version;
  const version = versionSet != null && versionSet.kind === 'dataset' ? String(versionSet.values[0]) : 'unknown';

  const nodes: NirGraph['nodes'] = {};
  for (const [nodeName, group] of Object.entries(nodesGroup.members)) {
    const where = `${name}: node '${nodeName}'`;
    if (group.kind !== 'group') throw new Error(`${where}: is a dataset, not a node group`);
    const type = typeOf(group);
    if (type == null) throw new Error(`${where}: has no string dataset 'type'`);
    const params: NirNode['params'] = {};
    for (const [key, member] of Object.entries(group.members)) {
      if (key === 'type' || key === 'metadata' || member.kind !== 'dataset') continue;
      params[key] = toParam(member, `${where}: parameter '${key}'`);
    }
    nodes[nodeName] = {type, params};
  }
  if (edgesSet.dtype !== 'S' || edgesSet.shape.length !== 2 || edgesSet.shape[1] !== 2) {
    throw notNir(
      `'edges' must be pairs of node names (strings of shape [n, 2]); got type ${edgesSet.dtype} of shape ${JSON.stringify(edgesSet.shape)}`
    );
  }
  const names = edgesSet.values as string[];
  const edges: NirGraph['edges'] = [];
  for (let i = 0; i < names.length; i += 2) edges.push([names[i], names[i + 1]]);
  const graph = {version, nodes, edges};
  checkGraph(graph, name);
  return graph;
}

/** Checks node types, required parameters and edge ends; errors start with `name` and name the node. */
export function checkGraph(graph: NirGraph, name: string): void {
  for (const [nodeName, node] of Object.entries(graph.nodes)) {
    const where = `${name}: node '${nodeName}'`;
    const spec = NIR_NODE_PARAMS[node.type];
    if (spec == null) {
      const nested =
        node.type === 'NIRGraph' ? ' (nested graphs are not read: flatten the graph before writing it)' : '';
      throw new Error(
        `${where}: unknown or unsupported node type '${node.type}'${nested}; the types read are ${NIR_NODE_TYPES.join(', ')}`
      );
    }
    for (const required of spec.required) {
      if (node.params[required] == null) throw new Error(`${where} (${node.type}): missing parameter '${required}'`);
    }
  }
  for (const [from, to] of graph.edges) {
    for (const end of [from, to]) {
      if (graph.nodes[end] == null)
        throw new Error(
          `${name}: the edge ${JSON.stringify([from, to])} names node '${end}', which the graph does not have`
        );
    }
  }
}

const H5_DTYPES: {[dtype in NirArray['dtype']]: string} = {float32: '<f', float64: '<d', int64: '<q'};

/** The HDF5 tree `nir.write` would write for `graph`. */
export function graphToHdf5(graph: NirGraph): H5Group {
  const str = (value: string): H5Dataset => ({kind: 'dataset', shape: [], dtype: 'S', values: [value]});
  const nodes: H5Group = {kind: 'group', members: {}};
  for (const [nodeName, node] of Object.entries(graph.nodes)) {
    const members: H5Group['members'] = {type: str(node.type)};
    for (const [key, value] of Object.entries(node.params)) {
      members[key] =
        typeof value === 'string'
          ? str(value)
          : {kind: 'dataset', shape: value.shape, dtype: H5_DTYPES[value.dtype], values: value.data};
    }
    nodes.members[nodeName] = {kind: 'group', members};
  }
  const edges: H5Dataset = {kind: 'dataset', shape: [graph.edges.length, 2], dtype: 'S', values: graph.edges.flat()};
  return {
    kind: 'group',
    members: {
      version: str(graph.version),
      node: {kind: 'group', members: {type: str('NIRGraph'), nodes, edges}},
    },
  };
}
