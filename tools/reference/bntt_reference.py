#!/usr/bin/env python3
"""Float64 PyTorch reference fixture for BNTT spiking networks (dev tool only).

What it computes
----------------
A small SNN written the way the reference code of Kim & Panda 2021, "Revisiting
Batch Normalization for Training Low-latency Deep SNNs from Scratch"
(github.com/Intelligent-Computing-Lab-Yale/BNTT-Batch-Normalization-Through-Time,
model.py, class SNN_VGG9_BNTT) writes it, scaled down and in float64:

    conv1 3x3 2->6 (pad 1, no bias) -> BNTT1 -> LIF -> AvgPool2d(2)
    conv2 3x3 6->8 (pad 1, no bias) -> BNTT2 -> LIF -> AvgPool2d(2)
    flatten (8*2*2 = 32) -> fc1 32->12 (no bias) -> BNTT3 (BatchNorm1d) -> LIF
    fc2 12->5 (no bias) -> output integrator (mem_fc2 += fc2(out)); logits = mem_fc2 / T

BNTT_i is a ModuleList of T BatchNorm modules (eps 1e-4, PyTorch momentum 0.1,
affine, `.bias = None`), the one for step t used at step t.  LIF: leak 0.95,
threshold 1.0, soft (subtract) reset whose mask is built without gradient,
spike = Heaviside(mem/threshold - 1) forward and the reference's
Surrogate_BP_Function backward (grad * 0.3 * max(0, 1 - |mem/threshold - 1|)).
Unlike the reference, the Poisson input spikes are drawn once, outside the
network (by the reference's PoissonGen rule: (rand*2 <= |x|) * sign(x)), and
stored in the fixture, so another implementation can consume exactly them.

Recorded (see the JSON keys): the initial parameters; in training mode the
logits, the mean cross-entropy loss, the gradient of every weight and of every
per-step gamma, the BN running statistics after the training forward (PyTorch:
running = 0.9*running + 0.1*batch, with the UNBIASED batch variance, n/(n-1),
n = B*H*W for the conv BNs and n = B for the fc BN; this is Keras momentum 0.9),
and the firing rate of each LIF layer; in eval mode (original weights, updated
running statistics) the logits; and every parameter after one
torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=1e-4) step (weight decay is
applied to the gammas too).

Seed choice: every LIF membrane value just before the spike decision, in both
the training and the eval forward, must be far from the threshold, so float32
code makes the same spike decisions; config.margin records min |mem - threshold|.
Seeds 0..2000 are screened; the seed is the first one that reaches the highest
reachable margin target among 2e-3, 1e-3, 4e-4 (only 4e-4 is reachable for this
network, see MARGIN_TARGETS) and has every LIF layer firing at a rate in
[2%, 60%] in training.  The script also runs the chosen problem in float32
(PyTorch) and asserts that it makes exactly the same spike decisions.

How to run
----------
    /usr/bin/python3 tools/reference/bntt_reference.py

writes test/fixtures/bntt_reference.json (deterministic: same bytes each run).
Needs only torch (tested with Debian's PyTorch 1.13, CPU).

Layout conventions in the JSON (tfjs, channels-last)
----------------------------------------------------
- inputSpikes: [B, T, H, W, C] with values in {-1, 0, 1}; labels: [B] ints.
- conv kernels: [kh, kw, inChannels, outChannels] = torch weight.permute(2, 3, 1, 0).
- dense kernels: [inFeatures, units] = torch weight.T.  fc1's rows are
  additionally permuted so that its input is flattened from NHWC (h, w, c
  order, as tfjs flattens [B, T, 2, 2, 8]) instead of the reference's NCHW
  (c, h, w) order.  The same holds for fc1's gradient and post-step value.
- gamma, gamma gradients, movingMean, movingVariance: [T, C].
- logits: [B, K].
The script re-computes the whole thing (forward, loss, gradients, running
statistics, eval forward, SGD step) in that tfjs layout, with its own
NHWC convolution / pooling / batch norm, and asserts agreement to 1e-12.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snn_torch import ALPHA, Surrogate_BP_Function  # noqa: E402  the reference's spike function, shared

torch.set_default_dtype(torch.float64)

# ---------------------------------------------------------------- configuration
B, T, H, W, C, K = 6, 5, 8, 8, 2, 5
C1, C2, U1 = 6, 8, 12
LEAK, THRESHOLD = 0.95, 1.0
EPS, MOMENTUM = 1e-4, 0.1
LR, SGD_MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 1e-4
# Margin targets, tried in this order over seeds 0..MAX_SEED; the first seed that
# reaches the highest reachable target wins.  2e-3 and 1e-3 are unreachable for
# this network: ~27k membrane values per seed (both modes) with a density of
# roughly 0.2 per unit near the threshold make min |mem - threshold| about
# exponential with mean ~7e-5 (median 5e-5 over seeds 0..199; the best of seeds
# 0..10000 is 5.6e-4).  4e-4 is still >100x the float32 membrane error that
# float32_check() measures.
MARGIN_TARGETS = (2e-3, 1e-3, 4e-4)
MAX_SEED = 2000
RATE_MIN, RATE_MAX = 0.02, 0.60
TOL = 1e-12

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
OUT_PATH = os.path.join(ROOT, 'test', 'fixtures', 'bntt_reference.json')


# --------------------------------------------------- reference building blocks
def PoissonGen(inp, gen, rescale_fac=2.0):
    """The reference's PoissonGen, with an explicit generator."""
    rand_inp = torch.rand(inp.shape, generator=gen)
    return torch.mul(torch.le(rand_inp * rescale_fac, torch.abs(inp)).to(inp.dtype), torch.sign(inp))


class SNN_BNTT(nn.Module):
    """Scaled-down SNN_VGG9_BNTT: two conv blocks, fc1 + BNTT, fc2 integrator."""

    def __init__(self):
        super().__init__()
        self.num_steps = T
        self.leak_mem = LEAK
        self.spike_fn = Surrogate_BP_Function.apply
        self.conv1 = nn.Conv2d(C, C1, kernel_size=3, stride=1, padding=1, bias=False)
        self.bntt1 = nn.ModuleList([nn.BatchNorm2d(C1, eps=EPS, momentum=MOMENTUM, affine=True) for _ in range(T)])
        self.pool1 = nn.AvgPool2d(kernel_size=2)
        self.conv2 = nn.Conv2d(C1, C2, kernel_size=3, stride=1, padding=1, bias=False)
        self.bntt2 = nn.ModuleList([nn.BatchNorm2d(C2, eps=EPS, momentum=MOMENTUM, affine=True) for _ in range(T)])
        self.pool2 = nn.AvgPool2d(kernel_size=2)
        self.fc1 = nn.Linear(C2 * (H // 4) * (W // 4), U1, bias=False)
        self.bntt_fc = nn.ModuleList([nn.BatchNorm1d(U1, eps=EPS, momentum=MOMENTUM, affine=True) for _ in range(T)])
        self.fc2 = nn.Linear(U1, K, bias=False)

        self.conv_list = [self.conv1, self.conv2]
        self.bntt_list = [self.bntt1, self.bntt2, self.bntt_fc]
        self.pool_list = [self.pool1, self.pool2]

        # Turn off bias of BNTT (as the reference does)
        for bn_list in self.bntt_list:
            for bn_temp in bn_list:
                bn_temp.bias = None
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.threshold = THRESHOLD

    def forward(self, spikes, record=None):
        """spikes: [B, T, C, H, W] fixed input spikes.  record: optional dict that
        receives, per LIF layer, the membranes before reset and the spikes."""
        batch_size = spikes.size(0)
        dt = spikes.dtype
        mem_conv_list = [torch.zeros(batch_size, C1, H, W, dtype=dt), torch.zeros(batch_size, C2, H // 2, W // 2, dtype=dt)]
        mem_fc1 = torch.zeros(batch_size, U1, dtype=dt)
        mem_fc2 = torch.zeros(batch_size, K, dtype=dt)

        for t in range(self.num_steps):
            out_prev = spikes[:, t]
            for i in range(len(self.conv_list)):
                mem_conv_list[i] = self.leak_mem * mem_conv_list[i] + self.bntt_list[i][t](self.conv_list[i](out_prev))
                mem_thr = (mem_conv_list[i] / self.conv_list[i].threshold) - 1.0
                out = self.spike_fn(mem_thr)
                rst = torch.zeros_like(mem_conv_list[i])
                rst[mem_thr > 0] = self.conv_list[i].threshold
                if record is not None:
                    record.setdefault('mem%d' % (i + 1), []).append(mem_conv_list[i].detach().clone())
                    record.setdefault('spk%d' % (i + 1), []).append(out.detach().clone())
                mem_conv_list[i] = mem_conv_list[i] - rst
                out_prev = out.clone()
                out = self.pool_list[i](out_prev)
                out_prev = out.clone()

            out_prev = out_prev.reshape(batch_size, -1)  # NCHW flatten: (c, h, w)

            mem_fc1 = self.leak_mem * mem_fc1 + self.bntt_fc[t](self.fc1(out_prev))
            mem_thr = (mem_fc1 / self.fc1.threshold) - 1.0
            out = self.spike_fn(mem_thr)
            rst = torch.zeros_like(mem_fc1)
            rst[mem_thr > 0] = self.fc1.threshold
            if record is not None:
                record.setdefault('mem3', []).append(mem_fc1.detach().clone())
                record.setdefault('spk3', []).append(out.detach().clone())
            mem_fc1 = mem_fc1 - rst
            out_prev = out.clone()

            # accumulate voltage in the last layer
            mem_fc2 = mem_fc2 + self.fc2(out_prev)

        return mem_fc2 / self.num_steps


# ------------------------------------------------------------ seeded problem
def xavier_uniform_(tensor, gen, gain):
    """torch.nn.init.xavier_uniform_ (same bound), drawing from `gen`."""
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(3.0) * math.sqrt(2.0 / float(fan_in + fan_out))
    with torch.no_grad():
        return tensor.uniform_(-a, a, generator=gen)


def uniform(shape, lo, hi, gen):
    return torch.rand(shape, generator=gen) * (hi - lo) + lo


def build(seed):
    """Returns (model, spikes [B, T, C, H, W], labels [B]) for a seed."""
    gen = torch.Generator().manual_seed(seed)
    images = uniform((B, C, H, W), -1.0, 1.0, gen)
    spikes = torch.stack([PoissonGen(images, gen) for _ in range(T)], dim=1)
    labels = torch.randint(0, K, (B,), generator=gen)

    model = SNN_BNTT()
    for m in (model.conv1, model.conv2, model.fc1, model.fc2):
        xavier_uniform_(m.weight, gen, gain=2)
    with torch.no_grad():
        for bn_list in model.bntt_list:
            n = bn_list[0].num_features
            gamma = uniform((T, n), 0.6, 1.6, gen)
            mean = uniform((T, n), -0.2, 0.2, gen)
            var = uniform((T, n), 0.5, 1.5, gen)
            for t, bn in enumerate(bn_list):
                bn.weight.copy_(gamma[t])
                bn.running_mean.copy_(mean[t])
                bn.running_var.copy_(var[t])
    return model, spikes, labels


def screen(seed):
    """Margin (min |mem - threshold| over both modes) and training firing rates."""
    model, spikes, _ = build(seed)
    rec_train, rec_eval = {}, {}
    with torch.no_grad():
        model.train()
        model(spikes, rec_train)
        model.eval()
        model(spikes, rec_eval)
    margin = min(
        float(torch.stack(rec[k]).sub(THRESHOLD).abs().min())
        for rec in (rec_train, rec_eval) for k in ('mem1', 'mem2', 'mem3'))
    rates = [float(torch.stack(rec_train['spk%d' % i]).mean()) for i in (1, 2, 3)]
    return margin, rates


def float32_check(seed):
    """Runs the same network in float32; asserts identical spikes, returns the
    largest membrane difference from float64 (both modes)."""
    out = 0.0
    for training in (True, False):
        m64, spikes, _ = build(seed)
        m32 = SNN_BNTT()
        m32.load_state_dict(m64.state_dict())
        m32 = m32.float()
        for m in (m64, m32):
            m.train(training)
        r64, r32 = {}, {}
        with torch.no_grad():
            m64(spikes, r64)
            m32(spikes.float(), r32)
        for i in (1, 2, 3):
            for a, b in zip(r64['spk%d' % i], r32['spk%d' % i]):
                assert torch.equal(a, b.double()), 'float32 spikes differ (layer %d)' % i
            for a, b in zip(r64['mem%d' % i], r32['mem%d' % i]):
                out = max(out, float((a - b.double()).abs().max()))
    return out


# ---------------------------------------------------- layout conversions
FC1_IN = C2 * (H // 4) * (W // 4)


def conv_kernel_tf(w):      # [out, in, kh, kw] -> [kh, kw, in, out]
    return w.permute(2, 3, 1, 0).contiguous()


def dense_kernel_tf(w):     # [units, in] -> [in, units]
    return w.t().contiguous()


def fc1_kernel_tf(w):       # [units, (c, h, w)] -> [(h, w, c), units]
    return w.reshape(U1, C2, H // 4, W // 4).permute(2, 3, 1, 0).reshape(FC1_IN, U1).contiguous()


def stack_bn(bn_list, attr):
    return torch.stack([getattr(bn, attr).detach().clone() for bn in bn_list])


def stack_bn_grad(bn_list):
    return torch.stack([bn.weight.grad.detach().clone() for bn in bn_list])


def tf_params(model):
    """Current parameters / statistics in the tfjs layout."""
    return {
        'conv1': {'kernel': conv_kernel_tf(model.conv1.weight.detach())},
        'bntt1': {'gamma': stack_bn(model.bntt1, 'weight'), 'movingMean': stack_bn(model.bntt1, 'running_mean'),
                  'movingVariance': stack_bn(model.bntt1, 'running_var')},
        'conv2': {'kernel': conv_kernel_tf(model.conv2.weight.detach())},
        'bntt2': {'gamma': stack_bn(model.bntt2, 'weight'), 'movingMean': stack_bn(model.bntt2, 'running_mean'),
                  'movingVariance': stack_bn(model.bntt2, 'running_var')},
        'fc1': {'kernel': fc1_kernel_tf(model.fc1.weight.detach())},
        'bntt3': {'gamma': stack_bn(model.bntt_fc, 'weight'), 'movingMean': stack_bn(model.bntt_fc, 'running_mean'),
                  'movingVariance': stack_bn(model.bntt_fc, 'running_var')},
        'fc2': {'kernel': dense_kernel_tf(model.fc2.weight.detach())},
    }


def tf_grads(model):
    return {
        'conv1': {'kernel': conv_kernel_tf(model.conv1.weight.grad)},
        'bntt1': {'gamma': stack_bn_grad(model.bntt1)},
        'conv2': {'kernel': conv_kernel_tf(model.conv2.weight.grad)},
        'bntt2': {'gamma': stack_bn_grad(model.bntt2)},
        'fc1': {'kernel': fc1_kernel_tf(model.fc1.weight.grad)},
        'bntt3': {'gamma': stack_bn_grad(model.bntt_fc)},
        'fc2': {'kernel': dense_kernel_tf(model.fc2.weight.grad)},
    }


# ------------------------------- independent forward in the tfjs (NHWC) layout
def conv_nhwc_same(x, k):
    """x [B, H, W, Cin], k [3, 3, Cin, Cout], stride 1, zero 'same' padding."""
    b, h, w, _ = x.shape
    xp = torch.zeros(b, h + 2, w + 2, x.shape[3], dtype=x.dtype)
    xp[:, 1:h + 1, 1:w + 1, :] = x
    out = 0
    for i in range(3):
        for j in range(3):
            out = out + torch.einsum('bhwc,co->bhwo', xp[:, i:i + h, j:j + w, :], k[i, j])
    return out


def avgpool2_nhwc(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(dim=(2, 4))


def batchnorm_lastaxis(x, gamma, mean_mv, var_mv, training):
    """Normalises over all axes but the last; returns (y, batch mean, unbiased batch var)."""
    axes = tuple(range(x.dim() - 1))
    if training:
        n = x.numel() // x.shape[-1]
        mean = x.mean(dim=axes)
        var = ((x - mean) ** 2).mean(dim=axes)
        y = (x - mean) / torch.sqrt(var + EPS) * gamma
        return y, mean, var * n / (n - 1)
    return (x - mean_mv) / torch.sqrt(var_mv + EPS) * gamma, None, None


def lif_step(mem, drive):
    mem = LEAK * mem + drive
    thr = mem / THRESHOLD - 1.0
    spike = Surrogate_BP_Function.apply(thr)
    return mem - (thr > 0).to(mem.dtype) * THRESHOLD, spike


def tf_forward(spikes_bthwc, p, training):
    """Returns (logits, new moving stats or None).  p: tfjs-layout tensors."""
    bsz = spikes_bthwc.shape[0]
    mem1 = torch.zeros(bsz, H, W, C1)
    mem2 = torch.zeros(bsz, H // 2, W // 2, C2)
    mem3 = torch.zeros(bsz, U1)
    acc = torch.zeros(bsz, K)
    moving = {n: {'movingMean': [], 'movingVariance': []} for n in ('bntt1', 'bntt2', 'bntt3')}

    def bn(x, name, t):
        q = p[name]
        y, m, v = batchnorm_lastaxis(x, q['gamma'][t], q['movingMean'][t], q['movingVariance'][t], training)
        if training:
            moving[name]['movingMean'].append((1 - MOMENTUM) * q['movingMean'][t] + MOMENTUM * m.detach())
            moving[name]['movingVariance'].append((1 - MOMENTUM) * q['movingVariance'][t] + MOMENTUM * v.detach())
        return y

    for t in range(T):
        x = spikes_bthwc[:, t]
        mem1, s1 = lif_step(mem1, bn(conv_nhwc_same(x, p['conv1']['kernel']), 'bntt1', t))
        x = avgpool2_nhwc(s1)
        mem2, s2 = lif_step(mem2, bn(conv_nhwc_same(x, p['conv2']['kernel']), 'bntt2', t))
        x = avgpool2_nhwc(s2).reshape(bsz, -1)  # NHWC flatten: (h, w, c)
        mem3, s3 = lif_step(mem3, bn(x @ p['fc1']['kernel'], 'bntt3', t))
        acc = acc + s3 @ p['fc2']['kernel']
    if training:
        moving = {n: {k: torch.stack(v) for k, v in d.items()} for n, d in moving.items()}
    else:
        moving = None
    return acc / T, moving


def assert_close(name, a, b):
    assert a.shape == b.shape, '%s: shape %s vs %s' % (name, tuple(a.shape), tuple(b.shape))
    err = float((a - b).abs().max()) if a.numel() else 0.0
    assert err <= TOL, '%s: max abs difference %g > %g' % (name, err, TOL)


# ---------------------------------------------------------------- JSON output
def to_json_value(x):
    if isinstance(x, torch.Tensor):
        x = x.tolist()
    if isinstance(x, dict):
        return {k: to_json_value(v) for k, v in x.items()}
    if isinstance(x, float):
        assert math.isfinite(x)
    return x


def dumps(obj, indent=0):
    """Dicts one key per line, short lists inline, long nested lists one row per line."""
    pad = '  ' * indent
    if isinstance(obj, dict):
        if not obj:
            return '{}'
        items = ['%s  %s: %s' % (pad, json.dumps(k), dumps(v, indent + 1)) for k, v in obj.items()]
        return '{\n' + ',\n'.join(items) + '\n' + pad + '}'
    if isinstance(obj, list):
        flat = json.dumps(obj, separators=(',', ':'), allow_nan=False)
        if len(flat) <= 160 or not obj or not isinstance(obj[0], list):
            return flat
        return '[\n' + ',\n'.join(pad + '  ' + dumps(v, indent + 1) for v in obj) + '\n' + pad + ']'
    return json.dumps(obj, allow_nan=False)


# ----------------------------------------------------------------------- main
def choose_seed():
    scanned = []
    for seed in range(MAX_SEED + 1):
        margin, rates = screen(seed)
        ok_rates = all(RATE_MIN <= r <= RATE_MAX for r in rates)
        scanned.append((seed, margin, ok_rates))
        if ok_rates and margin >= MARGIN_TARGETS[0]:
            return seed, margin, MARGIN_TARGETS[0]
    for target in MARGIN_TARGETS[1:]:
        print('no seed <= %d reaches margin %g; trying %g' % (MAX_SEED, MARGIN_TARGETS[MARGIN_TARGETS.index(target) - 1], target),
              file=sys.stderr)
        for seed, margin, ok_rates in scanned:
            if ok_rates and margin >= target:
                return seed, margin, target
    best = max((s for s in scanned if s[2]), key=lambda s: s[1])
    raise SystemExit('no seed <= %d reaches margin %g (best: seed %d, margin %g)'
                     % (MAX_SEED, MARGIN_TARGETS[-1], best[0], best[1]))


def main():
    torch.set_num_threads(1)  # bitwise reproducibility of CPU reductions
    seed, margin, target = choose_seed()
    print('seed %d, margin %.6g (target %g)' % (seed, margin, target), file=sys.stderr)
    err32 = float32_check(seed)
    print('float32 run: same spikes, max membrane difference %.3g' % err32, file=sys.stderr)

    model, spikes, labels = build(seed)
    initial = tf_params(model)
    params = list(model.parameters())
    assert len(params) == 4 + 3 * T  # 4 weights + T gammas per BNTT (no betas)

    # 1. training forward / backward
    model.train()
    rec = {}
    logits_train = model(spikes, rec)
    loss = nn.CrossEntropyLoss()(logits_train, labels)
    loss.backward()
    grads = tf_grads(model)
    after = tf_params(model)
    moving_after = {n: {k: after[n][k] for k in ('movingMean', 'movingVariance')} for n in ('bntt1', 'bntt2', 'bntt3')}
    rates = {'lif%d' % i: float(torch.stack(rec['spk%d' % i]).mean()) for i in (1, 2, 3)}

    # 2. eval forward: original weights, updated running statistics
    model.eval()
    with torch.no_grad():
        logits_eval = model(spikes)

    # 3. one SGD step
    opt = torch.optim.SGD(params, lr=LR, momentum=SGD_MOMENTUM, weight_decay=WEIGHT_DECAY)
    opt.step()
    stepped = tf_params(model)
    after_step = {n: ({'gamma': v['gamma']} if n.startswith('bntt') else v) for n, v in stepped.items()}

    # ---- independent check in the tfjs layout
    spikes_tf = spikes.permute(0, 1, 3, 4, 2).contiguous()  # [B, T, H, W, C]
    leaves = {n: {k: v.clone().requires_grad_(k in ('kernel', 'gamma')) for k, v in d.items()}
              for n, d in initial.items()}
    lt, mv = tf_forward(spikes_tf, leaves, training=True)
    assert_close('train logits', lt.detach(), logits_train.detach())
    lt_loss = F.cross_entropy(lt, labels)
    assert abs(float(lt_loss) - float(loss)) <= TOL
    lt_loss.backward()
    for n, d in grads.items():
        for k, g in d.items():
            assert_close('grad %s.%s' % (n, k), leaves[n][k].grad, g)
    for n, d in moving_after.items():
        for k, v in d.items():
            assert_close('%s.%s after' % (n, k), mv[n][k], v)
    eval_p = {n: dict(d, **mv.get(n, {})) for n, d in initial.items()}
    le, _ = tf_forward(spikes_tf, eval_p, training=False)
    assert_close('eval logits', le, logits_eval)
    for n, d in after_step.items():
        for k, v in d.items():
            g = grads[n][k]
            # first SGD step with momentum: buf = g + wd*p; p -= lr*buf
            assert_close('step %s.%s' % (n, k), initial[n][k] - LR * (g + WEIGHT_DECAY * initial[n][k]), v)

    fixture = {
        'description': ('Float64 PyTorch reference for a BNTT SNN (Kim & Panda 2021, reference model.py '
                        'semantics): conv1(3x3,6)-BNTT-LIF-avgpool2-conv2(3x3,8)-BNTT-LIF-avgpool2-flatten-'
                        'fc1(12)-BNTT-LIF-fc2(5) integrator, logits = sum_t fc2(spikes_t)/T. No biases, no BN '
                        'betas; soft reset; surrogate grad 0.3*max(0,1-|mem/thr-1|). Training-mode logits, loss, '
                        'grads and updated running stats (PyTorch momentum 0.1, unbiased batch variance), '
                        'eval-mode logits (original weights, updated stats), params after one SGD step. '
                        'tfjs layouts: inputs [B,T,H,W,C]; conv kernels [kh,kw,in,out]; dense [in,units] with '
                        'fc1 rows in NHWC (h,w,c) flatten order; per-step BN tensors [T,C].'),
        'generator': 'tools/reference/bntt_reference.py',
        'torch_version': torch.__version__,
        'config': {
            'batch': B, 'timeSteps': T, 'height': H, 'width': W, 'channels': C, 'classes': K,
            'leak': LEAK, 'threshold': THRESHOLD, 'epsilon': EPS, 'momentum_pytorch': MOMENTUM,
            'surrogateAlpha': ALPHA, 'conv1Filters': C1, 'conv2Filters': C2, 'fc1Units': U1,
            'sgd': {'lr': LR, 'momentum': SGD_MOMENTUM, 'weightDecay': WEIGHT_DECAY},
            'seed': seed, 'margin': margin,
        },
        'inputSpikes': spikes_tf.to(torch.int64),
        'labels': labels,
        'initial': initial,
        'train': {
            'logits': logits_train.detach(),
            'loss': float(loss),
            'grads': grads,
            'movingAfter': moving_after,
            'firingRates': rates,
        },
        'eval': {'logits': logits_eval},
        'afterSgdStep': after_step,
    }
    text = dumps(to_json_value(fixture)) + '\n'
    json.loads(text)
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, 'w') as f:
        f.write(text)
    print('wrote %s (%d bytes); loss %.17g; rates %s' % (OUT_PATH, len(text), float(loss), rates), file=sys.stderr)


if __name__ == '__main__':
    main()
