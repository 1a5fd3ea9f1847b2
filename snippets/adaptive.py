"""Hand-written adaptive optimizers in the (params, states, hyperparams) interface,
shown on docs/qa/d2l-adagrad.md, d2l-rmsprop.md, d2l-adadelta.md and d2l-adam.md."""

import torch


# --8<-- [start:adagrad]
def init_adagrad_states(params):
    """每个参数一个累加器 s：到目前为止所有梯度平方之和，从 0 开始。"""
    return [torch.zeros_like(p) for p in params]


def adagrad(params, states, hyperparams):
    eps = hyperparams.get("eps", 1e-6)
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += p.grad**2
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()
# --8<-- [end:adagrad]


# --8<-- [start:adagrad_torch]
def adagrad_eps_outside(params, states, hyperparams):
    """与 torch.optim.Adagrad 相同的位置：eps 加在开方之后。"""
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += p.grad**2
            p[:] -= hyperparams["lr"] * p.grad / (torch.sqrt(s) + hyperparams["eps"])
        p.grad.data.zero_()
# --8<-- [end:adagrad_torch]


# --8<-- [start:rmsprop]
def init_rmsprop_states(params):
    """每个参数一个 s：梯度平方的指数移动平均，从 0 开始。"""
    return [torch.zeros_like(p) for p in params]


def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams["gamma"], hyperparams.get("eps", 1e-6)
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * p.grad**2
            p[:] -= hyperparams["lr"] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()
# --8<-- [end:rmsprop]


# --8<-- [start:rmsprop_torch]
def rmsprop_eps_outside(params, states, hyperparams):
    """与 torch.optim.RMSprop 相同的位置：eps 加在开方之后。"""
    gamma = hyperparams["gamma"]
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * p.grad**2
            p[:] -= hyperparams["lr"] * p.grad / (torch.sqrt(s) + hyperparams["eps"])
        p.grad.data.zero_()
# --8<-- [end:rmsprop_torch]


# --8<-- [start:adadelta]
def init_adadelta_states(params):
    """每个参数两个状态：梯度平方的移动平均 s，参数变化量平方的移动平均 delta。"""
    return [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]


def adadelta(params, states, hyperparams):
    rho, eps = hyperparams["rho"], hyperparams.get("eps", 1e-5)
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            s[:] = rho * s + (1 - rho) * p.grad**2
            step = torch.sqrt(delta + eps) / torch.sqrt(s + eps) * p.grad
            p[:] -= hyperparams.get("lr", 1.0) * step
            delta[:] = rho * delta + (1 - rho) * step**2
        p.grad.data.zero_()
# --8<-- [end:adadelta]


# --8<-- [start:adam]
def init_adam_states(params):
    """每个参数两个状态：梯度的移动平均 v（一阶矩），梯度平方的移动平均 s（二阶矩）。"""
    return [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]


def adam(params, states, hyperparams):
    beta1, beta2, eps = hyperparams.get("beta1", 0.9), hyperparams.get("beta2", 0.999), hyperparams.get("eps", 1e-6)
    hyperparams["t"] = t = hyperparams.get("t", 0) + 1  # 第几步：偏差修正要用
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * p.grad**2
            v_hat = v / (1 - beta1**t)
            s_hat = s / (1 - beta2**t)
            p[:] -= hyperparams["lr"] * v_hat / (torch.sqrt(s_hat) + eps)
        p.grad.data.zero_()
# --8<-- [end:adam]
