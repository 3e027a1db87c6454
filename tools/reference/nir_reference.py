#!/usr/bin/python3
"""Float64 reference of NIR graphs (numpy + h5py), written from NIR's node equations (nir/ir/*.py), not from
tfjs-snn: it reads a NIR file, runs generated inputs through the graph step by step, and writes the inputs and
outputs as JSON fixtures for test/node/nir_conformance_spec.ts (and nir_export_reference_spec.ts, for the file
io.nir.save wrote). It also writes `mixed.nir`, a small graph of the
node types the paper's files do not use, in NIR's HDF5 layout (as nir.write lays it out).

Discretisation (docs/nir.md), forward Euler with step dt, per neuron, the input I_t of step t applied in step t:
  IF:      v += dt*r*I
  LIF, LI: v += dt/tau*(v_leak - v + r*I)
  CubaLIF: i += dt/tau_syn*(-i + w_in*I);  v += dt/tau_mem*(v_leak - v + r*i)   (i: the current after its update)
  spike z = v > v_threshold, then v = v_reset where z (NIR's reset).
A cycle is broken by one step: a back edge (to a node on the depth-first path from the input) carries its source's
output of the previous step (before the first step: its output for zero input, e.g. an Affine's bias); several
edges into a node are summed.

Run: /usr/bin/python3 tools/reference/nir_reference.py   (writes test/fixtures/nir/*_reference.json, mixed.nir)
"""
import json
import os

import h5py
import numpy as np

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'nir')


def read_graph(path):
    """The nodes (type and numpy parameters) and edges of a NIR file."""
    with h5py.File(path, 'r') as f:
        g = f['node']
        nodes = {}
        for name, group in g['nodes'].items():
            params = {}
            for key, ds in group.items():
                if isinstance(ds, h5py.Dataset):
                    v = ds[()]
                    params[key] = v.decode() if isinstance(v, bytes) else np.asarray(v)
            nodes[name] = params
        edges = [(a.decode(), b.decode()) for a, b in g['edges'][()]]
    return nodes, edges


def pair(v):
    v = np.atleast_1d(np.asarray(v)).astype(int)
    return (int(v[0]), int(v[0])) if v.size == 1 else (int(v[0]), int(v[1]))


def conv2d(x, w, b, stride, padding, dilation):
    """PyTorch's Conv2d (cross-correlation) on x [B, C, H, W], w [O, C, kh, kw]."""
    o, c, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    if isinstance(padding, str):
        if padding == 'valid':
            ph = pw = (0, 0)
        else:  # 'same' (stride 1): PyTorch pads total//2 before, the rest after
            th, tw = dh * (kh - 1), dw * (kw - 1)
            ph, pw = (th // 2, th - th // 2), (tw // 2, tw - tw // 2)
    else:
        p = pair(padding)
        ph, pw = (p[0], p[0]), (p[1], p[1])
    xp = np.pad(x, ((0, 0), (0, 0), ph, pw))
    H = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    W = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, H, W))
    for y in range(kh):
        for z in range(kw):
            patch = xp[:, :, y * dh: y * dh + sh * (H - 1) + 1: sh, z * dw: z * dw + sw * (W - 1) + 1: sw]
            out += np.einsum('bchw,oc->bohw', patch, w[:, :, y, z])
    return out + b.reshape(1, o, 1, 1)


def pool2d(x, kernel, stride, mean):
    kh, kw = kernel
    sh, sw = stride
    H = (x.shape[2] - kh) // sh + 1
    W = (x.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (H, W))
    for y in range(kh):
        for z in range(kw):
            out += x[:, :, y: y + sh * (H - 1) + 1: sh, z: z + sw * (W - 1) + 1: sw]
    return out / (kh * kw) if mean else out


NEURONS = ('IF', 'LIF', 'LI', 'CubaLIF')


def run(nodes, edges, x, dt):
    """x [B, T, ...input shape] (float64) -> [B, T, ...output shape]."""
    B, T = x.shape[:2]
    f64 = {n: {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v) for k, v in p.items()} for n, p in nodes.items()}
    inputs_of = {n: [a for a, b in edges if b == n] for n in nodes}
    outputs_of = {n: [b for a, b in edges if a == n] for n in nodes}
    start = [n for n, p in nodes.items() if p['type'] == 'Input'][0]
    end = [n for n, p in nodes.items() if p['type'] == 'Output'][0]
    # Back edges (to a node on the depth-first path from the input) close cycles; the others order the nodes.
    back, on_path, done = set(), set(), set()

    def dfs(n):
        on_path.add(n)
        for m in outputs_of[n]:
            if m in on_path:
                back.add((n, m))
            elif m not in done:
                dfs(m)
        on_path.discard(n)
        done.add(n)
    dfs(start)
    forward_in = {n: [a for a in inputs_of[n] if (a, n) not in back] for n in nodes}
    order, placed = [], set()
    while len(order) < len(done):
        ready = [n for n in done if n not in placed and all(a in placed for a in forward_in[n])]
        if not ready:
            raise ValueError('no order')
        for n in sorted(ready):
            order.append(n)
            placed.add(n)
    state = {}
    prev = {n: None for n in order}  # outputs before the first step: an Affine gives its bias, everything else 0
    outs = []
    for t in range(T):
        cur = {}
        for n in order:
            p = f64[n]
            typ = p['type']
            if typ == 'Input':
                cur[n] = x[:, t]
                continue
            terms = []
            for a in inputs_of[n]:
                if (a, n) not in back and a in cur:
                    terms.append(cur[a])
                elif prev[a] is not None:
                    terms.append(prev[a])
                elif f64[a]['type'] == 'Affine':
                    terms.append(np.broadcast_to(f64[a]['bias'], (B,) + f64[a]['bias'].shape))
                else:
                    terms.append(None)
            known = [v for v in terms if v is not None]
            u = sum(known) if known else 0.0
            if typ == 'Output':
                cur[n] = u
            elif typ == 'Affine':
                cur[n] = u @ p['weight'].T + p['bias']
            elif typ == 'Linear':
                cur[n] = u @ p['weight'].T
            elif typ == 'Conv2d':
                cur[n] = conv2d(u, p['weight'], p['bias'], pair(p['stride']), p['padding'], pair(p['dilation']))
            elif typ in ('SumPool2d', 'AvgPool2d'):
                cur[n] = pool2d(u, pair(p['kernel_size']), pair(p['stride']), typ == 'AvgPool2d')
            elif typ == 'Flatten':
                cur[n] = u.reshape(B, -1)
            elif typ == 'Scale':
                cur[n] = u * p['scale']
            elif typ == 'Threshold':
                cur[n] = (u > p['threshold']).astype(np.float64)
            elif typ == 'Delay':
                cur[n] = u
            elif typ in NEURONS:
                s = state.setdefault(n, {'v': 0.0, 'i': 0.0})
                if typ == 'IF':
                    v = s['v'] + dt * p['r'] * u
                elif typ in ('LIF', 'LI'):
                    v = s['v'] + dt / p['tau'] * (p['v_leak'] - s['v'] + p['r'] * u)
                else:
                    w_in = p.get('w_in', 1.0)
                    s['i'] = s['i'] + dt / p['tau_syn'] * (-s['i'] + w_in * u)
                    v = s['v'] + dt / p['tau_mem'] * (p['v_leak'] - s['v'] + p['r'] * s['i'])
                if typ == 'LI':
                    s['v'] = v
                    cur[n] = v
                else:
                    z = (v > p['v_threshold']).astype(np.float64)
                    v_reset = p.get('v_reset', 0.0)
                    s['v'] = np.where(z > 0, v_reset, v)
                    cur[n] = z
            else:
                raise ValueError(f'node {n}: type {typ}')
        prev = cur
        outs.append(cur[end])
    return np.stack(outs, 1)


def write_mixed(path):
    """A graph of the node types the paper's files lack, with per-neuron arrays that differ (CHW order matters)."""
    rng = np.random.RandomState(7)
    C, H, W = 3, 6, 6
    f32 = np.float32
    nodes = {
        'input': {'type': 'Input', 'shape': np.array([2, H, W], dtype=np.int64)},
        'conv': {'type': 'Conv2d', 'weight': rng.normal(0, 0.6, (C, 2, 3, 3)).astype(f32), 'bias': rng.normal(0.1, 0.05, C).astype(f32),
                 'stride': np.array([1, 1], dtype=np.int64), 'padding': 'same', 'dilation': np.array([1, 1], dtype=np.int64),
                 'groups': np.array(1, dtype=np.int64), 'input_shape': np.array([H, W], dtype=np.int64)},
        'lif': {'type': 'LIF', 'tau': rng.uniform(2e-3, 8e-3, (C, H, W)).astype(f32), 'r': rng.uniform(0.5, 2, (C, H, W)).astype(f32),
                'v_leak': rng.uniform(-0.05, 0.2, (C, H, W)).astype(f32), 'v_threshold': rng.uniform(0.05, 0.15, (C, H, W)).astype(f32),
                'v_reset': np.full((C, H, W), -0.02, dtype=f32)},
        'pool': {'type': 'AvgPool2d', 'kernel_size': np.array([2, 2], dtype=np.int64), 'stride': np.array([2, 2], dtype=np.int64),
                 'padding': np.array([0, 0], dtype=np.int64)},
        'scale': {'type': 'Scale', 'scale': rng.uniform(0.5, 2, (C, H // 2, W // 2)).astype(f32)},
        'thr': {'type': 'Threshold', 'threshold': rng.uniform(0.2, 0.6, (C, H // 2, W // 2)).astype(f32)},
        'delay': {'type': 'Delay', 'delay': np.zeros((C, H // 2, W // 2), dtype=f32)},
        'flat': {'type': 'Flatten', 'start_dim': np.array(0, dtype=np.int64), 'end_dim': np.array(-1, dtype=np.int64),
                 'input_type': np.array([C, H // 2, W // 2], dtype=np.int64)},
        'fc': {'type': 'Linear', 'weight': rng.normal(0, 0.5, (5, C * (H // 2) * (W // 2))).astype(f32)},
        'if': {'type': 'IF', 'r': rng.uniform(400, 800, 5).astype(f32), 'v_threshold': rng.uniform(0.5, 1.0, 5).astype(f32)},
        'fc2': {'type': 'Affine', 'weight': rng.normal(0, 1, (4, 5)).astype(f32), 'bias': rng.normal(0, 0.2, 4).astype(f32)},
        'li': {'type': 'LI', 'tau': rng.uniform(2e-3, 5e-3, 4).astype(f32), 'r': rng.uniform(0.5, 2, 4).astype(f32),
               'v_leak': rng.uniform(-0.1, 0.1, 4).astype(f32)},
        'output': {'type': 'Output', 'shape': np.array([4], dtype=np.int64)},
    }
    chain = ['input', 'conv', 'lif', 'pool', 'scale', 'thr', 'delay', 'flat', 'fc', 'if', 'fc2', 'li', 'output']
    edges = list(zip(chain[:-1], chain[1:]))
    with h5py.File(path, 'w') as f:
        f.create_dataset('version', data='0.2.0', dtype=h5py.string_dtype())
        g = f.create_group('node')
        g.create_dataset('type', data='NIRGraph', dtype=h5py.string_dtype())
        ng = g.create_group('nodes')
        for name, params in nodes.items():
            sub = ng.create_group(name)
            for key, value in params.items():
                if isinstance(value, str):
                    sub.create_dataset(key, data=value, dtype=h5py.string_dtype())
                else:
                    sub.create_dataset(key, data=value)
        g.create_dataset('edges', data=np.array(edges, dtype=object), dtype=h5py.string_dtype())


CASES = [
    # file, dt, batch, steps, spike probability of the input, seed
    ('cnn_sinabs.nir', 1.0, 2, 20, 0.15, 1),
    ('braille_noDelay_bias_zero.nir', 1e-4, 2, 40, 0.3, 2),
    ('braille_noDelay_noBias_subtract.nir', 1e-4, 2, 40, 0.3, 3),
    ('mixed.nir', 1e-3, 2, 16, 0.5, 4),
    # written by io.nir.save (test/node/nir_export_reference_spec.ts): the reference checks what we write
    ('exported.nir', 1e-3, 2, 16, 0.4, 5),
]


def main():
    write_mixed(os.path.join(FIXTURES, 'mixed.nir'))
    for name, dt, batch, steps, p, seed in CASES:
        nodes, edges = read_graph(os.path.join(FIXTURES, name))
        shape = tuple(int(d) for d in [n for n in nodes.values() if n['type'] == 'Input'][0]['shape'])
        rng = np.random.RandomState(seed)
        x = (rng.uniform(size=(batch, steps) + shape) < p).astype(np.float64)
        y = run(nodes, edges, x, dt)
        out = {
            'file': name, 'dt': dt, 'inputShape': [batch, steps, *shape], 'outputShape': list(y.shape),
            'inputOnes': np.flatnonzero(x).tolist(), 'output': y.reshape(-1).tolist(),
            'note': 'written by tools/reference/nir_reference.py (float64, NIR layouts: inputs [batch, time, C, H, W])',
        }
        target = os.path.join(FIXTURES, name.replace('.nir', '_reference.json'))
        with open(target, 'w') as f:
            json.dump(out, f)
        spikes = int(y.sum()) if set(np.unique(y)) <= {0.0, 1.0} else None
        print(f'{name}: input {x.shape} ({int(x.sum())} spikes) -> output {y.shape}, output spikes {spikes}')


if __name__ == '__main__':
    main()
