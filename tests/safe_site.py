"""Helpers for tests/test_safe_html.py: a small site with this repo's configuration and
hooks, built in a temporary folder, and the check every built site must pass (no
event-handler attribute, no `javascript:` URL, no frame or plugin element, no script
the theme did not put there)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
SCRIPT_URL = re.compile(r"^\s*(?:javascript|vbscript|data\s*:\s*text/html)", re.IGNORECASE)
BASE = re.compile(r'"(?:\.\.(?:/\.\.)*|\.|/)"')  # a page's relative root in the theme's inline scripts
ROOTED = re.compile(r'(?<=["\s])(?:(?:\.\./)+|/)(?=assets/)')


def _normalise(text: str) -> str:
    """The same theme script on pages at different depths: `"../.."`, `"."`, `"/"` -> `"BASE"`."""
    return ROOTED.sub("", BASE.sub('"BASE"', text))


def script_key(el) -> tuple:
    src = el.get("src")
    attrs = tuple(sorted((k, v) for k, v in el.attrs.items() if k != "src"))
    if src is not None:
        return ("src", re.sub(r"^(?:(?:\.\./)+|/)", "", src), attrs)
    return ("inline", _normalise(el.string or ""), attrs)


def theme_scripts(site: Path) -> set[tuple]:
    """The scripts of the theme's own 404 page, which has no page content: the only
    scripts any page may carry (loaded from assets/javascripts/, or the theme's inline ones)."""
    soup = BeautifulSoup((site / "404.html").read_text("utf-8"), "html.parser")
    keys = {script_key(el) for el in soup.find_all("script")}
    bad = [k for k in keys if k[0] == "src" and not k[1].startswith("assets/javascripts/")]
    assert not bad, f"404.html loads scripts from outside assets/javascripts/: {bad}"
    return keys


def _is_script_url(value: str) -> bool:
    # Browsers ignore ASCII whitespace and control characters inside a URL's scheme.
    return bool(SCRIPT_URL.match(re.sub(r"[\x00-\x20]", "", value)))


def unsafe_markup(site: Path) -> list[str]:
    """Every event-handler attribute, script URL, frame or plugin element and foreign
    script in the built site, as `page: what`."""
    allowed = theme_scripts(site)
    problems = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
        for el in soup.find_all(True):
            for name, value in el.attrs.items():
                values = value if isinstance(value, list) else [value]
                if name.lower().startswith("on"):
                    problems.append(f"{rel}: <{el.name} {name}=...> event handler")
                elif any(_is_script_url(str(v)) for v in values):
                    problems.append(f"{rel}: <{el.name} {name}={str(value)[:40]!r}> script URL")
                elif name.lower() == "style" and "expression(" in str(value).lower():
                    problems.append(f"{rel}: <{el.name} style=expression(...)>")
            if el.name in FORBIDDEN_TAGS:
                problems.append(f"{rel}: <{el.name}> element")
            if el.name == "script" and script_key(el) not in allowed:
                problems.append(f"{rel}: <script> the theme did not put there: {str(el)[:80]!r}")
    return problems


def make_site(folder: Path, pages: dict[str, str], nav: str, *, hooks_off: tuple[str, ...] = ()) -> Path:
    """A site in `folder` with this repo's mkdocs.yml (its nav replaced by `nav`), hooks
    and assets; `hooks_off` leaves hooks out (to show what they prevent)."""
    config = (REPO / "mkdocs.yml").read_text("utf-8").split("\nnav:")[0]
    for hook in hooks_off:
        config = re.sub(rf"\n  - hooks/{re.escape(hook)}\b[^\n]*", "", config)
    (folder / "mkdocs.yml").write_text(config + "\nnav:\n" + textwrap.dedent(nav), "utf-8")
    shutil.copy(REPO / "jieba_userdict.txt", folder)
    shutil.copytree(REPO / "hooks", folder / "hooks")
    for asset in ("assets", "stylesheets"):
        shutil.copytree(REPO / "docs" / asset, folder / "docs" / asset)
    if (REPO / "overrides").is_dir():
        shutil.copytree(REPO / "overrides", folder / "overrides")
    (folder / "snippets").mkdir(exist_ok=True)
    for name, text in pages.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return folder


def build(folder: Path, *, strict: bool = False) -> subprocess.CompletedProcess:
    """`mkdocs build` of `folder` into folder/site (the engine package from this repo)."""
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict" if strict else "--no-strict", "-d", "site"]
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=env)
