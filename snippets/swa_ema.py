"""Functions shown on docs/qa/swa-ema.md."""

import torch


# --8<-- [start:full_loss]
def full_loss(model, X, y):
    """整个数据集上的均方误差（只求值，不记录梯度）。"""
    with torch.no_grad():
        return torch.nn.functional.mse_loss(model(X), y).item()
# --8<-- [end:full_loss]
