"""This site's variants of the book's adaptive optimizers (the book's own code, verbatim, is in
snippets/d2l_book_adaptive.py). Each differs from the book's text only where its docstring says.

- adagrad_eps_outside, rmsprop_eps_outside: eps after the square root, where torch.optim puts it
  (docs/qa/d2l-adagrad.md, d2l-rmsprop.md use them to show the rest of the formula is the same).
- init_rmsprop_states/rmsprop, init_adam_states/adam: states for any list of parameters, eps (and
  Adam's betas) readable from hyperparams; used by docs/qa/optimizer-trajectories.md and
  snippets/figures.py on a 2-D point, which the book's init_*_states(feature_dim) cannot shape."""

import torch


# --8<-- [start:adagrad_torch]
def adagrad_eps_outside(params, states, hyperparams):
    """书中的 adagrad，只改一处：eps 加在开方之后（torch.optim.Adagrad 的位置），由 hyperparams['eps'] 给出。"""
    eps = hyperparams['eps']
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / (torch.sqrt(s) + eps)
        p.grad.data.zero_()
# --8<-- [end:adagrad_torch]


# --8<-- [start:rmsprop_torch]
def rmsprop_eps_outside(params, states, hyperparams):
    """书中的 rmsprop，只改一处：eps 加在开方之后（torch.optim.RMSprop 的位置），由 hyperparams['eps'] 给出。"""
    gamma, eps = hyperparams['gamma'], hyperparams['eps']
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / (torch.sqrt(s) + eps)
        p.grad.data.zero_()
# --8<-- [end:rmsprop_torch]


# --8<-- [start:rmsprop]
def init_rmsprop_states(params):
    """每个参数一个与它同形状的全零 s（书里按 feature_dim 只为 w、b 创建）。"""
    return [torch.zeros_like(p) for p in params]


def rmsprop(params, states, hyperparams):
    """书中的 rmsprop；eps 可以由 hyperparams['eps'] 给出，默认与书相同（1e-6）。"""
    gamma, eps = hyperparams['gamma'], hyperparams.get('eps', 1e-6)
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()
# --8<-- [end:rmsprop]


# --8<-- [start:adam]
def init_adam_states(params):
    """每个参数两个与它同形状的全零状态 (v, s)（书里按 feature_dim 只为 w、b 创建）。"""
    return [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]


def adam(params, states, hyperparams):
    """书中的 adam；beta1、beta2、eps 可以由 hyperparams 给出，默认与书相同。
    步数 t 的约定也与书相同：第一步 t = 1，每步更新之后 t += 1；没给 't' 时从 1 开始。"""
    beta1, beta2 = hyperparams.get('beta1', 0.9), hyperparams.get('beta2', 0.999)
    eps = hyperparams.get('eps', 1e-6)
    t = hyperparams.setdefault('t', 1)
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** t)
            s_bias_corr = s / (1 - beta2 ** t)
            p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams['t'] += 1
# --8<-- [end:adam]
