"""学习率调度器页面共用的小工具（docs/qa/lr-scheduler-basics.md 等页引入）。"""

# --8<-- [start:record]
import torch


def record_lrs(optimizer, scheduler, steps):
    """按正确顺序走 steps 步（先 optimizer.step() 再 scheduler.step()），
    返回每一步 optimizer.step() 实际用到的学习率（第一个参数组）。"""
    used = []
    for _ in range(steps):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return used


def fresh_optimizer(lr=0.1):
    """一个参数、学习率 lr 的 SGD：只用来观察调度器怎样改学习率。"""
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
# --8<-- [end:record]


# --8<-- [start:train]
def train_epochs(model, optimizer, scheduler, X, y, epochs, batch_size, per_batch=False):
    """小批量训练 epochs 轮；scheduler.step() 每轮调用一次（per_batch=True 时每个小批量一次）。
    每轮结束打印这一轮用过的学习率和全体数据上的损失。"""
    loss_fn = torch.nn.MSELoss()
    for epoch in range(epochs):
        used = set()
        for start in range(0, len(X), batch_size):
            Xb, yb = X[start : start + batch_size], y[start : start + batch_size]
            loss = loss_fn(model(Xb), yb)
            optimizer.zero_grad()
            loss.backward()
            used.add(round(optimizer.param_groups[0]["lr"], 6))
            optimizer.step()
            if per_batch:
                scheduler.step()
        if not per_batch:
            scheduler.step()
        with torch.no_grad():
            full = loss_fn(model(X), y).item()
        print(f"第 {epoch + 1} 轮  用过的学习率 {sorted(used, reverse=True)}  损失 {full:.3g}")
# --8<-- [end:train]
