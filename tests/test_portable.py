"""A site other generators can build (issue 15, "Portable build"): MathML is a Markdown
extension, not an MkDocs hook; mkdocs.yml uses no MkDocs-only YAML tag (`!relative`);
the checker of a built site (scripts/check_site.py) that CI runs on the ProperDocs build."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
import yaml

from engine.config import mkdocs_yml, snippet_preprocessor
from engine.mathml import MathMLError, to_mathml
from engine.site_check import check_site, has_formula, main

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


# --- the built site is complete (engine/site_check.py; CI runs it on the ProperDocs build) ---


def test_site_check_passes_on_the_mkdocs_build(site):
    """The checker CI runs on the ProperDocs build, here on the MkDocs build the tests make."""
    problems, counts = check_site(site, ROOT / "docs")
    assert not problems, "\n".join(problems)
    qa = len(list((ROOT / "docs" / "qa").glob("*.md")))
    indexes = [p for p in (ROOT / "docs").rglob("*.md") if "<!-- faq-index -->" in p.read_text("utf-8")]
    assert counts["qa pages"] == counts["badges"] == qa and counts["downloads"] == 2 * qa
    assert indexes and counts["index links"] == len(indexes) * qa, counts
    assert counts["pages with formulas"] and counts["figures"], counts


def test_formula_detection_follows_arithmatex():
    assert has_formula("an update $w - \\eta g$ here") and has_formula("$$\nx\n$$") and has_formula("\\(x\\)")
    assert not has_formula("costs $5 and $6")  # no formula for arithmatex: a space before the closing $
    assert not has_formula("```python\nprint('$x$')\n```\n`$y$` and ~~~\n$$\n~~~\n")
    assert not has_formula("---\ntitle: '$x$'\n---\nplain")


def mutate(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    text = path.read_text("utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new), "utf-8")


def test_site_check_finds_what_a_generator_skipping_hooks_leaves_out(site, tmp_path, capsys):
    """What Zensical's build looks like (hooks skipped): each loss is reported."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    badge_page = "qa/d2l-sgd.html"
    mutate(copy, badge_page, 'class="qa-badge', 'class="gone')
    math_page = next(p for p in sorted(copy.glob("qa/*.html")) if "<math" in p.read_text("utf-8"))
    text = math_page.read_text("utf-8")
    math_page.write_text(re.sub(r"<math.*?</math>", r"\\(x\\)", text, flags=re.DOTALL), "utf-8")
    figure = next(copy.glob("assets/figures/*.svg"))
    figure.unlink()
    mutate(copy, "faq.html", 'href="qa/sgd-rebind-bug.html"', 'href="#"')
    (copy / "search" / "search_index.json").write_text('{"config": {}, "docs": []}', "utf-8")
    mutate(copy, "qa/grad-is-none.html", 'href="grad-is-none.ipynb"', 'href="#"')
    mutate(copy, "tags.html", '<meta http-equiv="Content-Security-Policy"', "<meta")
    problems, _ = check_site(copy, ROOT / "docs")
    text = "\n".join(problems)
    rel = math_page.relative_to(copy).as_posix()
    for expected in (
        f"{badge_page}: no verification badge",
        f"{rel}: the page has formulas but no MathML",
        f"{rel}: formula left as TeX: \\(x\\)",
        f"figure assets/figures/{figure.name} is not in the site",
        "faq.html: the question index does not link qa/sgd-rebind-bug.md",
        "search/search_index.json: not the site's own search index",
        "qa/grad-is-none.html: no download grad-is-none.ipynb",
        "tags.html: no Content-Security-Policy",
    ):
        assert expected in text, f"not reported: {expected}\n{text}"
    assert main([str(copy), "--docs", str(ROOT / "docs")]) == 1
    assert "no verification badge" in capsys.readouterr().out


# --- "edit this page" (Material's content.action.edit), once repo_url is set -----------------


def test_edit_action_points_at_the_page_source_once_repo_url_is_set(tmp_path):
    """mkdocs.yml holds the repository's address in one place, commented out with its
    edit_uri (the build passes without them: tests/test_site.py); uncommented, with a
    placeholder address, a Q&A page's edit button opens docs/qa/<page>.md. Built with
    mkdocs.yml's own theme features and those two lines, on a one-page site (the real
    build takes a minute)."""
    config = mkdocs_yml(CONFIG)
    assert "repo_url" not in config and "edit_uri" not in config, "leave them commented until the address is known"
    assert "content.action.edit" in config["theme"]["features"]
    commented = re.findall(r"^# ((?:repo_url|edit_uri): .*)$", CONFIG.read_text("utf-8"), re.MULTILINE)
    settings = yaml.safe_load("\n".join(commented)) or {}
    assert set(settings) == {"repo_url", "edit_uri"}, f"mkdocs.yml: no commented repo_url and edit_uri: {settings}"
    (tmp_path / "docs" / "qa").mkdir(parents=True)
    (tmp_path / "docs" / "qa" / "some-question.md").write_text("# 问题\n\n正文。\n", "utf-8")
    small = {
        "site_name": "t",
        "docs_dir": config.get("docs_dir", "docs"),
        "repo_url": "https://github.com/OWNER/REPO",  # the placeholder mkdocs.yml shows
        "edit_uri": settings["edit_uri"],
        "theme": {"name": config["theme"]["name"], "features": config["theme"]["features"], "language": "zh"},
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(small, allow_unicode=True), "utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (tmp_path / "site" / "qa" / "some-question" / "index.html").read_text("utf-8")
    edit = re.search(r'<a href="([^"]+)"[^>]*class="md-content__button md-icon"', html)
    assert edit, "no edit button on the page"
    assert settings["repo_url"] == small["repo_url"]
    assert edit[1] == "https://github.com/OWNER/REPO/edit/main/docs/qa/some-question.md", edit[1]
