"""Optimisation trajectories and loss curves: computed by the page's tested code
(docs/qa/optimizer-trajectories.md) and drawn into the site by hooks/figures.py."""

import torch

from snippets.adaptive import adam, init_adam_states, init_rmsprop_states, rmsprop
from snippets.linreg import batches, init_params, make_data, mean_loss
from snippets.q1_sgd import sgd
from snippets.q2_momentum import init_momentum_states, sgd_momentum


# --8<-- [start:trajectory]
def f_2d(x):
    """病态的二次函数 f(x1, x2) = 0.1·x1² + 2·x2²：x2 方向比 x1 方向陡 20 倍。"""
    return 0.1 * x[0] ** 2 + 2 * x[1] ** 2


def trajectory(updater, init_states, hyperparams, steps=20, start=(-5.0, -2.0)):
    """从 start 出发，用 updater(params, states, hyperparams) 走 steps 步，返回经过的点。"""
    x = torch.tensor(start, requires_grad=True)
    states, hp = init_states([x]), dict(hyperparams)  # 复制一次：adam 在 hp 里记步数 t
    points = [x.detach().clone()]
    for _ in range(steps):
        f_2d(x).backward()
        updater([x], states, hp)
        points.append(x.detach().clone())
    return torch.stack(points)


METHODS = {  # 名字 -> (手写的优化器, 状态初始化, 超参数)
    "梯度下降": (sgd, lambda ps: None, {"lr": 0.4}),  # 每步用 f 的精确梯度：梯度下降，不是 SGD
    "动量法": (sgd_momentum, init_momentum_states, {"lr": 0.4, "momentum": 0.5}),
    "RMSProp": (rmsprop, init_rmsprop_states, {"lr": 0.4, "gamma": 0.9}),
    "Adam": (adam, init_adam_states, {"lr": 0.4}),
}
# --8<-- [end:trajectory]


# --8<-- [start:plot]
import io  # noqa: E402


def _style(dark):
    """浅色或深色页面上都看得清的配色；背景透明。"""
    ink = "#e0e0e0" if dark else "#333333"
    return ink, {
        "text.color": ink,
        "axes.labelcolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "axes.edgecolor": ink,
        "svg.hashsalt": "figures",
        "svg.fonttype": "path",
        "font.family": "sans-serif",
        # 网站自带的中文字体子集（snippets/fonts/，SIL OFL 1.1）；没有它时用系统里的 Noto Sans CJK SC
        "font.sans-serif": ["QA Figures CJK", "Noto Sans CJK SC", "DejaVu Sans"],
    }


def _svg(fig, plt):
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", transparent=True, metadata={"Date": None})
    plt.close(fig)
    return out.getvalue()


def plot_trajectories(paths, dark=False):
    """画出 f_2d 的等高线和每种方法的轨迹，返回 SVG 文本。"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ink, style = _style(dark)
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        x1, x2 = torch.meshgrid(torch.linspace(-5.5, 2.5, 200), torch.linspace(-3, 3, 200), indexing="ij")
        # .tolist(): matplotlib takes lists, whatever device the tensors are on
        ax.contour(x1.tolist(), x2.tolist(), f_2d([x1, x2]).tolist(), levels=12, colors=ink, alpha=0.25)
        for name, points in paths.items():
            ax.plot(points[:, 0].tolist(), points[:, 1].tolist(), "-o", markersize=3, label=name)
        ax.plot([0], [0], "*", color=ink, markersize=10)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.legend(loc="upper left", frameon=False)
        return _svg(fig, plt)


def plot_losses(curves, dark=False):
    """每种方法的损失曲线（对数纵轴），返回 SVG 文本。"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ink, style = _style(dark)
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        for name, losses in curves.items():
            ax.semilogy(losses, label=name)
        ax.set_xlabel("步数（每步一个小批量）")
        ax.set_ylabel("全体数据上的损失")
        ax.legend(frameon=False)
        return _svg(fig, plt)


# --8<-- [end:plot]


# --8<-- [start:losses]
def loss_curve(updater, init_states, hyperparams, steps=100, batch_size=10):
    """在线性回归的例子上训练 steps 步，记录每一步之后全体数据上的损失。"""
    torch.manual_seed(0)
    X, y = make_data(1000, torch.tensor([2.0, -3.4]), 4.2)
    params = init_params(2)
    states, hp = init_states(params), dict(hyperparams)
    losses = []
    for Xb, yb in batches(X, y, batch_size):
        mean_loss(params, Xb, yb).backward()
        updater(params, states, hp)
        with torch.no_grad():
            losses.append(mean_loss(params, X, y).item())
        if len(losses) == steps:
            break
    return losses


LOSS_METHODS = {
    "SGD lr=0.03": (sgd, lambda ps: None, {"lr": 0.03}),  # 每步一个随机小批量：这才是 SGD
    "动量法 lr=0.03 momentum=0.5": (sgd_momentum, init_momentum_states, {"lr": 0.03, "momentum": 0.5}),
    "Adam lr=0.1": (adam, init_adam_states, {"lr": 0.1}),
}
# --8<-- [end:losses]


def draw_all(dark):
    """hooks/figures.py calls this: the site's figures, from the same code the page tests."""
    paths = {name: trajectory(u, i, h) for name, (u, i, h) in METHODS.items()}
    curves = {name: loss_curve(u, i, h) for name, (u, i, h) in LOSS_METHODS.items()}
    return {"trajectories": plot_trajectories(paths, dark), "losses": plot_losses(curves, dark)}
