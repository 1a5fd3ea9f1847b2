"""Functions shown on docs/qa/sgd-rebind-bug.md (Q3)."""

import torch

from snippets.linreg import batches


# --8<-- [start:question]
def sgd(params,lr,batch_size):
    with torch.no_grad():
        for param in params:
            param = lr* param.grad/batch_size
            param.grad.zero_()
# --8<-- [end:question]


# --8<-- [start:silent]
def sgd_silent(params, lr, batch_size):
    """题目的代码去掉最后一行：不再报错，但什么也没更新。"""
    with torch.no_grad():
        for param in params:
            param = lr * param.grad / batch_size
# --8<-- [end:silent]


# --8<-- [start:fixed]
def sgd_fixed(params, lr, batch_size):
    """改正：原地减去，参数本身才会变。"""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
# --8<-- [end:fixed]


# --8<-- [start:train_sum]
def train_sum(update, params, lr, batch_size, X, y, epochs=3, reduction="sum"):
    """线性回归一节的写法：小批量损失默认求和（sum），再调用 update(params, lr, batch_size)。"""
    w, b = params
    for epoch in range(epochs):
        for Xb, yb in batches(X, y, batch_size):
            loss = (Xb @ w + b - yb) ** 2 / 2
            (loss.sum() if reduction == "sum" else loss.mean()).backward()
            update(params, lr, batch_size)
        with torch.no_grad():
            full = ((X @ w + b - y) ** 2 / 2).mean().item()
        print(f"第 {epoch + 1} 轮  损失 {full:.6f}")
    return full
# --8<-- [end:train_sum]


# --8<-- [start:data_attr]
def sgd_data(params, lr, batch_size):
    """用 .data 绕开 autograd：能用，但不推荐。"""
    for param in params:
        param.data -= lr * param.grad / batch_size
        param.grad.zero_()
# --8<-- [end:data_attr]


# --8<-- [start:answer_fix]
def sgd_answer_fix(params, lr, batch_size):
    """常见回答给出的改法：在 torch.no_grad() 里再用 .data。"""
    with torch.no_grad():
        for param in params:
            param.data -= lr * param.grad / batch_size
            param.grad.zero_()
# --8<-- [end:answer_fix]


# --8<-- [start:outside]
def sgd_outside_no_grad(params, lr, batch_size):
    """错误示范：原地修改需要梯度的叶子节点，却没有 torch.no_grad()。"""
    for param in params:
        param -= lr * param.grad / batch_size
        param.grad.zero_()
# --8<-- [end:outside]


# --8<-- [start:no_division]
def sgd_no_division(params, lr, batch_size):
    """配平均损失（mean）用：梯度已经是平均，不再除以 batch_size。"""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad
            param.grad.zero_()
# --8<-- [end:no_division]
