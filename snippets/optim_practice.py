"""Functions and classes shown on the torch.optim-in-practice pages."""

import torch


# --8<-- [start:sgd_l1]
class SGDL1(torch.optim.Optimizer):
    """带 L1 正则的 SGD：p ← p − lr · (grad + l1 · sign(p))。"""

    def __init__(self, params, lr, l1=0.0):
        if lr <= 0 or l1 < 0:
            raise ValueError(f"需要 lr > 0、l1 >= 0，得到 lr={lr}, l1={l1}")
        super().__init__(params, defaults={"lr": lr, "l1": l1})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.add_(p.grad + group["l1"] * torch.sign(p), alpha=-group["lr"])
        return loss
# --8<-- [end:sgd_l1]


# --8<-- [start:tiny_model]
def tiny_model():
    """两层的小网络：第 0 层 Linear(4, 8)，第 2 层 Linear(8, 1)。"""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))


def snapshot(module):
    """参数的副本，用来比较一步前后的变化。"""
    return [p.detach().clone() for p in module.parameters()]
# --8<-- [end:tiny_model]


# --8<-- [start:second_step]
def second_step(set_to_none):
    """带动量的 SGD 走两步，第二步这个参数没有新的梯度；返回第二步参数的变化和之后的动量（momentum_buffer）。"""
    w = torch.ones(3, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    (w * 2).sum().backward()
    optimizer.step()  # 第一步：动量 = 梯度 = 2
    optimizer.zero_grad(set_to_none=set_to_none)
    before = w.detach().clone()
    optimizer.step()  # 第二步：没有新的梯度
    change = [round(v, 4) for v in (w.detach() - before).tolist()]
    buffer = [round(v, 4) for v in optimizer.state[w]["momentum_buffer"].tolist()]
    return change, buffer
# --8<-- [end:second_step]
