"""学习率调度的图：由页面测试过的同一份代码（snippets/warmup_cosine.py 的 schedule_curves）
算出数据，hooks/figures.py 在构建网站时调用 draw_all 画出。"""

from snippets.figures import _style, _svg
from snippets.warmup_cosine import schedule_curves


def plot_schedules(curves, dark=False, ylabel="学习率"):
    """每条曲线一个序列（横轴是 optimizer.step() 的次数），返回 SVG 文本。"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ink, style = _style(dark)
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        for i, (name, values) in enumerate(curves.items()):
            if i == 1:  # 与第一条相同：画成点，才看得出两条重合
                ax.plot(range(len(values)), values, "o", markersize=3, label=name)
            else:
                ax.plot(range(len(values)), values, "-", label=name)
        ax.set_xlabel("第几步（optimizer.step() 的次数）")
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1.45 * max(max(v) for v in curves.values()))  # 上方留出图例的位置
        ax.legend(loc="upper right", frameon=False)
        return _svg(fig, plt)


def draw_all(dark):
    """hooks/figures.py 调用它：本文件画的全部图。"""
    return {"lr-warmup-cosine": plot_schedules(schedule_curves(), dark)}
