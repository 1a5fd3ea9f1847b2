"""The running example of every page: linear regression on synthetic data.

Pages include these sections with `--8<-- "snippets/linreg.py:NAME"`; the doc tests
run exactly the included text.
"""

# --8<-- [start:data]
import torch


def make_data(n, true_w, true_b, noise=0.01):
    """生成线性回归数据：y = X @ true_w + true_b + 噪声。"""
    X = torch.randn(n, len(true_w))
    y = X @ true_w + true_b + noise * torch.randn(n)
    return X, y.reshape(-1, 1)


def batches(X, y, batch_size):
    """每轮打乱一次顺序，再按 batch_size 切成小批量。"""
    order = torch.randperm(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
# --8<-- [end:data]


# --8<-- [start:train]
def init_params(num_features):
    """全零初始化的权重 w 和偏置 b：两个需要梯度的叶子节点。"""
    w = torch.zeros(num_features, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return [w, b]


def mean_loss(params, X, y):
    """小批量的平均平方损失（除以 2 只是让梯度更好看）。"""
    w, b = params
    return ((X @ w + b - y) ** 2 / 2).mean()


def train(updater, params, states, hyperparams, X, y, epochs=3, batch_size=10):
    """用 updater(params, states, hyperparams) 训练；每轮结束打印全体数据上的损失，返回最后的损失。"""
    for epoch in range(epochs):
        for Xb, yb in batches(X, y, batch_size):
            mean_loss(params, Xb, yb).backward()
            updater(params, states, hyperparams)
        with torch.no_grad():
            loss = mean_loss(params, X, y).item()
        print(f"第 {epoch + 1} 轮  损失 {loss:.6f}")
    return loss
# --8<-- [end:train]


# --8<-- [start:compare]
def train_copy(init, data, update):
    """复制一份初始参数 init，依次喂入小批量 data；每步 backward() 之后调用 update(params)。"""
    params = [t.detach().clone().requires_grad_() for t in init]
    for Xb, yb in data:
        mean_loss(params, Xb, yb).backward()
        update(params)
    return params


def optim_update(optimizer_class, **kwargs):
    """把 torch.optim 的优化器包装成 update(params)：第一次调用时才创建优化器。"""
    optimizer = None

    def update(params):
        nonlocal optimizer
        if optimizer is None:
            optimizer = optimizer_class(params, **kwargs)
        optimizer.step()
        optimizer.zero_grad()

    return update


def max_abs_diff(xs, ys):
    """两组参数逐元素之差的绝对值的最大值。"""
    return max((x - y).abs().max().item() for x, y in zip(xs, ys))


def rounding_bound(params, steps, carry=1.0):
    """舍入误差的容差：每步最多差一次 float32 舍入（eps × |p|），累积 steps 步；
    误差会被状态（如动量）反复使用时，乘上放大倍数 carry。"""
    eps = torch.finfo(torch.float32).eps
    return steps * eps * max(p.abs().max().item() for p in params) * carry
# --8<-- [end:compare]
