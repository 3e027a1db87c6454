"""The tfjs-snn ready-made networks written in PyTorch, shared by the reference scripts
(bench_torch.py times them, train_torch.py trains them on real data).

Two forms of the same network:
- `SnnBntt` loops over the steps t like the BNTT reference (Kim & Panda 2021, model.py,
  SNN_VGG9_BNTT): per step every layer in turn.  Used for timing, as the reference runs.
- `SnnLayerMajor` runs each layer over all steps before the next, the layout tfjs-snn uses
  ([batch, time, ...]).  For a feed-forward network the two compute the same thing; the layer-major
  form can also normalise with one set of statistics over batch, time and space
  (`normalization='batchnorm'`, snn.layers.spikingBatchNorm) or not at all (`'none'`).

Both: per conv `Conv2d(3x3, pad 1, no bias) -> norm -> LIF`, AvgPool2d(2) on spikes where the
plan says, flatten, `Linear(no bias) -> norm -> LIF` hidden layers, and a `Linear(no bias)`
output integrator whose sum over steps / T gives the logits.  BNTT is a ModuleList of T
BatchNorm modules per layer (eps 1e-4, momentum 0.1, `.bias = None`), the spike is the
reference's Surrogate_BP_Function, the subtract reset is built without gradient, weights are
xavier-uniform with gain 2, the input is direct (the analog image at every step).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

# The tfjs models' plans (src/models/small.ts, vgg.ts): conv channels, 'pool', then hidden dense units.
PLANS = {
    'small': ([32, 'pool', 64, 'pool'], [256]),
    'vgg9': ([64, 64, 'pool', 128, 128, 'pool', 256, 256, 256, 'pool'], [1024]),
}
LEAK, THRESHOLD = 0.95, 1.0
EPS, BN_MOMENTUM = 1e-4, 0.1
ALPHA = 0.3
NORMALIZATIONS = ('bntt', 'batchnorm', 'none')


class Surrogate_BP_Function(torch.autograd.Function):
    """As in the reference model.py (minus .cuda())."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        out = torch.zeros_like(input)
        out[input > 0] = 1.0
        return out

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad = grad_input * ALPHA * F.threshold(1.0 - torch.abs(input), 0, 0)
        return grad


def batch_norm(channels, dims):
    """A reference BatchNorm without bias (the BNTT layers' per-step module)."""
    norm = (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(channels, eps=EPS, momentum=BN_MOMENTUM, affine=True)
    norm.bias = None
    return norm


def bntt(channels, steps, dims):
    """A reference BNTT layer: one BatchNorm per step, no bias."""
    return nn.ModuleList([batch_norm(channels, dims) for _ in range(steps)])


def init_weights(model):
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.threshold = THRESHOLD
            torch.nn.init.xavier_uniform_(m.weight, gain=2)


def layer_shapes(plan, hidden, input_shape):
    """Per conv (in, out, pool after?, [C, H, W] of its membrane); then the flattened feature count."""
    height, width, channels = input_shape
    convs = []
    for step in plan:
        if step == 'pool':
            convs[-1]['pool'] = True
            height, width = height // 2, width // 2
            continue
        convs.append({'in': channels, 'out': step, 'pool': False, 'shape': (step, height, width)})
        channels = step
    return convs, channels * height * width


class SnnBntt(nn.Module):
    """The reference's SNN_VGG9_BNTT structure for any plan of convs, pools and hidden dense layers."""

    def __init__(self, plan, hidden, input_shape, num_classes, steps):
        super().__init__()
        self.num_steps = steps
        self.leak_mem = LEAK
        self.spike_fn = Surrogate_BP_Function.apply
        convs, features = layer_shapes(plan, hidden, input_shape)
        self.conv_list = nn.ModuleList(
            [nn.Conv2d(c['in'], c['out'], kernel_size=3, stride=1, padding=1, bias=False) for c in convs])
        self.bntt_list = nn.ModuleList([bntt(c['out'], steps, 2) for c in convs])
        self.pool_after = [nn.AvgPool2d(kernel_size=2) if c['pool'] else None for c in convs]
        self.mem_shapes = [c['shape'] for c in convs]
        self.fc_list = nn.ModuleList()
        self.bntt_fc_list = nn.ModuleList()
        for units in hidden:
            self.fc_list.append(nn.Linear(features, units, bias=False))
            self.bntt_fc_list.append(bntt(units, steps, 1))
            features = units
        self.fc_out = nn.Linear(features, num_classes, bias=False)
        init_weights(self)

    def lif(self, mem, current, layer):
        """One LIF step as the reference writes it; returns (membrane after reset, spikes)."""
        mem = self.leak_mem * mem + current
        mem_thr = (mem / layer.threshold) - 1.0
        out = self.spike_fn(mem_thr)
        rst = torch.zeros_like(mem)
        rst[mem_thr > 0] = layer.threshold
        return mem - rst, out

    def forward(self, inp):
        batch_size = inp.size(0)
        mem_conv_list = [torch.zeros(batch_size, *shape, device=inp.device) for shape in self.mem_shapes]
        mem_fc_list = [torch.zeros(batch_size, fc.out_features, device=inp.device) for fc in self.fc_list]
        mem_out = torch.zeros(batch_size, self.fc_out.out_features, device=inp.device)

        for t in range(self.num_steps):
            out_prev = inp  # direct input: the analog image at every step
            for i, conv in enumerate(self.conv_list):
                mem_conv_list[i], out = self.lif(mem_conv_list[i], self.bntt_list[i][t](conv(out_prev)), conv)
                out_prev = out.clone()
                if self.pool_after[i] is not None:
                    out = self.pool_after[i](out_prev)
                    out_prev = out.clone()

            out_prev = out_prev.reshape(batch_size, -1)
            for i, fc in enumerate(self.fc_list):
                mem_fc_list[i], out = self.lif(mem_fc_list[i], self.bntt_fc_list[i][t](fc(out_prev)), fc)
                out_prev = out.clone()

            # accumulate voltage in the last layer
            mem_out = mem_out + self.fc_out(out_prev)

        return mem_out / self.num_steps


class TimeNorm(nn.Module):
    """Normalises [B, T, C, ...]: per step (bntt), over batch+time (batchnorm) or not at all (none)."""

    def __init__(self, kind, channels, steps, dims):
        super().__init__()
        self.kind = kind
        if kind == 'bntt':
            self.norms = bntt(channels, steps, dims)
        elif kind == 'batchnorm':
            self.norm = batch_norm(channels, dims)

    def forward(self, x):
        if self.kind == 'bntt':
            return torch.stack([norm(x[:, t]) for t, norm in enumerate(self.norms)], dim=1)
        if self.kind == 'batchnorm':
            batch, steps = x.shape[:2]
            return self.norm(x.reshape(batch * steps, *x.shape[2:])).reshape(x.shape)
        return x


def lif_over_time(current, spike_fn):
    """LIF over the time axis of [B, T, ...]: leak, integrate, spike, detached subtract reset."""
    mem = torch.zeros_like(current[:, 0])
    spikes = []
    for t in range(current.shape[1]):
        mem = LEAK * mem + current[:, t]
        mem_thr = mem / THRESHOLD - 1.0
        out = spike_fn(mem_thr)
        mem = mem - (mem_thr > 0).to(mem.dtype) * THRESHOLD
        spikes.append(out)
    return torch.stack(spikes, dim=1)


class SnnLayerMajor(nn.Module):
    """The same network layer by layer over [batch, time, ...], with a choice of normalisation."""

    def __init__(self, plan, hidden, input_shape, num_classes, steps, normalization='bntt'):
        super().__init__()
        if normalization not in NORMALIZATIONS:
            raise ValueError('normalization must be one of %s; got %r' % (', '.join(NORMALIZATIONS), normalization))
        self.steps = steps
        self.spike_fn = Surrogate_BP_Function.apply
        convs, features = layer_shapes(plan, hidden, input_shape)
        self.convs = nn.ModuleList(
            [nn.Conv2d(c['in'], c['out'], kernel_size=3, stride=1, padding=1, bias=False) for c in convs])
        self.conv_norms = nn.ModuleList([TimeNorm(normalization, c['out'], steps, 2) for c in convs])
        self.pools = [c['pool'] for c in convs]
        self.fcs = nn.ModuleList()
        self.fc_norms = nn.ModuleList()
        for units in hidden:
            self.fcs.append(nn.Linear(features, units, bias=False))
            self.fc_norms.append(TimeNorm(normalization, units, steps, 1))
            features = units
        self.fc_out = nn.Linear(features, num_classes, bias=False)
        init_weights(self)

    def forward(self, inp, record_rates=None):
        batch, steps = inp.shape[0], self.steps
        x = inp.unsqueeze(1).expand(batch, steps, *inp.shape[1:])  # direct input at every step
        for i, (conv, norm) in enumerate(zip(self.convs, self.conv_norms)):
            current = conv(x.reshape(batch * steps, *x.shape[2:]))
            x = lif_over_time(norm(current.reshape(batch, steps, *current.shape[1:])), self.spike_fn)
            if record_rates is not None:
                record_rates.append(x.detach().mean().item())
            if self.pools[i]:
                pooled = F.avg_pool2d(x.reshape(batch * steps, *x.shape[2:]), 2)
                x = pooled.reshape(batch, steps, *pooled.shape[1:])
        x = x.reshape(batch, steps, -1)
        for fc, norm in zip(self.fcs, self.fc_norms):
            x = lif_over_time(norm(fc(x)), self.spike_fn)
            if record_rates is not None:
                record_rates.append(x.detach().mean().item())
        return self.fc_out(x).mean(dim=1)
