"""OneCycleLR（docs/qa/onecycle-lr.md）。"""

# --8<-- [start:record]
def record_lr_momentum(optimizer, scheduler, steps):
    """走 steps 步（先 optimizer.step() 再 scheduler.step()），
    返回每一步用到的学习率和动量系数（SGD 的 momentum，Adam 的 betas[0]）。"""
    lrs, momenta = [], []
    for _ in range(steps):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
        optimizer.step()
        scheduler.step()
    return lrs, momenta
# --8<-- [end:record]
