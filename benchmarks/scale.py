"""Scale benchmark: synthetic knowledge bases of 10, 100 and 1,000 Q&A pages.

    .venv/bin/python -m benchmarks.scale [--pages 10 100 1000] [--weights light d2l]
        [--nav-section 50] [--harness DIR] [--out benchmarks/results/scale.md]

Each page looks like a real one: front matter, Chinese text under several headings,
four Python blocks (one in an admonition, one in a content tab, one with a snippet
include), tags and keywords. Two weights of page code:
  light   the four blocks do almost nothing (0.2 ms each): the harness's own cost, worst case;
  d2l     plus d2l's linear-regression training (3 epochs, batch 10, the hand-written sgd),
          about 45 ms here; the median real page runs 127 ms of blocks (verification/local.json).
Per size and weight it measures, on this machine:
  doc tests   pytest over every page (CPU items), serial and with pytest-xdist -n 2 (--workers);
  plain       the same blocks run as one plain Python script (the floor);
  build       mkdocs build --strict;
  index       search_index.json size;
  search      query latency in Chromium (median and worst of 8 queries).
--nav-section N puts N pages per nav section (0: all in one section, as before).
--harness DIR measures another checkout's tests/, hooks/, mkdocs.yml and pyproject.toml
(e.g. a `git worktree` of an older commit) on the same synthetic pages: before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = (
    "梯度 学习率 动量 优化器 参数 小批量 损失 叶子节点 张量 原地 更新 清零 累加 "
    "训练 收敛 步长 衰减 正则 权重 偏置 前向 反向 计算图 版本号 设备"
).split()
SNIPPET = '''import torch


# --8<-- [start:step]
def step(params, lr):
    """一步 SGD。"""
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()
# --8<-- [end:step]
'''


def sentence(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))) + "。"


TRAINING = """
## 像 d2l 那样训练三轮

```python
torch.manual_seed({i})
true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
X = torch.randn(1000, 2)
y = X @ true_w + true_b + 0.01 * torch.randn(1000)
w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for epoch in range(3):
    for k in range(0, 1000, 10):
        loss = ((X[k : k + 10] @ w + b - y[k : k + 10]) ** 2 / 2).sum()
        loss.backward()
        step([w, b], 0.03 / 10)
assert (w - true_w).abs().max() < 0.01
```
"""
BLOCKS = {"light": 4, "d2l": 5}


def page(i: int, rng: random.Random, weight: str = "light") -> str:
    text = "\n\n".join(sentence(rng) * 3 for _ in range(2))
    tags = sorted(rng.sample(["SGD", "动量", "梯度", "Adam", "学习率"], 2))
    return f"""---
title: 合成问题 {i}
question: 第 {i} 个合成问题
answer: 第 {i} 个合成回答。
torch_min: '2.0'
tags: [{", ".join(tags)}]
keywords: [page{i}, 合成]
---

# 合成问题 {i}

## 问题

> 第 {i} 个合成问题？

## 简短回答

{text}

## 动手跑一遍

```python
import torch

--8<-- "snippets/scale.py:step"

torch.manual_seed({i})
w = torch.randn(4, requires_grad=True)
```

## 在提示框和标签页里走五步

{sentence(rng)}

!!! note "在提示框里"
    ```python
    for _ in range(5):
        loss = (w**2).sum()
        loss.backward()
        step([w], 0.1)
    assert w.grad.abs().sum() == 0
    ```

=== "标签页"

    ```python
    assert torch.isfinite(w).all()
    ```

## 打印的损失不小于 0

{sentence(rng)}

```python
print(round(float((w**2).sum()), 4) >= 0)
```

```output
True
```
""" + (TRAINING.format(i=i) if weight == "d2l" else "") + f"""
## 常见误区

- {sentence(rng)}

## 参考

- [torch.optim](https://pytorch.org/docs/stable/optim.html)
"""


def make_site(root: Path, n: int, weight: str = "light", section: int = 50, harness: Path = ROOT) -> None:
    rng = random.Random(n)
    config = (harness / "mkdocs.yml").read_text("utf-8").split("\nnav:")[0]
    section = section or n
    nav = "\n".join(
        f"  - 合成 {k // section + 1:02d}:\n"
        + "\n".join(f"      - 合成问题 {i}: qa/page-{i:04d}.md" for i in range(k, min(n, k + section)))
        for k in range(0, n, section)
    )
    (root / "mkdocs.yml").write_text(f"{config}\nnav:\n  - 首页: index.md\n{nav}\n", "utf-8")
    shutil.copy(harness / "jieba_userdict.txt", root)
    shutil.copytree(harness / "hooks", root / "hooks")
    if (harness / "overrides").is_dir():  # theme.custom_dir: the search box asks the site's own worker
        shutil.copytree(harness / "overrides", root / "overrides")
    for asset in ("assets", "stylesheets"):  # the search worker and its index's glossary
        if (harness / "docs" / asset).is_dir():
            shutil.copytree(harness / "docs" / asset, root / "docs" / asset)
    if (harness / "docs" / "glossary.yml").is_file():
        (root / "docs").mkdir(parents=True, exist_ok=True)
        shutil.copy(harness / "docs" / "glossary.yml", root / "docs")
    (root / "snippets").mkdir()
    (root / "snippets" / "scale.py").write_text(SNIPPET, "utf-8")
    (root / "docs" / "qa").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# 合成知识库\n", "utf-8")
    for i in range(n):
        (root / "docs" / "qa" / f"page-{i:04d}.md").write_text(page(i, rng, weight), "utf-8")
    shutil.copy(harness / "pyproject.toml", root)  # the real pytest options, plugins included


def timed(cmd, root: Path, env: dict, repeat: int = 1) -> float:
    """Best of `repeat` runs: the least disturbed by whatever else the machine did."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return best


def plain_script(root: Path) -> Path:
    """Every page's blocks (includes expanded, as the tests run them) in one script."""
    from engine.parser import read_page

    sources = []
    for path in sorted((root / "docs").rglob("*.md")):
        blocks = read_page(path, root, root / "mkdocs.yml").blocks
        sources.append("\n".join(b.source for b in blocks))
    script = root / "plain.py"
    script.write_text(
        "import contextlib, io, torch\n"
        f"SOURCES = {json.dumps(sources, ensure_ascii=False)}\n"
        "for source in SOURCES:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        exec(compile(source, 'page', 'exec'), {'__name__': '__main__'})\n",
        "utf-8",
    )
    return script


def search_latency(site: Path) -> tuple[float, float]:
    from benchmarks.search import MEASURE_JS
    from tests.browser import Reader, chromium, serve

    queries = ["梯度", "学习率 动量", "page7", "step", "合成问题", "清零梯度", "torch.no_grad", "优化器 参数"]
    with serve(site) as url, chromium() as browser:
        reader = Reader(browser, url)
        reader.open()
        reader.page.click(".md-search__input")
        reader.page.evaluate(MEASURE_JS, "梯度")  # loads the index
        times = [reader.page.evaluate(MEASURE_JS, q) for q in queries]
    return statistics.median(times), max(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--weights", nargs="+", choices=list(BLOCKS), default=list(BLOCKS))
    parser.add_argument("--nav-section", type=int, default=50, help="pages per nav section; 0: one section")
    parser.add_argument("--harness", type=Path, default=ROOT, help="checkout whose harness is measured")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers for the parallel column")
    parser.add_argument("--no-site", action="store_true", help="doc tests only: no build, index or search")
    parser.add_argument("--site-only", action="store_true", help="build, index and search only: no doc tests")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    harness = args.harness.resolve()
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(harness), os.environ.get("PYTHONPATH")])),
    }
    from benchmarks.search import machine

    try:
        commit = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=harness, capture_output=True, text=True)
        commit = commit.stdout.strip() or "a copy without git history"
    except OSError:  # no git on this machine
        commit = "a copy without git history"
    lines = [
        f"machine: {machine()}, {time.strftime('%Y-%m-%d')}",
        f"harness: {commit[:90]}; nav: {args.nav_section or 'one section of all'} pages per section; "
        "times: best of 3 runs up to 500 blocks, else one run",
        "",
        f"| pages | weight | blocks | doc tests serial | -n {args.workers} | speed-up | plain script | overhead | "
        "build --strict | index | search median / worst |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in args.pages:
        for weight in args.weights:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                make_site(root, n, weight, args.nav_section, harness)
                pytest = [sys.executable, "-m", "pytest", "-q", "docs", "-k", "not cuda"]
                repeat = 3 if n * BLOCKS[weight] <= 500 else 1
                if args.site_only:
                    serial = parallel = plain = float("nan")
                else:
                    serial = timed(pytest, root, env, repeat)
                    parallel = timed([*pytest, "-n", str(args.workers), "--dist", "loadfile"], root, env, repeat)
                    plain = timed([sys.executable, str(plain_script(root))], root, env, repeat)
                site = "— | — | —"
                if not args.no_site:
                    build = timed([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", "site"], root, env)
                    index = (root / "site" / "search" / "search_index.json").stat().st_size
                    median, worst = search_latency(root / "site")
                    site = f"{build:.1f} s | {index / 1024:.0f} KiB | {median:.0f} / {worst:.0f} ms"
            row = (
                f"| {n} | {weight} | {BLOCKS[weight] * n} | {serial:.1f} s | {parallel:.1f} s | "
                f"{serial / parallel:.2f}x | {plain:.1f} s | {serial / plain:.2f}x | {site} |"
            )
            lines.append(row)
            print(row, flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
