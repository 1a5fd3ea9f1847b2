"""MkDocs hook: what the site derives from the Q&A pages' front matter.

- The FAQ index: a page holding `<!-- faq-index -->` gets every page under docs/qa/,
  grouped by its section in `nav` (mkdocs.yml), with its one-line `answer`. A Q&A page
  missing from `nav` fails the build, naming the file. Rebuilt on every build, so the
  index cannot drift from the pages.
- Search aliases: a page's `keywords` are shown under its title ("关键词"), so the
  search index holds them in the page's first section and a hit lands on the page.
- Front-matter text is escaped where it is placed into Markdown here; hooks/sanitize.py
  escapes what the theme prints and limits the pages' HTML to an allowlist.
- `??? info helpers` blocks (helper code repeated across pages) stay out of search.
"""

import posixpath
import re

from markupsafe import escape
from mkdocs.utils.meta import get_data

from engine.sanitize import escape_markdown_text

MARKER = "<!-- faq-index -->"
HELPERS = re.compile(r'<details class="([^"]*\bhelpers\b[^"]*)"')


def nav_pages(nav, section=None):
    """Yield (innermost section title, page path) for every page in the nav tree
    (tests/test_style.py walks nav with it too)."""
    for entry in nav or []:
        if isinstance(entry, str):
            yield section, entry
            continue
        for title, value in entry.items():
            if isinstance(value, list):
                yield from nav_pages(value, title)
            else:
                yield section, value


def on_page_markdown(markdown, page, config, files, **kwargs):
    keywords = page.meta.get("keywords") if page.file.src_uri.startswith("qa/") else None
    if keywords:  # after the page's first line, its `# title`: the page's own search entry
        title, _, rest = markdown.partition("\n")
        words = " · ".join(f"<code>{escape(k)}</code>" for k in keywords)  # escaped once: hooks/sanitize.py
        markdown = f'{title}\n\n<p class="qa-keywords">关键词：{words}</p>\n{rest}'
    if MARKER not in markdown:
        return markdown
    qa_files = {f.src_uri: f for f in files.documentation_pages() if f.src_uri.startswith("qa/")}
    missing = sorted(set(qa_files) - {path for _, path in nav_pages(config.nav)})
    if missing:
        raise ValueError(f"docs/{missing[0]} is not in mkdocs.yml `nav`: add it under a section such as 手写优化器")
    groups: dict[str, list[str]] = {}
    for section, path in nav_pages(config.nav):  # nav order, grouped by nav section
        if path not in qa_files:
            continue
        _, meta = get_data(qa_files[path].content_string)
        for field in ("title", "answer"):
            if not str(meta.get(field, "")).strip():
                raise ValueError(f"docs/{path}: front matter needs `{field}:` for the FAQ index")
        link = posixpath.relpath(path, posixpath.dirname(page.file.src_uri) or ".")
        # Front matter from the file as written: text, never markup (engine/sanitize.py).
        title, answer = escape_markdown_text(meta["title"]), escape_markdown_text(meta["answer"])
        tags = " · ".join(escape_markdown_text(t) for t in meta.get("tags", []))
        groups.setdefault(section or "其他", []).append(
            f"- **[{title}]({link})**" + (f" <small>{tags}</small>" if tags else "") + f"  \n  {answer}"
        )
    listing = "\n\n".join(f"### {section}\n\n" + "\n".join(rows) for section, rows in groups.items())
    return markdown.replace(MARKER, listing)


def on_page_content(html, page, **kwargs):
    """`??? info helpers "..."` blocks repeat the same helper code on many pages: keep them
    out of the search index, or every page would match every identifier in them."""
    return HELPERS.sub(r'<details class="\1" data-search-exclude', html)
