#!/usr/bin/env python3
"""Training speed of the tfjs-snn ready-made networks written in PyTorch the way the BNTT
reference (Kim & Panda 2021, model.py, SNN_VGG9_BNTT) writes them: the PyTorch column of
`npm run bench:train` (scripts/bench-train.mjs runs this script).

The networks are the cases of bench/train/cases.json, as snn.models.small / vgg9 build them:
per conv `Conv2d(3x3, pad 1, no bias) -> BNTT -> LIF`, AvgPool2d(2) on spikes where the plan
says, flatten, `Linear(no bias) -> BNTT (BatchNorm1d) -> LIF` hidden layers, and a
`Linear(no bias)` output integrator whose sum over steps / T gives the logits.  The forward
loops over the steps t like the reference: a ModuleList of T BatchNorm modules per layer (eps
1e-4, momentum 0.1, `.bias = None`), the Surrogate_BP_Function spike, subtract reset built
without gradient.  Input is direct (the analog image at every step) for both models, as on
the tfjs side.  float32, SGD(momentum 0.9, weight_decay 1e-4), CrossEntropyLoss, random
images uniform in [-1, 1) and random labels.

Prints one JSON line per result on stdout:
  {"type": "model", "name", "trainableParams", ...}
  {"type": "timing", "name", "threads", "mode": "train"|"predict", "msPerStep", "imagesPerSecond", ...}
`train` is zero_grad + forward + loss + backward + optimizer.step in train mode; `predict` is a
forward in eval mode under no_grad (running statistics), like tfjs's model.predict.

    /usr/bin/python3 tools/reference/bench_torch.py [--quick] [--only=small|vgg9] [--threads=1,all]

Needs only torch (tested with Debian's PyTorch 1.13, CPU: apt-get install -y python3-torch).
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CASES_PATH = os.path.join(ROOT, 'bench', 'train', 'cases.json')

# The tfjs models' plans (src/models/small.ts, vgg.ts): conv channels, 'pool', then hidden dense units.
PLANS = {
    'small': ([32, 'pool', 64, 'pool'], [256]),
    'vgg9': ([64, 64, 'pool', 128, 128, 'pool', 256, 256, 256, 'pool'], [1024]),
}
LEAK, THRESHOLD = 0.95, 1.0
EPS, BN_MOMENTUM = 1e-4, 0.1
ALPHA = 0.3
SEED = 1


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


def bntt(channels, steps, dims):
    """A reference BNTT layer: one BatchNorm per step, no bias."""
    norm = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
    layers = nn.ModuleList([norm(channels, eps=EPS, momentum=BN_MOMENTUM, affine=True) for _ in range(steps)])
    for bn in layers:
        bn.bias = None
    return layers


class SnnBntt(nn.Module):
    """The reference's SNN_VGG9_BNTT structure for any plan of convs, pools and hidden dense layers."""

    def __init__(self, plan, hidden, input_shape, num_classes, steps):
        super().__init__()
        height, width, channels = input_shape
        self.num_steps = steps
        self.leak_mem = LEAK
        self.spike_fn = Surrogate_BP_Function.apply
        self.conv_list = nn.ModuleList()
        self.bntt_list = nn.ModuleList()
        self.pool_after = []      # per conv: the AvgPool2d that follows it, or None
        self.mem_shapes = []      # per conv: its membrane [C, H, W]
        for step in plan:
            if step == 'pool':
                self.pool_after[-1] = nn.AvgPool2d(kernel_size=2)
                height, width = height // 2, width // 2
                continue
            self.conv_list.append(nn.Conv2d(channels, step, kernel_size=3, stride=1, padding=1, bias=False))
            self.bntt_list.append(bntt(step, steps, 2))
            self.pool_after.append(None)
            self.mem_shapes.append((step, height, width))
            channels = step
        features = channels * height * width
        self.fc_list = nn.ModuleList()
        self.bntt_fc_list = nn.ModuleList()
        for units in hidden:
            self.fc_list.append(nn.Linear(features, units, bias=False))
            self.bntt_fc_list.append(bntt(units, steps, 1))
            features = units
        self.fc_out = nn.Linear(features, num_classes, bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.threshold = THRESHOLD
                torch.nn.init.xavier_uniform_(m.weight, gain=2)

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
        mem_conv_list = [torch.zeros(batch_size, *shape) for shape in self.mem_shapes]
        mem_fc_list = [torch.zeros(batch_size, fc.out_features) for fc in self.fc_list]
        mem_out = torch.zeros(batch_size, self.fc_out.out_features)

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


def emit(line):
    print(json.dumps(line), flush=True)


def log(message):
    print(message, file=sys.stderr, flush=True)


def time_once(step):
    start = time.perf_counter()
    step()
    return (time.perf_counter() - start) * 1000


def timing_line(name, case, threads, mode, steps_ms, warmup_ms):
    ms = statistics.median(steps_ms)
    return {'type': 'timing', 'side': 'torch', 'name': name, 'threads': threads, 'mode': mode,
            'batch': case['batch'], 'timeSteps': case['timeSteps'], 'stepsMs': steps_ms, 'msPerStep': ms,
            'imagesPerSecond': case['batch'] / (ms / 1000), 'warmupMs': warmup_ms}


def measure(name, case, model, images, labels, config, steps, threads):
    """Times `steps` training steps and `steps` predictions after one warm-up each, on `threads` threads."""
    torch.set_num_threads(threads)
    opt = config['optimizer']
    optimizer = torch.optim.SGD(model.parameters(), lr=opt['lr'], momentum=opt['momentum'],
                                weight_decay=opt['weightDecay'])
    criterion = nn.CrossEntropyLoss()

    def train():
        model.train()
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()

    def predict():
        model.eval()
        with torch.no_grad():
            model(images)

    for mode, step, count in (('train', train, steps['train']), ('predict', predict, steps['predict'])):
        warmup_ms = time_once(step)
        steps_ms = [time_once(step) for _ in range(count)]
        log('%s, %d thread(s): %s steps %s ms' % (name, threads, mode, ', '.join('%.0f' % ms for ms in steps_ms)))
        emit(timing_line(name, case, threads, mode, steps_ms, warmup_ms))


def run_case(name, case, config, steps, thread_counts):
    torch.manual_seed(SEED)
    plan, hidden = PLANS[case['model']]
    model = SnnBntt(plan, hidden, case['inputShape'], case['numClasses'], case['timeSteps'])
    height, width, channels = case['inputShape']
    images = torch.rand(case['batch'], channels, height, width) * 2 - 1
    labels = torch.randint(0, case['numClasses'], (case['batch'],))
    emit({'type': 'model', 'side': 'torch', 'name': name,
          'trainableParams': sum(p.numel() for p in model.parameters() if p.requires_grad),
          'torch': torch.__version__, 'cpuCount': os.cpu_count()})
    for threads in thread_counts:
        # Each thread count trains its own copy from the same initial weights.
        copy = SnnBntt(plan, hidden, case['inputShape'], case['numClasses'], case['timeSteps'])
        copy.load_state_dict(model.state_dict())
        measure(name, case, copy, images, labels, config, steps, threads)


def steps_of(config, case, quick):
    """Timed steps per mode: the case's own for this mode of the bench, else the defaults."""
    kind = 'quick' if quick else 'full'
    return {**config['steps'][kind], **case.get('steps', {}).get(kind, {})}


def parse_threads(text):
    counts = []
    for part in text.split(','):
        counts.append(os.cpu_count() if part == 'all' else int(part))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='the quick step counts of cases.json')
    parser.add_argument('--only', help='one case of cases.json (small, vgg9)')
    parser.add_argument('--threads', default='1,all', help="thread counts to run, e.g. '1,all' (default)")
    args = parser.parse_args()
    with open(CASES_PATH) as f:
        config = json.load(f)
    names = [args.only] if args.only else list(config['cases'])
    unknown = [n for n in names if n not in config['cases']]
    if unknown:
        parser.error('unknown case(s) %s; cases.json has %s' % (', '.join(unknown), ', '.join(config['cases'])))
    for name in names:
        case = config['cases'][name]
        run_case(name, case, config, steps_of(config, case, args.quick), parse_threads(args.threads))


if __name__ == '__main__':
    main()
