"""MkDocs hook: safe HTML (engine/sanitize.py). Front matter that reaches the HTML is
escaped before any other hook or plugin reads it; each page's rendered content passes
through the nh3 allowlist after every other hook has added to it, and anything the
sanitizer removes is a warning naming the page (so `build --strict` fails on it).
hooks/csp.py adds a Content-Security-Policy to every page as a second line of defence."""

import logging

from markupsafe import Markup
from mkdocs.plugins import event_priority

from engine.sanitize import escape_front_matter, escape_nav_titles, escape_text, removed_markup, sanitize_html

log = logging.getLogger("mkdocs.hooks.sanitize")


def on_nav(nav, **kwargs):
    escape_nav_titles(nav.items)
    return nav


@event_priority(100)  # before the tags and search plugins and the other hooks read page.meta
def on_page_markdown(markdown, page, **kwargs):
    page.meta = escape_front_matter(page.meta)
    return markdown


@event_priority(-100)  # after the hooks that write HTML (badges, the report table; MathML comes earlier)
def on_page_content(html, page, **kwargs):
    clean = sanitize_html(html)
    removed = removed_markup(html, clean)
    if removed:
        log.warning(f"docs/{page.file.src_uri}: raw HTML the site does not allow was removed: {', '.join(removed)}")
    if "title" not in page.meta and page.title:  # a title taken from the page's first heading
        page.meta["title"] = escape_text(Markup(page.title).striptags())
    return clean
