"""Code shown on docs/qa/loss-not-decreasing.md."""

import torch


# --8<-- [start:diagnose]
def diagnose(model, optimizer, before):
    """逐个参数检查：在不在优化器里、要不要梯度、有没有梯度、和 before 相比变了没有。"""
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    print("学习率：", [group["lr"] for group in optimizer.param_groups])
    for name, p in model.named_parameters():
        grad = "None" if p.grad is None else f"{p.grad.norm().item():.3g}"
        changed = not torch.equal(p.detach(), before[name])
        print(f"{name:8} 在优化器里 {id(p) in in_optimizer!s:5}  requires_grad {p.requires_grad!s:5}  "
              f"梯度范数 {grad:6}  变了 {changed}")
# --8<-- [end:diagnose]
