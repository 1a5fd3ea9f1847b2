"""Scale benchmark: synthetic knowledge bases of 10, 100 and 1,000 Q&A pages.

    .venv/bin/python benchmarks/scale.py [--pages 10 100 1000] [--out benchmarks/results/scale.md]

Each page looks like a real one: front matter, Chinese text under several headings,
four Python blocks (one in an admonition, one in a content tab, one with a snippet
include), tags and keywords. Per size it measures, on this machine:
  doc tests   pytest over every page (CPU items), serial and with pytest-xdist -n 2;
  plain       the same blocks run as one plain Python script (the floor);
  build       mkdocs build --strict;
  index       search_index.json size;
  search      query latency in Chromium (median and worst of 8 queries).
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
sys.path.insert(0, str(ROOT))

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


def page(i: int, rng: random.Random) -> str:
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

## 简短回答

{text}

```python
import torch

--8<-- "snippets/scale.py:step"

torch.manual_seed({i})
w = torch.randn(4, requires_grad=True)
```

## 证据 1

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

## 证据 2

{sentence(rng)}

```python
print(round(float((w**2).sum()), 4) >= 0)
```

```output
True
```
"""


def make_site(root: Path, n: int) -> None:
    rng = random.Random(n)
    config = (ROOT / "mkdocs.yml").read_text("utf-8").split("\nnav:")[0]
    nav = "\n".join(f"      - 合成问题 {i}: qa/page-{i:04d}.md" for i in range(n))
    (root / "mkdocs.yml").write_text(f"{config}\nnav:\n  - 首页: index.md\n  - 合成:\n{nav}\n", "utf-8")
    shutil.copy(ROOT / "jieba_userdict.txt", root)
    shutil.copytree(ROOT / "hooks", root / "hooks")
    (root / "snippets").mkdir()
    (root / "snippets" / "scale.py").write_text(SNIPPET, "utf-8")
    (root / "docs" / "qa").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# 合成知识库\n", "utf-8")
    for i in range(n):
        (root / "docs" / "qa" / f"page-{i:04d}.md").write_text(page(i, rng), "utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = ["-p", "tests.page_runner", "-p", "no:cacheprovider"]\n'
        'doc_report = "verification/local.json"\n',
        "utf-8",
    )


def timed(cmd, root: Path, env: dict) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return elapsed


def plain_script(root: Path) -> Path:
    """Every page's blocks (includes expanded, as the tests run them) in one script."""
    from tests.page_parser import read_page

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
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    from benchmarks.search import machine

    lines = [
        f"machine: {machine()}, {time.strftime('%Y-%m-%d')}",
        "",
        "| pages | blocks | doc tests serial | doc tests -n 2 | plain script | overhead | build --strict | "
        "index | search median / worst |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in args.pages:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_site(root, n)
            pytest = [sys.executable, "-m", "pytest", "-q", "docs", "-k", "not cuda"]
            serial = timed(pytest, root, env)
            parallel = timed([*pytest, "-n", "2", "--dist", "loadfile"], root, env)
            plain = timed([sys.executable, str(plain_script(root))], root, env)
            build = timed([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", "site"], root, env)
            index = (root / "site" / "search" / "search_index.json").stat().st_size
            median, worst = search_latency(root / "site")
        row = (
            f"| {n} | {4 * n} | {serial:.1f} s | {parallel:.1f} s | {plain:.1f} s | {serial / plain:.2f}x | "
            f"{build:.1f} s | {index / 1024:.0f} KiB | {median:.0f} / {worst:.0f} ms |"
        )
        lines.append(row)
        print(row, flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
