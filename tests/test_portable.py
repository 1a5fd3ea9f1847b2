"""A site other generators can build (issue 15, "Portable build"): MathML is a Markdown
extension, not an MkDocs hook; mkdocs.yml uses no MkDocs-only YAML tag (`!relative`);
the checker of a built site (scripts/check_site.py) that CI runs on the ProperDocs build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
import yaml

from engine.config import mkdocs_yml, snippet_preprocessor
from engine.mathml import MathMLError, to_mathml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mkdocs.yml"


def extension_names(config: dict) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else e for e in config.get("markdown_extensions") or []]


# --- MathML -----------------------------------------------------------------------


def convert(text: str) -> str:
    arithmatex = {"pymdownx.arithmatex": {"generic": True}}
    md = markdown.Markdown(extensions=[*arithmatex, "engine.mathml"], extension_configs=arithmatex)
    return md.convert(text)


def test_mathml_is_a_markdown_extension_not_a_hook():
    """Zensical skips MkDocs hooks but runs Markdown extensions: MathML must be one."""
    config = mkdocs_yml(CONFIG)
    names = extension_names(config)
    assert "engine.mathml" in names, "engine.mathml is not in mkdocs.yml's markdown_extensions"
    assert names.index("engine.mathml") > names.index("pymdownx.arithmatex"), "engine.mathml must follow arithmatex"
    assert not [h for h in config.get("hooks") or [] if "mathml" in h], "MathML is still an MkDocs hook"
    assert not (ROOT / "hooks" / "mathml.py").exists()


def test_mathml_extension_converts_inline_and_block_formulas():
    html = convert("Inline $x_t^2 < \\eta$ and a block:\n\n$$\n\\frac{a}{b}\n$$\n")
    assert '<span class="arithmatex"><math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert '<div class="arithmatex"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html
    assert "<mo>&#x0003C;</mo>" in html and "<mfrac>" in html  # `<` unescaped before conversion, escaped in MathML
    assert "\\(" not in html and "\\[" not in html, html


def test_a_formula_latex2mathml_cannot_read_fails_naming_it():
    with pytest.raises(MathMLError, match=r"cannot convert formula 'x\^' to MathML"):
        convert("broken: $x^$ here")
    assert to_mathml("<p>no formula</p>") == "<p>no formula</p>"


def test_a_bad_formula_fails_the_build_naming_the_page(tmp_path):
    """Through MkDocs (any generator that runs Markdown extensions): the build stops,
    the log names the page and the formula."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# ok\n\n$a+b$\n", "utf-8")
    (tmp_path / "docs" / "bad.md").write_text("# bad\n\n$$\n\\frac{1}{\n$$\n", "utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nmarkdown_extensions:\n  - pymdownx.arithmatex: {generic: true}\n  - engine.mathml\n", "utf-8"
    )
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    assert "Error reading page 'bad.md': cannot convert formula '\\\\frac{1}{' to MathML" in log, log


# --- no !relative -----------------------------------------------------------------


def yaml_tags(text: str) -> list[str]:
    return [t.value[0] + t.value[1] for t in yaml.scan(text) if isinstance(t, yaml.TagToken)]


def test_mkdocs_yml_uses_no_mkdocs_only_yaml_tag():
    """Zensical rejects `!relative` (and any local `!tag` MkDocs' loader defines); only
    standard `!!python/...` tags, which Python-YAML-based generators all read, are left."""
    local = [t for t in yaml_tags(CONFIG.read_text("utf-8")) if not t.startswith("!!")]
    assert not local, f"mkdocs.yml uses {local}: generators other than MkDocs reject them"
    assert "!relative" in yaml_tags("a: !relative $config_dir\n")  # the scan sees such tags


def test_includes_resolve_from_mkdocs_yml_wherever_the_doc_tests_run(tmp_path, monkeypatch):
    """The build resolves `base_path: [.]` from the folder it runs in (the repo root); the
    doc-test parser resolves it from mkdocs.yml's folder, so pytest may run from anywhere."""
    monkeypatch.chdir(tmp_path)
    snippet_preprocessor.cache_clear()
    try:
        snippets = snippet_preprocessor(CONFIG)
        assert [Path(p) for p in snippets.base_path] == [ROOT]
        lines = snippets.run(['--8<-- "snippets/linreg.py:data"'])
        assert lines and not any("--8<--" in line for line in lines), lines[:3]
    finally:
        snippet_preprocessor.cache_clear()


def test_build_output_unchanged_by_the_move(site):
    """The built site still has MathML (tests/test_site.py checks every formula) and the
    includes expanded: a page that includes a snippet shows its code."""
    page = (site / "qa" / "d2l-sgd.html").read_text("utf-8")
    assert "<math" in page and "--8&lt;--" not in page and "--8<--" not in page
