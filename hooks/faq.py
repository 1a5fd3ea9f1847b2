"""MkDocs hook: fill the FAQ index from the pages' own front matter.

docs/faq.md holds the marker `<!-- faq-index -->`; each page under docs/qa/ gives
`title` and `answer` (one line). The index is rebuilt on every build (also by
`mkdocs serve`), so it cannot drift from the pages.
"""

import posixpath

from mkdocs.utils.meta import get_data

MARKER = "<!-- faq-index -->"


def on_page_markdown(markdown, page, files, **kwargs):
    if MARKER not in markdown:
        return markdown
    rows = []
    for f in files.documentation_pages():
        if not f.src_uri.startswith("qa/"):
            continue
        _, meta = get_data(f.content_string)
        for field in ("title", "answer"):
            if not str(meta.get(field, "")).strip():
                raise ValueError(f"docs/{f.src_uri}: front matter needs `{field}:` for the FAQ index")
        link = posixpath.relpath(f.src_uri, posixpath.dirname(page.file.src_uri) or ".")
        rows.append(f"- **[{meta['title']}]({link})**  \n  {meta['answer']}")
    return markdown.replace(MARKER, "\n".join(sorted(rows)))
