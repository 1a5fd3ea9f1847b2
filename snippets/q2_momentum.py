"""Functions shown on docs/qa/d2l-sgd-momentum.md (Q2)."""

import torch


# --8<-- [start:question]
def sgd_momentum(params, states, hyperparams):
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams['momentum'] * v + p.grad
            p[:] -= hyperparams['lr'] * v
        p.grad.data.zero_()
# --8<-- [end:question]


# --8<-- [start:init_states]
def init_momentum_states(params):
    """每个参数配一个形状相同的全零动量 v，顺序与 params 一致（书中的版本按 feature_dim 创建）。"""
    return [torch.zeros_like(p) for p in params]
# --8<-- [end:init_states]


# --8<-- [start:rebind]
def sgd_momentum_rebind(params, states, hyperparams):
    """错误示范：v = ... 只改了局部变量 v，states 里的张量没变。"""
    for p, v in zip(params, states):
        with torch.no_grad():
            v = hyperparams['momentum'] * v + p.grad
            p[:] -= hyperparams['lr'] * v
        p.grad.data.zero_()
# --8<-- [end:rebind]


# --8<-- [start:ema]
def sgd_momentum_ema(params, states, hyperparams):
    """指数移动平均（EMA）形式：v 是梯度的加权平均，新梯度只占 1 - momentum。"""
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams['momentum'] * v + (1 - hyperparams['momentum']) * p.grad
            p[:] -= hyperparams['lr'] * v
        p.grad.data.zero_()
# --8<-- [end:ema]


# --8<-- [start:nesterov]
def sgd_nesterov(params, states, hyperparams):
    """Nesterov 动量，按 torch.optim.SGD(nesterov=True) 的公式：沿“更新后的动量”再多看一步。"""
    for p, v in zip(params, states):
        with torch.no_grad():
            v[:] = hyperparams['momentum'] * v + p.grad
            p[:] -= hyperparams['lr'] * (p.grad + hyperparams['momentum'] * v)
        p.grad.data.zero_()
# --8<-- [end:nesterov]


# --8<-- [start:buffers]
def sgd_buffers(grads, beta, **kwargs):
    """用 torch.optim.SGD(momentum=beta, **kwargs) 依次吃下固定的梯度 grads，
    返回每一步之后的动量（momentum_buffer）。"""
    p = torch.zeros_like(grads[0], requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=beta, **kwargs)
    bufs = []
    for g in grads:
        p.grad = g.clone()
        opt.step()
        bufs.append(opt.state[p]["momentum_buffer"].clone())
    return bufs
# --8<-- [end:buffers]
