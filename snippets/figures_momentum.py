"""The momentum page's figures (docs/qa/d2l-sgd-momentum.md): the page runs and checks the
computing code below; hooks/figures.py calls draw_all(dark) at build time to draw the same
numbers into assets/figures/momentum-ravine-*.svg and momentum-weights-*.svg."""


import torch

from snippets.figures import _style, _svg
from snippets.q1_sgd import sgd
from snippets.q2_momentum import init_momentum_states, sgd_momentum


# --8<-- [start:ravine]
def f_2d(x1, x2):
    return 0.1 * x1 ** 2 + 2 * x2 ** 2


def trace_2d(updater, states, hyperparams, steps=20, start=(-5.0, -2.0)):
    """从 start 出发，用 d2l 接口的 updater(params, states, hyperparams) 在 f_2d 上走 steps 步，
    每步用全部（唯一的）“数据”算梯度，也就是梯度下降；返回经过的点，形状 (steps + 1, 2)。"""
    x = torch.tensor(start, requires_grad=True)
    points = [x.detach().clone()]
    for _ in range(steps):
        f_2d(x[0], x[1]).backward()
        updater([x], states, hyperparams)
        points.append(x.detach().clone())
    return torch.stack(points)


def ravine_paths():
    """书中的三组设置：梯度下降 η=0.4、η=0.6，动量法 η=0.6、β=0.5。"""
    return {
        "梯度下降 η=0.4": trace_2d(sgd, None, {"lr": 0.4}),
        "梯度下降 η=0.6": trace_2d(sgd, None, {"lr": 0.6}),
        "动量法 η=0.6 β=0.5": trace_2d(sgd_momentum, init_momentum_states([torch.zeros(2)]),
                                        {"lr": 0.6, "momentum": 0.5}),
    }
# --8<-- [end:ravine]


# --8<-- [start:weights]
def past_weights(beta, steps=40):
    """给 sgd_momentum 喂一个“脉冲”：第 1 步梯度为 1，之后都是 0。
    记录每一步之后的动量 v，就是 τ 步以前的梯度在 v 里的权重（τ = 0, 1, 2, …）。"""
    p = torch.zeros(1, requires_grad=True)
    states = init_momentum_states([p])
    weights = []
    for t in range(steps):
        p.grad = torch.ones(1) if t == 0 else torch.zeros(1)
        sgd_momentum([p], states, {"lr": 0.0, "momentum": beta})
        weights.append(states[0].item())
    return torch.tensor(weights)
# --8<-- [end:weights]


def _pyplot(dark):
    """pyplot and the site's figure style (snippets/figures.py), with this module's own SVG id salt."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ink, style = _style(dark)
    return plt, ink, {**style, "svg.hashsalt": "figures-momentum"}


def plot_ravine(paths, dark=False):
    """左：梯度下降（η=0.6 时在 x2 方向发散，冲出图外）；右：动量法。返回 SVG 文本。"""
    plt, ink, style = _pyplot(dark)
    with plt.rc_context(style):
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
        x1, x2 = torch.meshgrid(torch.linspace(-5.5, 1.5, 200), torch.linspace(-3, 3, 200), indexing="ij")
        panels = [
            ("梯度下降：η=0.4（实线），η=0.6（虚线）", [n for n in paths if n.startswith("梯度下降")]),
            ("动量法：η=0.6，β=0.5", [n for n in paths if n.startswith("动量法")]),
        ]
        for ax, (title, names) in zip(axes, panels):
            ax.contour(x1.tolist(), x2.tolist(), f_2d(x1, x2).tolist(), levels=12, colors=ink, alpha=0.25)
            for name in names:
                points = paths[name]
                line = "--o" if name == "梯度下降 η=0.6" else "-o"
                ax.plot(points[:, 0].tolist(), points[:, 1].tolist(), line, markersize=3, label=name)
            ax.plot([0], [0], "*", color=ink, markersize=10)
            ax.set_xlim(-5.5, 1.5)
            ax.set_ylim(-3, 3)
            ax.set_xlabel("x1")
            ax.set_title(title, fontsize=10)
        axes[0].set_ylabel("x2")
        return _svg(fig, plt)


def plot_weights(weights, dark=False):
    """不同动量系数 β 下，τ 步以前的梯度在动量里的权重 β^τ。返回 SVG 文本。"""
    plt, ink, style = _pyplot(dark)
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(6, 3))
        for beta, w in weights.items():
            ax.plot(range(len(w)), w.tolist(), label=f"β = {beta:.2f}")
        ax.set_xlabel("τ（几步以前的梯度）")
        ax.set_ylabel("在动量 v 里的权重")
        ax.legend(frameon=False)
        return _svg(fig, plt)


BETAS = (0.95, 0.9, 0.6, 0.0)


def draw_all(dark):
    """hooks/figures.py calls this: the momentum page's figures, from the code the page runs."""
    weights = {beta: past_weights(beta) for beta in BETAS}
    return {
        "momentum-ravine": plot_ravine(ravine_paths(), dark),
        "momentum-weights": plot_weights(weights, dark),
    }
