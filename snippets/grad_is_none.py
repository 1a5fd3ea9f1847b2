"""Functions and classes shown on docs/qa/grad-is-none.md."""

import torch


# --8<-- [start:net]
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.used = torch.nn.Linear(3, 1)
        self.unused = torch.nn.Linear(3, 1)  # 定义了，forward 里没用

    def forward(self, x):
        return self.used(x)
# --8<-- [end:net]
