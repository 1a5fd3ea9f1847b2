"""《动手学深度学习》里手写的学习率调度（docs/qa/sgd-lr-decay-book.md）。

标着“原样引自”的片段一字不改地抄自 d2l-zh 仓库（github.com/d2l-ai/d2l-zh，提交 e6b18cc）的
PyTorch 版本；其余是本站为了运行和对照而写的代码。
"""

import math
import types

import torch


# --8<-- [start:train_2d]
# 原样引自 chapter_optimization/gd.md（d2l.train_2d）；它在循环结束后才用 i，下一行让 ruff 不报 B007
# ruff: noqa: B007
def train_2d(trainer, steps=20, f_grad=None):  #@save
    """用定制的训练机优化2D目标函数"""
    # s1和s2是稍后将使用的内部状态变量
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print(f'epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}')
    return results
# --8<-- [end:train_2d]


# --8<-- [start:shim]
# 本站代替 `from d2l import torch as d2l`：书中这几段只用到 d2l.normal 和 d2l.train_2d
d2l = types.SimpleNamespace(normal=torch.normal, train_2d=train_2d)
# --8<-- [end:shim]


# --8<-- [start:sgd]
# 原样引自 chapter_optimization/sgd.md（PyTorch 版）
def f(x1, x2):  # 目标函数
    return x1 ** 2 + 2 * x2 ** 2

def f_grad(x1, x2):  # 目标函数的梯度
    return 2 * x1, 4 * x2

def sgd(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    # 模拟有噪声的梯度
    g1 += d2l.normal(0.0, 1, (1,)).item()
    g2 += d2l.normal(0.0, 1, (1,)).item()
    eta_t = eta * lr()
    return (x1 - eta_t * g1, x2 - eta_t * g2, 0, 0)

def constant_lr():
    return 1

def exponential_lr():
    # 在函数外部定义，而在内部更新的全局变量
    global t
    t += 1
    return math.exp(-0.1 * t)

def polynomial_lr():
    # 在函数外部定义，而在内部更新的全局变量
    global t
    t += 1
    return (1 + 0.1 * t) ** (-0.5)
# --8<-- [end:sgd]


# 书中在调用处设置这三个全局变量（eta = 0.1、lr = ...、t = 1），这里给出同样的值，模块才能单独导入
eta, lr, t = 0.1, constant_lr, 1


# --8<-- [start:schedulers]
# 原样引自 chapter_optimization/lr-scheduler.md（PyTorch 版）
class SquareRootScheduler:
    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)

class FactorScheduler:
    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.base_lr = base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr

class CosineScheduler:
    def __init__(self, max_update, base_lr=0.01, final_lr=0,
               warmup_steps=0, warmup_begin_lr=0):
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.warmup_steps = warmup_steps
        self.warmup_begin_lr = warmup_begin_lr
        self.max_steps = self.max_update - self.warmup_steps

    def get_warmup_lr(self, epoch):
        increase = (self.base_lr_orig - self.warmup_begin_lr) \
                       * float(epoch) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.get_warmup_lr(epoch)
        if epoch <= self.max_update:
            self.base_lr = self.final_lr + (
                self.base_lr_orig - self.final_lr) * (1 + math.cos(
                math.pi * (epoch - self.warmup_steps) / self.max_steps)) / 2
        return self.base_lr
# --8<-- [end:schedulers]


# --8<-- [start:get_lr]
# 原样引自 chapter_optimization/lr-scheduler.md（PyTorch 版，MultiStepLR 一段）
def get_lr(trainer, scheduler):
    lr = scheduler.get_last_lr()[0]
    trainer.step()
    scheduler.step()
    return lr
# --8<-- [end:get_lr]


# --8<-- [start:noisy]
def noisy_sq_distance(make_scheduler, steps, runs=2000, checkpoints=(50, 200, 1000)):
    """书中的例子 f = x1² + 2·x2²，梯度加上标准正态噪声，从 (-5, -2) 出发，用 torch.optim.SGD(lr=0.1)
    和 make_scheduler(optimizer) 给出的调度器走 steps 步。runs 次独立运行并排成一个张量一起算，
    返回 {步数: 到最优点 (0, 0) 的距离平方的平均值}。"""
    x = torch.tensor([-5.0, -2.0]).repeat(runs, 1).requires_grad_()
    optimizer = torch.optim.SGD([x], lr=0.1)
    scheduler = make_scheduler(optimizer)
    result = {}
    for step in range(1, steps + 1):
        (x[:, 0] ** 2 + 2 * x[:, 1] ** 2).sum().backward()  # 每次运行各自的梯度
        with torch.no_grad():
            x.grad += torch.randn_like(x)  # 模拟有噪声的梯度
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()
        if step in checkpoints:
            result[step] = (x.detach() ** 2).sum(dim=1).mean().item()
    return result
# --8<-- [end:noisy]
