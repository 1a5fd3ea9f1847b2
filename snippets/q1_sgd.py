"""Functions shown on docs/qa/d2l-sgd.md (Q1)."""

import torch


# --8<-- [start:question]
def sgd(params, states, hyperparams):
    for p in params:
        p.data.sub_(hyperparams['lr'] * p.grad)
        p.grad.data.zero_()
# --8<-- [end:question]


# --8<-- [start:one_rounding]
def sgd_one_rounding(params, states, hyperparams):
    """同样的更新，写成 p + (-lr) * grad：只舍入一次，与 torch.optim.SGD 的写法相同。"""
    for p in params:
        p.data.add_(p.grad, alpha=-hyperparams['lr'])
        p.grad.data.zero_()
# --8<-- [end:one_rounding]


# --8<-- [start:divided]
def sgd_divided(params, states, hyperparams):
    """错误示范：损失已经取了平均，这里又除以 batch_size。"""
    for p in params:
        p.data.sub_(hyperparams['lr'] * p.grad / hyperparams['batch_size'])
        p.grad.data.zero_()
# --8<-- [end:divided]


# --8<-- [start:no_zero]
def sgd_no_zero(params, states, hyperparams):
    """错误示范：更新后不清零梯度。"""
    for p in params:
        p.data.sub_(hyperparams['lr'] * p.grad)
# --8<-- [end:no_zero]


# --8<-- [start:modern]
@torch.no_grad()  # (1)!
def sgd_modern(params, lr):
    for p in params:
        if p.grad is None:  # (2)!
            continue
        p.add_(p.grad, alpha=-lr)  # (3)!
        p.grad = None  # (4)!
# --8<-- [end:modern]
