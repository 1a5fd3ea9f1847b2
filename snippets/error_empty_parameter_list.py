"""Code shown on docs/qa/error-empty-parameter-list.md."""

import torch
from torch import nn


# --8<-- [start:question]
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
# --8<-- [end:question]


# --8<-- [start:fixed]
class MLPFixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
# --8<-- [end:fixed]


# --8<-- [start:plain_tensor]
class LinearPlain(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.randn(4, 1, requires_grad=True)  # 普通张量：不会被登记
        self.b = torch.zeros(1, requires_grad=True)

    def forward(self, x):
        return x @ self.w + self.b


class LinearParam(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 1))  # nn.Parameter：赋值时自动登记
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x @ self.w + self.b
# --8<-- [end:plain_tensor]
