"""Functions shown on docs/qa/which-optimizer-to-start.md."""

import torch


# --8<-- [start:setup]
def make_data(n=384, seed=0):
    """二维输入的合成回归数据：y = sin(3·x1)·cos(2·x2) + 噪声；前 2/3 训练，后 1/3 测试。
    随机数都在 CPU 上生成（在 GPU 上跑也是同一组数），再放到默认设备上。"""
    torch.manual_seed(seed)
    X = torch.rand(n, 2, device="cpu") * 2 - 1
    y = torch.sin(3 * X[:, :1]) * torch.cos(2 * X[:, 1:]) + 0.05 * torch.randn(n, 1, device="cpu")
    X, y = X.to(torch.get_default_device()), y.to(torch.get_default_device())
    split = n * 2 // 3
    return (X[:split], y[:split]), (X[split:], y[split:])


def train(make_optimizer, train_set, test_set, epochs=6, batch_size=32, seed=0):
    """同一个初始化、同一个小批量顺序，只换优化器；返回最后的训练损失和测试损失。"""
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(2, 32, device="cpu"), torch.nn.Tanh(), torch.nn.Linear(32, 1, device="cpu")]
    model = torch.nn.Sequential(*layers).to(torch.get_default_device())
    optimizer = make_optimizer(model.parameters())
    X, y = train_set
    for _ in range(epochs):
        for idx in torch.randperm(len(X), device="cpu").split(batch_size):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(X[idx]), y[idx]).backward()
            optimizer.step()
    with torch.no_grad():
        train_loss = torch.nn.functional.mse_loss(model(X), y).item()
        test_loss = torch.nn.functional.mse_loss(model(test_set[0]), test_set[1]).item()
    return train_loss, test_loss
# --8<-- [end:setup]
