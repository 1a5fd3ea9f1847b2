"""Isolation benchmark: is a fresh confined process per page slower than a plain run?

    .venv/bin/python -m benchmarks.isolation [--site real|scale] [--pages 1000] [--weight d2l]
        [--rounds 3] [--harness DIR] [--out benchmarks/results/isolation.md]

Two commands, alternated `--rounds` times (A B A B ...: a loaded machine slows both
alike), each round timed as wall-clock from start to exit; the table gives the medians:

  doc tests   `python -m pytest docs -q -k "not cuda" -p no:cacheprovider` (collection,
              every CPU block in its page's own process, output checks, report) with the
              report written to a temporary file, so verification/local.json is untouched;
  plain       the same blocks (includes expanded, data-notest blocks left out), run in ONE
              plain Python process page after page: each page in a fresh namespace, its
              stdout discarded, an exception ends that page (as a failure does in the tests).

--site real   this repository's docs/ (issue 12: doc tests at most 1.0x plain);
--site scale  benchmarks/scale.py's synthetic site of --pages pages of --weight (at most 1.5x
              for 1,000 d2l pages).
--harness DIR measures another checkout's engine (e.g. `git worktree add /tmp/old f2be2d7`)
              on the same pages: the before/after of the same machine.
Do not run it on a machine others are using: single timings there vary by 40% or more.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scale import make_site
from engine.parser import read_page

ROOT = Path(__file__).resolve().parent.parent


def plain_script(site: Path, out: Path) -> Path:
    """Every page's runnable blocks, in one script that runs the pages one after another."""
    pages = []
    for path in sorted((site / "docs").rglob("*.md")):
        blocks = read_page(path, site, site / "mkdocs.yml").blocks  # a rejected page: no benchmark
        sources = ["\n" * b.line + b.source for b in blocks if b.notest is None]
        if sources:
            pages.append([str(path.relative_to(site)), sources])
    out.write_text(
        "import contextlib, io, sys\n"
        "import torch\n"
        f"PAGES = {json.dumps(pages, ensure_ascii=False)}\n"
        "for name, sources in PAGES:\n"
        "    namespace = {'__name__': '__main__'}\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        for source in sources:\n"
        "            try:\n"
        "                exec(compile(source, name, 'exec'), namespace)\n"
        "            except Exception:\n"
        "                break\n",
        "utf-8",
    )
    return out


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:  # a failing page runs fewer blocks: its time would flatter
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return took


def main() -> None:
    cli = argparse.ArgumentParser()
    cli.add_argument("--site", choices=["real", "scale"], default="real")
    cli.add_argument("--pages", type=int, default=1000)
    cli.add_argument("--weight", choices=["light", "d2l"], default="d2l")
    cli.add_argument("--rounds", type=int, default=3)
    cli.add_argument("--harness", type=Path, default=ROOT, help="checkout whose engine is measured")
    cli.add_argument("--out", type=Path)
    args = cli.parse_args()
    harness = args.harness.resolve()
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(harness), os.environ.get("PYTHONPATH")])),
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.site == "real":
            site = tmp / "site"
            shutil.copytree(
                ROOT, site, ignore=shutil.ignore_patterns(".git", ".venv", "site", "verification", "__pycache__")
            )
            for name in ("pyproject.toml", "hooks", "tests"):  # the engine under test
                target = site / name
                shutil.rmtree(target) if target.is_dir() else target.unlink()
                (shutil.copytree if (harness / name).is_dir() else shutil.copy)(harness / name, target)
            what = f"this repository's docs/ ({len(list((site / 'docs').rglob('*.md')))} pages)"
        else:
            site = tmp / "site"
            site.mkdir()
            make_site(site, args.pages, args.weight, 50, harness)
            what = f"benchmarks/scale.py: {args.pages} {args.weight} pages"
        script = plain_script(site, tmp / "plain.py")
        tests = [sys.executable, "-m", "pytest", "docs", "-q", "-k", "not cuda", "-p", "no:cacheprovider"]
        tests += ["--doc-report", str(tmp / "report.json")]
        plain = [sys.executable, str(script)]
        times: dict[str, list[float]] = {"doc tests": [], "plain": []}
        for n in range(args.rounds):
            order = [("doc tests", tests), ("plain", plain)]
            for name, cmd in order if n % 2 == 0 else order[::-1]:
                times[name].append(timed(cmd, site, env))
                print(f"round {n + 1}: {name} {times[name][-1]:.1f} s", flush=True)
    doc, base = statistics.median(times["doc tests"]), statistics.median(times["plain"])
    try:
        commit = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=harness, capture_output=True, text=True)
        commit = commit.stdout.strip()[:80] or "?"
    except OSError:
        commit = "?"
    from benchmarks.search import machine

    lines = [
        f"machine: {machine()}, {time.strftime('%Y-%m-%d')}; engine: {commit}",
        f"site: {what}; {args.rounds} alternating rounds, medians",
        "",
        "| doc tests | same blocks, one plain process | ratio | every doc-test run | every plain run |",
        "| ---: | ---: | ---: | --- | --- |",
        f"| {doc:.1f} s | {base:.1f} s | {doc / base:.2f}x | "
        f"{', '.join(f'{t:.1f}' for t in times['doc tests'])} | {', '.join(f'{t:.1f}' for t in times['plain'])} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
