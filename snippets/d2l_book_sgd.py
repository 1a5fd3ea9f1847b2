"""The PyTorch code of 《动手学深度学习》 (d2l-zh) that docs/qa/sgd-rebind-bug.md and
docs/qa/d2l-sgd-momentum.md quote, copied verbatim.

Source: github.com/d2l-ai/d2l-zh at commit e6b18ccea71451a55fcd861d7b96fddf2587b09a, the
`#@tab pytorch` cells of chapter_linear-networks/linear-regression-scratch.md (`sgd`) and
chapter_optimization/momentum.md (`init_momentum_states`). The text between each pair of
section markers is the book's, character for character (a reader searches for it): do not
reformat it. `d2l` stands in for `from d2l import torch as d2l` (see snippets/d2l_book_adaptive.py,
whose `d2l` section the momentum page includes before this code).
"""

import torch

from snippets.d2l_book_adaptive import d2l


# d2l-zh chapter_linear-networks/linear-regression-scratch.md, section “定义优化算法”
# --8<-- [start:linreg_sgd]
def sgd(params, lr, batch_size):  #@save
    """小批量随机梯度下降"""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
# --8<-- [end:linreg_sgd]


# d2l-zh chapter_optimization/momentum.md, section “从零开始实现”
# --8<-- [start:init_momentum_states]
def init_momentum_states(feature_dim):
    v_w = d2l.zeros((feature_dim, 1))
    v_b = d2l.zeros(1)
    return (v_w, v_b)
# --8<-- [end:init_momentum_states]
