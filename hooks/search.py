"""MkDocs hook: the site's own search index (engine/search.py) and search worker.

Material's search plugin still writes search/search_index.json (its page and section
entries, what a result shows); after it, this hook adds the index that
docs/assets/javascripts/qa-search-worker.js ranks with (under `config.qa`), shortens the
entries' text, and points the theme at that worker (overrides/main.html). The offline
plugin then inlines the same file into search_index.js for file:// copies."""

import json
import os
from pathlib import Path

from engine.search import build

_meta: dict[str, dict] = {}


def on_pre_build(config, **kwargs):
    _meta.clear()


def on_page_markdown(markdown, page, **kwargs):
    _meta[page.url or "index.html"] = dict(page.meta)
    return markdown


def on_post_build(config, **kwargs):
    path = Path(config.site_dir) / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text("utf-8"))
    if os.environ.get("QA_SEARCH_DUMP"):  # benchmarks/search_segmenter.py: what the index is built from
        dump = {"docs": index["docs"], "meta": _meta}
        Path(os.environ["QA_SEARCH_DUMP"]).write_text(json.dumps(dump, ensure_ascii=False, default=str), "utf-8")
    built = build(index["docs"], _meta, Path(config.docs_dir) / "glossary.yml")
    index["docs"] = built["docs"]
    index["config"]["qa"] = built["qa"]
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
