"""The site's configuration, read in one place: mkdocs.yml (docs_dir, the snippets
preprocessor, nav) and the engine's options in pyproject.toml."""

from __future__ import annotations

import functools
import tomllib
import types
from pathlib import Path

import markdown
import yaml
from mkdocs.utils.yaml import get_yaml_loader

SNIPPETS = "pymdownx.snippets"


class ConfigError(Exception):
    pass


@functools.cache
def mkdocs_yml(config_file: Path) -> dict:
    """mkdocs.yml as MkDocs' own YAML loader reads it (`!ENV`, `!relative` if a copy uses them);
    validating the whole config (theme, plugins, hooks) would cost 0.4 s per run."""
    config = types.SimpleNamespace(config_file_path=str(config_file))
    return yaml.load(config_file.read_text("utf-8"), Loader=get_yaml_loader(config=config)) or {}


def docs_dir(config_file: Path) -> Path:
    return config_file.parent / str(mkdocs_yml(config_file).get("docs_dir", "docs"))


def nav(config_file: Path) -> list:
    return mkdocs_yml(config_file).get("nav") or []


@functools.cache
def snippet_preprocessor(config_file: Path):
    """The `pymdownx.snippets` preprocessor with the options mkdocs.yml gives it."""
    for ext in mkdocs_yml(config_file).get("markdown_extensions") or []:
        if ext == SNIPPETS or (isinstance(ext, dict) and SNIPPETS in ext):
            options = dict((ext[SNIPPETS] if isinstance(ext, dict) else None) or {})
            # The build resolves relative base paths from the folder it runs in (the repository
            # root); the doc tests may run from anywhere: resolve them from mkdocs.yml's folder.
            base = options.get("base_path", ["."])
            options["base_path"] = [str(config_file.parent / p) for p in ([base] if isinstance(base, str) else base)]
            md = markdown.Markdown(extensions=[SNIPPETS], extension_configs={SNIPPETS: options})
            return md.preprocessors["snippet"]
    raise ConfigError(f"{config_file.name}: {SNIPPETS} is not in markdown_extensions, so includes cannot be expanded")


@functools.cache
def pyproject_options(root: Path) -> dict:
    """[tool.pytest.ini_options] of the site's pyproject.toml (the hooks read it too)."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return data.get("tool", {}).get("pytest", {}).get("ini_options", {})


def parse_size(text: str | None) -> int | None:
    """'16G', '512M', 'none' -> bytes or None."""
    if text is None:
        return None
    text = str(text).strip().lower()
    if text in ("", "none", "0", "off"):
        return None
    units = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
    if text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def pinned_torch(root: Path) -> str | None:
    """The torch the pages' outputs are written for: `torch==X` in requirements.txt."""
    try:
        lines = (root / "requirements.txt").read_text("utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep and name.strip().lower() == "torch":
            return version.strip()
    return None
