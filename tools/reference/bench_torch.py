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

from snn_torch import PLANS, SnnBntt

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
CASES_PATH = os.path.join(ROOT, 'bench', 'train', 'cases.json')

SEED = 1


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
    # A case with a `neuron` has no PyTorch twin here (only the LIF is mirrored).
    names = [args.only] if args.only else [n for n, c in config['cases'].items() if 'neuron' not in c]
    unknown = [n for n in names if n not in config['cases']]
    if unknown:
        parser.error('unknown case(s) %s; cases.json has %s' % (', '.join(unknown), ', '.join(config['cases'])))
    for name in names:
        case = config['cases'][name]
        run_case(name, case, config, steps_of(config, case, args.quick), parse_threads(args.threads))


if __name__ == '__main__':
    main()
