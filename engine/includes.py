"""Which files a `--8<--` include may name.

A page may include only files tracked by git under `snippets/` or `benchmarks/results/`:
named by a relative path with no `..`, resolving (symlinks followed) to a regular file
inside one of those folders. So no `.git/config`, no file outside the repository through
a symlink or an absolute path, no file the reader cannot find in the repository.

- `check_include(name, root)`: the rule for one include; an error message or None.
- `unsafe_includes(lines, root)`: every include the snippet preprocessor would expand in
  these Markdown lines (inline and block notation, nested includes), each refused one
  as (0-based line, message). The doc-test parser and the site build both use it.
- `IncludeGuard`, a Markdown extension (`engine.includes` in mkdocs.yml; `root`, default `.`):
  runs just before `pymdownx.snippets` and stops the build on a refused include.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path, PurePosixPath

from markdown import Extension
from markdown.preprocessors import Preprocessor
from pymdownx.snippets import SnippetPreprocessor

ALLOWED_DIRS = ("snippets", "benchmarks/results")
RULE = "only files tracked by git under snippets/ or benchmarks/results/ may be included"
SYMLINK_MODE = "120000"


class UnsafeIncludeError(Exception):
    """A `--8<--` include that names a file pages may not include."""


def include_path(spec: str) -> str:
    """`snippets/a.py:section` or `snippets/a.py:3:5` -> `snippets/a.py` (as pymdownx.snippets splits it)."""
    m = SnippetPreprocessor.RE_SNIPPET_FILE.match(spec.strip())
    return (m.group(1) if m else spec).strip()


@functools.lru_cache(maxsize=8)
def _git_dir(root: Path) -> Path | None:
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"], cwd=root, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        return None
    return Path(proc.stdout.strip()) if proc.returncode == 0 else None


@functools.lru_cache(maxsize=8)
def _tracked_at(root: Path, index_mtime: int) -> dict[str, str]:
    """path (relative to root) -> git mode, for every tracked file under the allowed folders."""
    proc = subprocess.run(
        ["git", "ls-files", "-s", "-z", "--", *ALLOWED_DIRS], cwd=root, capture_output=True, check=True
    )
    files = {}
    for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if record:
            meta, _, path = record.partition("\t")
            files[path] = meta.split()[0]
    return files


def tracked_files(root: Path) -> dict[str, str] | None:
    """Tracked files under the allowed folders (path -> mode), or None when `root` is not in
    a git work tree (a site assembled in a temporary folder by the tests or benchmarks):
    then only the path rules apply. Re-read whenever git's index changes."""
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    index = git_dir / "index"
    return _tracked_at(root, index.stat().st_mtime_ns if index.exists() else 0)


def check_include(name: str, root: Path) -> str | None:
    """Why the include `name` (as written after `--8<--`, section or lines allowed) is refused, or None."""
    root = Path(root).resolve()
    path = include_path(name)
    if not path:
        return f"--8<-- {name!r}: empty path"
    if "://" in path:
        return f"--8<-- {name!r}: URLs are not allowed; {RULE}"
    if path.startswith(("/", "\\", "~")) or os.path.isabs(path) or (len(path) > 1 and path[1] == ":"):
        return f"--8<-- {name!r}: absolute paths are not allowed; {RULE}"
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if ".." in parts:
        return f"--8<-- {name!r}: `..` is not allowed; {RULE}"
    if ".git" in parts:
        return f"--8<-- {name!r}: files in .git/ are never included; {RULE}"
    posix = "/".join(p for p in parts if p != ".")
    folder = next((d for d in ALLOWED_DIRS if posix.startswith(d + "/")), None)
    if folder is None:
        return f"--8<-- {name!r}: not under snippets/ or benchmarks/results/; {RULE}"
    target = root / posix
    if not target.exists():
        return None  # pymdownx.snippets reports a missing file itself (check_paths)
    real = target.resolve()
    if real != root / posix or not real.is_relative_to(root / folder):
        return f"--8<-- {name!r}: a symlink (to {real}) is not allowed; {RULE}"
    if not real.is_file():
        return f"--8<-- {name!r}: not a regular file; {RULE}"
    tracked = tracked_files(root)
    if tracked is not None:
        if posix not in tracked:
            return f"--8<-- {name!r}: not tracked by git (`git add {posix}`); {RULE}"
        if tracked[posix] == SYMLINK_MODE:
            return f"--8<-- {name!r}: git tracks it as a symlink; {RULE}"
    return None


def _included_names(lines: list[str]):
    """(0-based line, name) of each include pymdownx.snippets would expand, in its notation:
    `--8<-- "name"` inline, or names one per line between two bare `--8<--` lines;
    `;--8<--` is escaped and a name starting with `;` is commented out."""
    block = False
    for n, line in enumerate(lines):
        m = SnippetPreprocessor.RE_ALL_SNIPPETS.match(line)
        if m:
            if m.group("escape"):
                continue
            if m.group("inline_marker"):
                if not block:
                    yield n, m.group("snippet")[1:-1].strip()
            else:
                block = not block
            continue
        if block:
            name = line.strip()
            if name and not name.startswith(";"):
                yield n, name


def unsafe_includes(lines: list[str], root: Path, _seen: frozenset[Path] = frozenset()) -> list[tuple[int, str]]:
    """Each refused include in `lines` as (0-based line, message); an allowed include's own
    includes are checked too (reported on the line that includes it)."""
    problems = []
    for n, name in _included_names(lines):
        error = check_include(name, root)
        if error:
            problems.append((n, error))
            continue
        target = (Path(root) / include_path(name)).resolve()
        if target.is_file() and target not in _seen:
            try:
                nested = target.read_text("utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue  # pymdownx.snippets reports what it cannot read
            for _, inner in unsafe_includes(nested, root, _seen | {target}):
                problems.append((n, f"{name.strip()!r} includes a file it may not: {inner}"))
    return problems


class _GuardPreprocessor(Preprocessor):
    def __init__(self, md, root: Path):
        super().__init__(md)
        self.root = root

    def run(self, lines):
        problems = unsafe_includes(lines, self.root)
        if problems:
            raise UnsafeIncludeError(
                "\n".join(f"line {n + 1} of the page's Markdown: {message}" for n, message in problems)
            )
        return lines


class IncludeGuard(Extension):
    def __init__(self, **kwargs):
        self.config = {"root": [".", "the folder include paths are relative to (pymdownx.snippets' base_path)"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # pymdownx.snippets registers its preprocessor at priority 32: run just before it.
        md.preprocessors.register(_GuardPreprocessor(md, Path(self.getConfig("root"))), "include_guard", 33)


def makeExtension(**kwargs):  # noqa: N802 (Python-Markdown's name)
    return IncludeGuard(**kwargs)
