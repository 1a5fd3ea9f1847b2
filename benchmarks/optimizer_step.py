"""Time one optimizer step on ResNet-18-shaped parameters (62 tensors, 11.7 M numbers).

    .venv/bin/python benchmarks/optimizer_step.py [--out benchmarks/results/optimizer_step_cpu.md]

Every row does the same work per step: update every parameter, then zero every
gradient in place. d2l's hand-written functions zero inside their loop (that is
how they are written); every other row zeroes with one torch._foreach_zero_, so
those rows differ only in how they update. Runs on CPU, and on CUDA when present.
Prints a Markdown table with the machine, torch version and device.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from snippets.foreach_sgd import momentum_foreach, resnet18_shapes, sgd_foreach  # noqa: E402
from snippets.q1_sgd import sgd  # noqa: E402
from snippets.q2_momentum import init_momentum_states, sgd_momentum  # noqa: E402

LR, MOMENTUM = 0.01, 0.9


def make_params(device):
    params = [torch.randn(s, device=device, requires_grad=True) for s in resnet18_shapes()]
    for p in params:
        p.grad = torch.randn_like(p)
    return params


def variants(params):
    """name -> one step (update + zero the grads in place)."""
    grads = [p.grad for p in params]

    def with_optimizer(**kwargs):
        opt = torch.optim.SGD(params, lr=LR, **kwargs)
        return lambda: (opt.step(), torch._foreach_zero_(grads))

    states = init_momentum_states(params)
    buffers = [torch.zeros_like(p) for p in params]
    rows = {
        "d2l sgd (hand-written loop)": lambda: sgd(params, None, {"lr": LR}),
        "sgd_foreach (hand-written)": lambda: (sgd_foreach(params, LR), torch._foreach_zero_(grads)),
        "SGD for-loop": with_optimizer(foreach=False),
        "SGD foreach": with_optimizer(foreach=True),
        "SGD fused": with_optimizer(fused=True),
        "d2l sgd_momentum (hand-written loop)": lambda: sgd_momentum(params, states, {"lr": LR, "momentum": MOMENTUM}),
        "momentum_foreach (hand-written)": lambda: (
            momentum_foreach(params, buffers, LR, MOMENTUM),
            torch._foreach_zero_(grads),
        ),
        "SGD(momentum) for-loop": with_optimizer(momentum=MOMENTUM, foreach=False),
        "SGD(momentum) foreach": with_optimizer(momentum=MOMENTUM, foreach=True),
        "SGD(momentum) fused": with_optimizer(momentum=MOMENTUM, fused=True),
    }
    return rows


def time_step(step, device, steps, repeats) -> float:
    """Median over `repeats` of the mean time of `steps` steps, in ms."""
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):
        step()
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        times.append((time.perf_counter() - t) / steps * 1000)
    return statistics.median(times)


def machine(device) -> str:
    if device == "cuda":
        what = torch.cuda.get_device_name()
    else:
        cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
        what = f"{cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} threads"
    versions = f"torch {torch.__version__}; Python {platform.python_version()}"
    return f"{device}: {what}; {versions}; {time.strftime('%Y-%m-%d')}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the table(s) to this file")
    args = parser.parse_args()
    lines = []
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        torch.manual_seed(0)
        params = make_params(device)
        lines += [
            f"machine: {machine(device)}",
            "",
            "| optimizer step (ResNet-18 shapes) | ms per step |",
            "| --- | ---: |",
        ]
        for name, step in variants(params).items():
            try:
                ms = f"{time_step(step, device, args.steps, args.repeats):.3f}"
            except (RuntimeError, NotImplementedError) as e:  # e.g. fused not built for this device
                ms = f"n/a ({str(e).splitlines()[0][:60]})"
            lines.append(f"| {name} | {ms} |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
