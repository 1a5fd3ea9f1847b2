"""DDP and the optimizer (shown on docs/qa/ddp-optimizer.md). The page starts its two
processes with the "fork" start method: the children are copies of the page's process,
so they use the functions the page defined (no module to import: the downloaded notebook
and script run the same way)."""

# --8<-- [start:setup]
import socket

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def make_data():
    """32 个样本的回归数据；每个进程调用它都得到同样的数据（固定种子）。"""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(32, 5, generator=g)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0], [3.0]]) + 0.1 * torch.randn(32, 1, generator=g)
    return TensorDataset(X, y)


def make_model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def free_port():
    """一个此刻没人用的本机端口，给进程组碰头用（torchrun 用 MASTER_PORT 传它）。"""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
# --8<-- [end:setup]


# --8<-- [start:train]
def train(shard=True, epochs=3, batch_size=8, lr=0.1):
    """一个进程里的训练循环。和单卡相比只多了标 ← 的几行；优化器的写法一点没变。
    返回初始参数、第一步的梯度、最后的参数和优化器状态，供页面检查。"""
    dataset = make_data()
    if shard:
        sampler = DistributedSampler(dataset, shuffle=True, seed=0)  # ← 每个进程拿不同的一份
        loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    else:  # 错误示范：不分片，每个进程都遍历整个数据集
        sampler = None
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    model = make_model(seed=dist.get_rank())  # 故意让各进程的初始参数不同
    init = [p.detach().clone() for p in model.parameters()]  # 记下来，供页面检查
    ddp_model = DDP(model)  # ← 包一层；构造时把 rank 0 的参数广播给所有进程
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=lr, momentum=0.9)  # 和单卡一样
    loss_fn = torch.nn.MSELoss()
    first_grads = None
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)  # ← 每轮换一种打乱顺序（各进程一致）
        for Xb, yb in loader:
            loss = loss_fn(ddp_model(Xb), yb)
            optimizer.zero_grad()
            loss.backward()  # 各进程的梯度在这里求平均（all-reduce）
            if first_grads is None:  # 记下第一步的梯度，供页面检查
                first_grads = [p.grad.clone() for p in model.parameters()]
            optimizer.step()  # 每个进程用同样的平均梯度走同样的一步
    return {
        "init": init,
        "first_grads": first_grads,
        "params": [p.detach().clone() for p in model.parameters()],
        "optimizer": optimizer.state_dict(),
    }
# --8<-- [end:train]


# --8<-- [start:run]
def run(rank, world_size):
    """每个进程的入口：torch.multiprocessing 在第 rank 个进程里调用 run(rank, world_size)。"""
    dist.init_process_group("gloo", rank=rank, world_size=world_size)  # 多卡 GPU 时用 "nccl"
    try:
        with torch.device("cpu"):  # 这个演示只用 CPU（默认设备是 cuda 时，fork 出的子进程不能再用 CUDA）
            same = train(shard=False)  # 错误示范：不分片
            torch.save(same, f"same-rank{rank}.pt")
            result = train(shard=True)  # 正确的做法
            torch.save(result, f"shard-rank{rank}.pt")
            if rank == 0:  # 各进程的优化器状态相同：只让 rank 0 保存一份
                torch.save(result["optimizer"], "optimizer.pt")
        dist.barrier()  # 其他进程等 rank 0 写完，再去读
    finally:
        dist.destroy_process_group()
# --8<-- [end:run]


# --8<-- [start:reference]
def train_single(batches, lr=0.1):
    """对照：一个进程、不用 DDP，按给定的顺序在每个批量上走一步。"""
    model = make_model(seed=0)  # 与 rank 0 的初始参数相同
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.MSELoss()
    for Xb, yb in batches:
        loss = loss_fn(model(Xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def local_grads(Xb, yb):
    """rank 0 的初始参数在一个批量上的梯度（不通信）。"""
    model = make_model(seed=0)
    torch.nn.MSELoss()(model(Xb), yb).backward()
    return [p.grad for p in model.parameters()]
# --8<-- [end:reference]

