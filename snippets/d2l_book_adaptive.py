"""The PyTorch code of 《动手学深度学习》 (d2l-zh), chapter_optimization/, copied verbatim.

Source: github.com/d2l-ai/d2l-zh at commit e6b18ccea71451a55fcd861d7b96fddf2587b09a,
the `#@tab pytorch` cells of adagrad.md, rmsprop.md, adadelta.md and adam.md (the Yogi cell
without its last three lines, the `train_ch11` call). The text between each pair of section markers
is the book's, character for character (a reader searches for it): do not reformat it.
Only the `d2l` section is this site's: a stand-in for
`from d2l import torch as d2l`, which the book's cells for Adadelta and Adam start with.
"""

# --8<-- [start:d2l]
import types

import torch

# 代替书里的 from d2l import torch as d2l：这几段代码只用到 d2l.zeros，
# d2l/torch.py 里它就是 torch.zeros（zeros = torch.zeros）。
d2l = types.SimpleNamespace(zeros=torch.zeros)
# --8<-- [end:d2l]


# d2l-zh chapter_optimization/adagrad.md, section “从零开始实现”
# --8<-- [start:adagrad]
def init_adagrad_states(feature_dim):
    s_w = d2l.zeros((feature_dim, 1))
    s_b = d2l.zeros(1)
    return (s_w, s_b)

def adagrad(params, states, hyperparams):
    eps = 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] += torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()
# --8<-- [end:adagrad]


# d2l-zh chapter_optimization/rmsprop.md, section “从零开始实现”
# --8<-- [start:rmsprop_init]
def init_rmsprop_states(feature_dim):
    s_w = d2l.zeros((feature_dim, 1))
    s_b = d2l.zeros(1)
    return (s_w, s_b)
# --8<-- [end:rmsprop_init]


# d2l-zh chapter_optimization/rmsprop.md, section “从零开始实现”
# --8<-- [start:rmsprop]
def rmsprop(params, states, hyperparams):
    gamma, eps = hyperparams['gamma'], 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
            p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
        p.grad.data.zero_()
# --8<-- [end:rmsprop]


# d2l-zh chapter_optimization/adadelta.md, section “代码实现”
# --8<-- [start:adadelta]
def init_adadelta_states(feature_dim):
    s_w, s_b = d2l.zeros((feature_dim, 1)), d2l.zeros(1)
    delta_w, delta_b = d2l.zeros((feature_dim, 1)), d2l.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))

def adadelta(params, states, hyperparams):
    rho, eps = hyperparams['rho'], 1e-5
    for p, (s, delta) in zip(params, states):
        with torch.no_grad():
            # In-placeupdatesvia[:]
            s[:] = rho * s + (1 - rho) * torch.square(p.grad)
            g = (torch.sqrt(delta + eps) / torch.sqrt(s + eps)) * p.grad
            p[:] -= g
            delta[:] = rho * delta + (1 - rho) * g * g
        p.grad.data.zero_()
# --8<-- [end:adadelta]


# d2l-zh chapter_optimization/adam.md, section “实现”
# --8<-- [start:adam]
def init_adam_states(feature_dim):
    v_w, v_b = d2l.zeros((feature_dim, 1)), d2l.zeros(1)
    s_w, s_b = d2l.zeros((feature_dim, 1)), d2l.zeros(1)
    return ((v_w, s_w), (v_b, s_b))

def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
            s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
            p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr)
                                                       + eps)
        p.grad.data.zero_()
    hyperparams['t'] += 1
# --8<-- [end:adam]


# d2l-zh chapter_optimization/adam.md, section “Yogi”
# --8<-- [start:yogi]
def yogi(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-3
    for p, (v, s) in zip(params, states):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = s + (1 - beta2) * torch.sign(
                torch.square(p.grad) - s) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
            s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
            p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr)
                                                       + eps)
        p.grad.data.zero_()
    hyperparams['t'] += 1
# --8<-- [end:yogi]
