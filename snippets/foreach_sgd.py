"""Hand-written SGD and momentum with torch._foreach_* (shown on docs/qa/why-hand-written-sgd-slow.md,
timed by benchmarks/optimizer_step.py)."""

import torch


# --8<-- [start:foreach]
@torch.no_grad()
def sgd_foreach(params, lr):
    """一次调用更新所有参数：p ← p − lr · grad。"""
    params = [p for p in params if p.grad is not None]
    torch._foreach_add_(params, [p.grad for p in params], alpha=-lr)


@torch.no_grad()
def momentum_foreach(params, buffers, lr, momentum):
    """动量法的 foreach 版：v ← momentum · v + grad，p ← p − lr · v（buffers 从全零开始）。"""
    grads = [p.grad for p in params]
    torch._foreach_mul_(buffers, momentum)
    torch._foreach_add_(buffers, grads)
    torch._foreach_add_(params, buffers, alpha=-lr)
# --8<-- [end:foreach]


# --8<-- [start:resnet18_shapes]
def resnet18_shapes():
    """ResNet-18 的 62 个参数张量的形状（卷积、BatchNorm、全连接），共约 1170 万个数。"""
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    channels = 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            c_in = channels if block == 0 else width
            shapes += [(width, c_in, 3, 3), (width,), (width,), (width, width, 3, 3), (width,), (width,)]
            if block == 0 and (stride != 1 or c_in != width):
                shapes += [(width, c_in, 1, 1), (width,), (width,)]  # 下采样的捷径
        channels = width
    return shapes + [(1000, 512), (1000,)]
# --8<-- [end:resnet18_shapes]


# --8<-- [start:tools]
from collections import Counter  # noqa: E402

from torch.profiler import ProfilerActivity, profile  # noqa: E402

OPS = ("aten::mul", "aten::sub_", "aten::zero_", "aten::add_", "aten::copy_")
OPS += ("aten::_foreach_add_", "aten::_foreach_mul_")


def count_ops(step):
    """运行一次 step()，数出其中各种运算被调用了几次。"""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    return dict(sorted(Counter(e.name for e in prof.events() if e.name in OPS).items()))


def run_fixed_grads(make_step, steps=20):
    """同一组初始参数、同一串梯度（直接赋给 .grad），走 steps 步；make_step(params) 返回一步的函数。"""
    torch.manual_seed(1)
    params = [torch.randn(s, requires_grad=True) for s in [(64, 3, 3, 3), (64,), (10, 64)]]
    grads = [[torch.randn_like(p) for p in params] for _ in range(steps)]
    step = make_step(params)
    for g in grads:
        for p, gi in zip(params, g):
            p.grad = gi.clone()
        step()
    return params


def same_values(a, b):
    """两组张量是否逐位相同。"""
    return all(torch.equal(x, y) for x, y in zip(a, b))


def momentum_foreach_step(params, lr=0.01, momentum=0.9):
    """给 run_fixed_grads 用：创建全零的动量，返回 momentum_foreach 的一步。"""
    buffers = [torch.zeros_like(p) for p in params]
    return lambda: momentum_foreach(params, buffers, lr, momentum)
# --8<-- [end:tools]
