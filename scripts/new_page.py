"""Create a Q&A page from the template: docs/qa/SLUG.md, snippets/SLUG.py, and its
entry in mkdocs.yml `nav` (the FAQ index follows nav). Then fill in every TODO:
`make test` lists the ones left, with their lines.

    .venv/bin/python scripts/new_page.py SLUG --title "..." --question "..." [--section 手写优化器]
    make page SLUG=adam-explained TITLE="解释 adam" QUESTION="..." SECTION=手写优化器
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PAGE = """---
title: "{title}"
question: "{question}"
answer: "TODO: 一句话回答，会出现在问题索引里"
torch_min: '2.0'
description: "TODO: 一两句话的摘要"
tags:
  - TODO
keywords:
  - TODO
---

# {title}

## 问题

> {question}

```python linenums="1"
--8<-- "snippets/{module}.py:question"
```

## 简短回答

TODO: 先用 2～4 句话回答，再展开细节。

## 逐行解释

| 行 | 做了什么 |
| --- | --- |
| 1 | TODO |

## 动手跑一遍

```python
import torch

torch.manual_seed(0)
print(torch.ones(2))
```

```output
```

## TODO 小标题说出这一节证明了什么

TODO 每个结论一段能运行、能失败的代码。

## 常见误区

- TODO

## 参考

- PyTorch 文档：TODO
"""

SNIPPET = '''"""Functions shown on docs/qa/{slug}.md."""

import torch


# --8<-- [start:question]
def question(params):
    """TODO: 换成提问里的代码，一字不改。"""
    return torch.zeros(1)
# --8<-- [end:question]
'''


def add_to_nav(config: str, section: str, title: str, path: str) -> str:
    """Insert `- title: path` as the last entry of nav section `section` (created if absent)."""
    lines = config.rstrip("\n").split("\n")
    entry = f"      - {title}: {path}"
    for i, line in enumerate(lines):
        if re.fullmatch(rf"  - {re.escape(section)}:\s*", line):
            end = i + 1
            while end < len(lines) and lines[end].startswith("      "):
                end += 1
            lines.insert(end, entry)
            return "\n".join(lines) + "\n"
    if not any(line.startswith("nav:") for line in lines):
        raise SystemExit("mkdocs.yml has no `nav:`")
    return "\n".join(lines + [f"  - {section}:", entry]) + "\n"  # nav is the last key of mkdocs.yml


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slug", help="file name, lowercase with hyphens, e.g. adam-explained")
    parser.add_argument("--title", required=True, help="page title, e.g. 解释 adam(params, states, hyperparams)")
    parser.add_argument("--question", required=True, help="the question as the reader asked it")
    parser.add_argument("--section", default="手写优化器", help="nav section (and FAQ group)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", args.slug):
        parser.error(f"slug {args.slug!r}: use lowercase letters, digits and hyphens")
    module = args.slug.replace("-", "_")
    page = args.root / "docs" / "qa" / f"{args.slug}.md"
    snippet = args.root / "snippets" / f"{module}.py"
    for path in (page, snippet):
        if path.exists():
            parser.error(f"{path.relative_to(args.root)} exists already")
    page.write_text(PAGE.format(title=args.title, question=args.question, module=module), "utf-8")
    snippet.write_text(SNIPPET.format(slug=args.slug), "utf-8")
    config = args.root / "mkdocs.yml"
    config.write_text(add_to_nav(config.read_text("utf-8"), args.section, args.title, f"qa/{args.slug}.md"), "utf-8")
    for path in (page, snippet, config):
        print(f"wrote {path.relative_to(args.root)}")
    print(f"next: fill in the TODOs, then  .venv/bin/python -m pytest docs/qa/{args.slug}.md --update-output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
