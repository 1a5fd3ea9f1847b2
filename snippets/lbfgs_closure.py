"""Functions shown on docs/qa/lbfgs-closure.md."""

import torch


# --8<-- [start:fit]
def fit_lbfgs(loss_fn, x, zero_grad=True, **options):
    """用 LBFGS 对 x 最小化 loss_fn(x)，只调用一次 step；返回 step 的返回值和 closure 被调用的次数。"""
    optimizer = torch.optim.LBFGS([x], **options)
    calls = 0

    def closure():
        nonlocal calls
        calls += 1
        if zero_grad:
            optimizer.zero_grad()  # 每次重新计算前清零
        loss = loss_fn(x)
        loss.backward()
        return loss  # 必须返回损失

    returned = optimizer.step(closure)
    return returned, calls
# --8<-- [end:fit]


# --8<-- [start:problems]
def least_squares(A, b):
    """返回函数 x ↦ ‖Ax − b‖²。"""
    return lambda x: ((A @ x - b) ** 2).sum()


def rosenbrock(p):
    """经典的 Rosenbrock 函数，最小值 0 在 (1, 1)。"""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
# --8<-- [end:problems]


# --8<-- [start:sgd_calls]
def sgd_closure_calls(loss_fn, x):
    """SGD 也接受 closure：数一数一次 step() 调用它几次。"""
    optimizer = torch.optim.SGD([x], lr=0.01)
    calls = 0

    def closure():
        nonlocal calls
        calls += 1
        optimizer.zero_grad()
        loss = loss_fn(x)
        loss.backward()
        return loss

    optimizer.step(closure)
    return calls
# --8<-- [end:sgd_calls]
