"""Code shown on docs/qa/optimizer-state-dict-resume.md."""

import io

import torch
from torch import nn


# --8<-- [start:setup]
def make_run(seed):
    """模型、优化器、学习率调度器。seed 只决定模型的初始值。"""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.5)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, X, y, steps):
    for _ in range(steps):
        idx = torch.randint(0, len(X), (16,))  # 随机抽一个小批量：用到随机数生成器
        loss = nn.functional.mse_loss(model(X[idx]), y[idx])  # Dropout 也用到随机数生成器
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
# --8<-- [end:setup]


# --8<-- [start:checkpoint]
def rng_state():
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    torch.set_rng_state(state["cpu"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(model, optimizer, scheduler):
    """把要恢复的一切写成字节（换成文件路径就是写文件）。"""
    buffer = io.BytesIO()
    torch.save({
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": rng_state(),
    }, buffer)
    return buffer.getvalue()


def load_checkpoint(data, model, optimizer, scheduler):
    checkpoint = torch.load(io.BytesIO(data))
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    set_rng_state(checkpoint["rng"])
# --8<-- [end:checkpoint]


# --8<-- [start:same]
def same(model_a, model_b):
    return all(torch.equal(p, q) for p, q in zip(model_a.parameters(), model_b.parameters()))
# --8<-- [end:same]
