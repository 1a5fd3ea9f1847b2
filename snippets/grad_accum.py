"""Gradient accumulation (shown on docs/qa/gradient-accumulation.md)."""


# --8<-- [start:accumulate_step]
def accumulate_step(model, optimizer, micro_batches, loss_fn):
    """用几个小批量的梯度做一次更新（梯度累加），与一次算完全部样本相同。"""
    n = sum(len(Xb) for Xb, _ in micro_batches)
    for Xb, yb in micro_batches:
        loss = loss_fn(model(Xb), yb) * len(Xb) / n
        loss.backward()
    optimizer.step()
    optimizer.zero_grad()
# --8<-- [end:accumulate_step]


# --8<-- [start:full_vs_accumulated]
def full_vs_accumulated(make_model, X, y, k):
    """同样的初始参数：一次算整个批量的梯度，和拆成 k 块、每块平均损失除以 k 累加的梯度；
    返回两边梯度的最大绝对差，以及两个模型。"""
    big = make_model()
    small = make_model()
    small.load_state_dict(big.state_dict())
    ((big(X) - y) ** 2).mean().backward()
    for Xb, yb in zip(X.chunk(k), y.chunk(k)):
        (((small(Xb) - yb) ** 2).mean() / k).backward()
    diff = max((a.grad - b.grad).abs().max().item() for a, b in zip(big.parameters(), small.parameters()))
    return diff, big, small
# --8<-- [end:full_vs_accumulated]


# --8<-- [start:ddp]
import os  # noqa: E402
import tempfile  # noqa: E402

import torch.distributed as dist  # noqa: E402
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks  # noqa: E402


def single_process_group():
    """只有一个进程（rank 0，world_size 1）的 gloo 进程组：在一台没有 GPU 的机器上也能创建 DDP。"""
    path = os.path.join(tempfile.mkdtemp(), "init")
    dist.init_process_group("gloo", rank=0, world_size=1, init_method=f"file://{path}")


def count_allreduce(ddp_model):
    """给 DDP 模型装一个通信钩子：每次要在进程之间求梯度平均（all-reduce）时记一笔，再照常通信。"""
    calls = []

    def hook(state, bucket):
        calls.append(bucket.index())
        return default_hooks.allreduce_hook(state, bucket)

    ddp_model.register_comm_hook(None, hook)
    return calls
# --8<-- [end:ddp]
