"""预热 + 余弦学习率（docs/qa/warmup-cosine.md；图由 snippets/figures_lr.py 用同一份代码画出）。"""

import math

import torch

from snippets.lr_scheduler_basics import fresh_optimizer, record_lrs  # 页面上由 helpers 块引入


# --8<-- [start:lambda]
def warmup_cosine(warmup_steps, total_steps, start_factor=0.0, min_factor=0.0):
    """给 LambdaLR 用的函数 f(step)，学习率 = 基础学习率 × f(step)：
    前 warmup_steps 步从 start_factor 线性升到 1，之后 total_steps - warmup_steps 步按余弦降到 min_factor，
    再往后保持 min_factor。"""

    def f(step):
        if step < warmup_steps:
            return start_factor + (1 - start_factor) * step / warmup_steps
        progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
        return min_factor + (1 - min_factor) * (1 + math.cos(math.pi * progress)) / 2

    return f
# --8<-- [end:lambda]


# --8<-- [start:sequential]
def warmup_cosine_sequential(optimizer, warmup_steps, total_steps, start_factor, min_lr):
    """同样的计划，用 PyTorch 自带的调度器拼出来：LinearLR 负责预热，CosineAnnealingLR 负责余弦。"""
    lr_scheduler = torch.optim.lr_scheduler
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=start_factor, total_iters=warmup_steps)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
    return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
# --8<-- [end:sequential]


# --8<-- [start:curves]
BASE_LR, WARMUP, TOTAL, START, MIN_FACTOR = 0.1, 10, 50, 0.1, 0.01


def schedule_curves():
    """三条学习率曲线（每条 TOTAL 个值）：LambdaLR 版、SequentialLR 版、不预热的余弦。"""
    opt = fresh_optimizer(BASE_LR)
    lam = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(WARMUP, TOTAL, START, MIN_FACTOR))
    curves = {"LambdaLR 预热 + 余弦": record_lrs(opt, lam, TOTAL)}
    opt = fresh_optimizer(BASE_LR)
    seq = warmup_cosine_sequential(opt, WARMUP, TOTAL, START, BASE_LR * MIN_FACTOR)
    curves["SequentialLR(LinearLR, CosineAnnealingLR)"] = record_lrs(opt, seq, TOTAL)
    opt = fresh_optimizer(BASE_LR)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL, eta_min=BASE_LR * MIN_FACTOR)
    curves["只有余弦（不预热）"] = record_lrs(opt, cos, TOTAL)
    return curves
# --8<-- [end:curves]
