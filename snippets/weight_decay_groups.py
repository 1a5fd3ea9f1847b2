"""偏置和归一化层参数不做权重衰减：用参数组（docs/qa/weight-decay-exclude-bias-norm.md）。"""

# --8<-- [start:split]
import torch


def split_decay(model, weight_decay):
    """把模型的参数分成两个参数组：ndim ≥ 2 的（Linear、卷积的权重矩阵）做权重衰减；
    ndim ≤ 1 的（各层的 bias，LayerNorm、BatchNorm 的 weight 和 bias）不做。
    返回 (参数组列表, {组名: 参数名列表})。"""
    groups = {"decay": [], "no_decay": []}
    names = {"decay": [], "no_decay": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue  # 冻结的参数不交给优化器
        key = "decay" if p.ndim >= 2 else "no_decay"
        groups[key].append(p)
        names[key].append(name)
    param_groups = [
        {"params": groups["decay"], "weight_decay": weight_decay},
        {"params": groups["no_decay"], "weight_decay": 0.0},
    ]
    return param_groups, names
# --8<-- [end:split]


# --8<-- [start:model]
def make_model():
    """一个小网络：Linear + LayerNorm，Linear + BatchNorm1d，最后一层 Linear。"""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        torch.nn.LayerNorm(8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 1),
    )
# --8<-- [end:model]
