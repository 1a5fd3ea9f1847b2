"""Includes (engine/includes.py): `--8<--` may name only files tracked by git under
snippets/ and benchmarks/results/. The rule on sample paths in a scratch repository
(fast), then the site build refusing `.git/config` named in a text fence."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from engine.includes import check_include, unsafe_includes
from tests.safe_site import build, make_site


def git(root: Path, *args: str):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A git repository with a tracked snippet, a tracked benchmark result, an untracked
    snippet, and a symlink in snippets/ pointing out of the repository."""
    root = tmp_path / "repo"
    (root / "snippets").mkdir(parents=True)
    (root / "benchmarks" / "results").mkdir(parents=True)
    (root / "snippets" / "ok.py").write_text("# --8<-- [start:f]\nx = 1\n# --8<-- [end:f]\n", "utf-8")
    (root / "benchmarks" / "results" / "r.md").write_text("result\n", "utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "page.md").write_text("# p\n", "utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n", "utf-8")
    git(root, "init", "-q")
    git(root, "add", "snippets/ok.py", "benchmarks/results/r.md", "docs/page.md")
    (root / "snippets" / "new.py").write_text("y = 2\n", "utf-8")  # not added
    os.symlink(secret, root / "snippets" / "leak.txt")
    return root


ALLOWED = ["snippets/ok.py", "snippets/ok.py:f", "snippets/ok.py:1:2", "./snippets/ok.py", "benchmarks/results/r.md"]


@pytest.mark.parametrize("name", ALLOWED)
def test_tracked_files_under_the_allowed_folders(repo, name):
    assert check_include(name, repo) is None


REFUSED = {
    ".git/config": "files in .git/",
    "snippets/../.git/config": "`..`",
    "../secret.txt": "`..`",
    "/etc/passwd": "absolute",
    "snippets/leak.txt": "symlink",
    "snippets/new.py": "not tracked by git",
    "docs/page.md": "not under snippets/ or benchmarks/results/",
    "mkdocs.yml": "not under snippets/ or benchmarks/results/",
    "https://example.org/x.py": "URLs",
}


@pytest.mark.parametrize("name", REFUSED, ids=REFUSED)
def test_refused(repo, name):
    error = check_include(name, repo)
    assert error and REFUSED[name] in error, error


def test_a_symlinked_folder_leading_out_is_refused(repo, tmp_path):
    os.symlink(tmp_path, repo / "snippets" / "up")
    assert "symlink" in check_include("snippets/up/secret.txt", repo)


def test_a_symlink_git_tracks_is_refused(repo):
    os.symlink("ok.py", repo / "snippets" / "alias.py")
    git(repo, "add", "snippets/alias.py")
    assert "symlink" in check_include("snippets/alias.py", repo)


def test_every_notation_pymdownx_snippets_reads_is_checked(repo):
    lines = [
        "```text",
        '--8<-- ".git/config"',  # inline, in a text fence: the snippet extension expands it anyway
        "```",
        ';--8<-- ".git/config"',  # escaped: shown as written, not included
        "--8<--",
        "snippets/ok.py",
        "; .git/config",  # commented out inside a block
        "../secret.txt",
        "--8<--",
        '-8<- "snippets/ok.py:f"',
    ]
    assert [n for n, _ in unsafe_includes(lines, repo)] == [1, 7]


def test_an_allowed_file_that_includes_a_refused_one_is_refused(repo):
    (repo / "snippets" / "outer.py").write_text('--8<-- ".git/config"\n', "utf-8")
    git(repo, "add", "snippets/outer.py")
    [(line, message)] = unsafe_includes(['--8<-- "snippets/outer.py"'], repo)
    assert line == 0 and "'snippets/outer.py' includes a file it may not" in message and ".git/" in message


def test_outside_a_git_work_tree_the_path_rules_still_apply(tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "a.py").write_text("a = 1\n", "utf-8")
    assert check_include("snippets/a.py", tmp_path) is None
    assert "`..`" in check_include("snippets/../mkdocs.yml", tmp_path)


def test_the_build_refuses_git_config_in_a_text_fence_naming_file_and_line(tmp_path):
    page = 'Leak:\n\n```text\n--8<-- ".git/config"\n```\n'
    folder = make_site(tmp_path, {"docs/index.md": "# Home\n", "docs/leak.md": page}, "  - index.md\n  - leak.md\n")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    proc = build(folder)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    assert "docs/leak.md:4: --8<-- '.git/config': files in .git/ are never included" in log, log
    leaked = folder / "site" / "leak.html"
    assert not leaked.exists() or "repositoryformatversion" not in leaked.read_text("utf-8")


def test_the_markdown_extension_refuses_what_other_hooks_generate(tmp_path):
    """A hook that writes an include into the Markdown passes the file check, not the extension."""
    from markdown import Markdown

    (tmp_path / "snippets").mkdir()
    md = Markdown(extensions=["engine.includes", "pymdownx.snippets"], extension_configs={
        "engine.includes": {"root": str(tmp_path)}, "pymdownx.snippets": {"base_path": [str(tmp_path)]}})  # fmt: skip
    with pytest.raises(Exception, match=r"line 2 of the page's Markdown: --8<-- '/etc/passwd': absolute"):
        md.convert('x\n--8<-- "/etc/passwd"\n')
