"""MkDocs hook: show on each page what the doc tests verified, and never more.

A thin wrapper around engine.badges: the trusted reports (engine.report.trusted_reports:
verification/local.json and the committed reports listed with their sha256 in
verification/trusted.toml) decide each page's badge; docs/verification.md's marker gets
the full table, with where each run came from.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

from engine import badges

MARKER = "<!-- verification-report -->"
state = badges.State()


def on_config(config, **kwargs):
    state.load(Path(config.config_file_path).parent)
    return config


def on_files(files, config):
    """Each Q&A page's notebook and script, next to the page (qa/NAME.ipynb, qa/NAME.py)."""
    config_file = Path(config.config_file_path)
    drawn = (f for f in files if f.src_uri.startswith("assets/figures/") and f.src_uri.endswith(".svg"))
    figures = {f.src_uri: f.content_string for f in drawn}
    found = state.downloads(config_file, Path(config.docs_dir), config.site_url or "", figures)
    for path, content in found.items():
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown, page, config, files, **kwargs):
    link = "verification.md" if files.get_file_from_path("verification.md") is not None else ""
    source, config_file = Path(page.file.abs_src_path), Path(config.config_file_path)
    return state.page_markdown(markdown, source, config_file, page.file.src_uri, link)


def on_post_page(output, page, **kwargs):
    # After every page has been read, so the table covers them all.
    return output.replace(MARKER, state.report_table()) if MARKER in output else output


def on_post_build(config, **kwargs):
    state.warn_stale()
