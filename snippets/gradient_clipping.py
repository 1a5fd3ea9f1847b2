"""梯度裁剪（docs/qa/gradient-clipping.md）。"""

# --8<-- [start:accumulate]
import torch


def accumulated_grads(model, X, y, micro_batches, max_norm, clip_each=False):
    """把 (X, y) 切成 micro_batches 个小批量做梯度累加（每份损失除以 micro_batches），
    clip_each=False：最后一个小批量之后裁剪一次；clip_each=True：每个小批量 backward 之后都裁剪（错误做法）。
    返回裁剪后的梯度（各参数的副本）。"""
    model.zero_grad()
    for Xb, yb in zip(X.chunk(micro_batches), y.chunk(micro_batches)):
        loss = torch.nn.functional.mse_loss(model(Xb), yb) / micro_batches
        loss.backward()
        if clip_each:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    if not clip_each:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return [p.grad.clone() for p in model.parameters()]
# --8<-- [end:accumulate]


# --8<-- [start:order]
def one_step(init, X, y, order):
    """从参数 init 出发走一步 SGD，在 order 指定的位置调用 clip_grad_norm_(max_norm=1.0)，返回新的权重。"""
    model = torch.nn.Linear(3, 1)
    model.load_state_dict(init)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    optimizer.zero_grad()
    if order == "backward 之前":
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    torch.nn.functional.mse_loss(model(X), y).backward()
    if order == "backward 之后、step 之前":
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if order == "step 之后":
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    return model.weight.detach().clone()
# --8<-- [end:order]
