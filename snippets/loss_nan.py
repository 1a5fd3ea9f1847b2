"""损失变成 nan / inf（docs/qa/loss-nan-exploding.md）。"""

# --8<-- [start:train]
import torch


def train_linreg(X, y, lr, steps, max_norm=None):
    """全零初始化的线性回归，SGD 走 steps 步（全批量），返回每一步的损失；
    max_norm 不为 None 时，在 backward 之后、step 之前做梯度裁剪。"""
    model = torch.nn.Linear(X.shape[1], 1)
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(X), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
    return losses
# --8<-- [end:train]
