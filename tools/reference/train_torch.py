#!/usr/bin/env python3
"""The PyTorch reference run for docs/results.md: the tfjs-snn small network (snn_torch.py,
layer-major form) trained on Fashion-MNIST the way `tfjs-snn train` trains it.

Same data (IDX files, normalised with mean 0.2860 / std 0.3530, shuffled every epoch, last
partial batch dropped), same network (xavier-uniform gain 2, BNTT eps 1e-4 momentum 0.1 without
bias, leak 0.95, threshold 1, direct input, the reference's surrogate), same optimisation
(softmax cross-entropy; SGD with momentum 0.9 or Adam; weight decay on every weight, which are
only kernels and gammas; per-epoch schedules: step = ÷10 at the epochs floor(0.5·N),
floor(0.7·N), floor(0.9·N); cosine = lr·(1 + cos(π·epoch/N))/2).  Random streams differ from
tfjs's, so runs agree in distribution, not bit for bit.

Prints one JSON line per epoch: {"epoch", "lr", "trainLoss", "trainAccuracy", "testAccuracy",
"seconds", "spikeRates"}, and a first line with the settings.

    /usr/bin/python3 tools/reference/train_torch.py --data-dir /usr/share/datasets/fashion-mnist \
        --time-steps 6 --epochs 3 --threads 1
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snn_torch import NORMALIZATIONS, PLANS, SnnLayerMajor  # noqa: E402

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>I', data[:4])
    dims = magic & 0xff
    shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(data_dir, stem):
    for name in (stem + '.gz', stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError('no %s(.gz) in %s' % (stem, data_dir))


def load_split(data_dir, prefix, limit):
    images = read_idx(find(data_dir, prefix + '-images-idx3-ubyte'))
    labels = read_idx(find(data_dir, prefix + '-labels-idx1-ubyte'))
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = (torch.from_numpy(images.astype(np.float32)) / 255 - MEAN) / STD
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def rate_at(args, epoch):
    if args.schedule == 'cosine':
        return args.lr * (1 + math.cos(math.pi * epoch / args.epochs)) / 2
    if args.schedule == 'step':
        milestones = [math.floor(f * args.epochs) for f in (0.5, 0.7, 0.9)]
        return args.lr * 0.1 ** sum(1 for m in milestones if m <= epoch)
    return args.lr


def evaluate(model, x, y, device, batch=256):
    model.eval()
    correct, rates = 0, None
    with torch.no_grad():
        for start in range(0, len(x), batch):
            layer_rates = []
            logits = model(x[start:start + batch].to(device), record_rates=layer_rates)
            correct += (logits.argmax(1).cpu() == y[start:start + batch]).sum().item()
            weight = min(batch, len(x) - start)
            rates = [r * weight for r in layer_rates] if rates is None else \
                [a + r * weight for a, r in zip(rates, layer_rates)]
    return correct / len(x), [r / len(x) for r in rates]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data-dir', default='/usr/share/datasets/fashion-mnist')
    p.add_argument('--time-steps', type=int, default=6)
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--optimizer', choices=('sgd', 'adam'), default='sgd')
    p.add_argument('--lr', type=float)
    p.add_argument('--schedule', choices=('step', 'cosine', 'none'), default='step')
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--normalization', choices=NORMALIZATIONS, default='bntt')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='cpu')
    p.add_argument('--limit-train', type=int)
    p.add_argument('--limit-test', type=int)
    args = p.parse_args()
    args.lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == 'adam' else 0.1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    train_x, train_y = load_split(args.data_dir, 'train', args.limit_train)
    test_x, test_y = load_split(args.data_dir, 't10k', args.limit_test)
    plan, hidden = PLANS['small']
    model = SnnLayerMajor(plan, hidden, (28, 28, 1), 10, args.time_steps, args.normalization).to(device)
    if args.optimizer == 'adam':
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    criterion = nn.CrossEntropyLoss()
    print(json.dumps({'settings': {k: v for k, v in vars(args).items()}, 'torch': torch.__version__}), flush=True)

    generator = torch.Generator().manual_seed(args.seed)
    batches = len(train_x) // args.batch_size
    for epoch in range(args.epochs):
        lr = rate_at(args, epoch)
        for group in optimizer.param_groups:
            group['lr'] = lr
        model.train()
        started = time.time()
        order = torch.randperm(len(train_x), generator=generator)
        loss_sum, correct = 0.0, 0
        for b in range(batches):
            index = order[b * args.batch_size:(b + 1) * args.batch_size]
            x, y = train_x[index].to(device), train_y[index].to(device)
            optimizer.zero_grad()
            logits = model(x)
            loss = criterion(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(index)
            correct += (logits.argmax(1) == y).sum().item()
        seconds = time.time() - started
        accuracy, rates = evaluate(model, test_x, test_y, device)
        seen = batches * args.batch_size
        print(json.dumps({'epoch': epoch + 1, 'lr': lr, 'trainLoss': loss_sum / seen, 'trainAccuracy': correct / seen,
                          'testAccuracy': accuracy, 'seconds': seconds, 'spikeRates': rates}), flush=True)


if __name__ == '__main__':
    main()
