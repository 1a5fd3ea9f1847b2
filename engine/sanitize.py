"""Safe HTML: what a page, written by anyone who can open a pull request, may put on the site.

- `sanitize_html(html)`: a page's rendered content through `nh3` (the Rust `ammonia`
  sanitizer) with an allowlist of what the site's Markdown extensions produce: headings
  with permalinks, code blocks (line numbers, spans, titles, annotations), admonitions,
  details, content tabs, tables, footnotes, abbreviations, definition lists, images and
  figures (`#only-light`), MathML from engine/mathml.py, the badges. Everything else goes:
  `<script>`, `<style>`, `<iframe>`, `<object>`, `<embed>`, `<svg>`, forms, every `on*=`
  attribute, `style=` beyond text alignment, URLs other than relative, http(s) and mailto.
- `escape_front_matter(meta)`: the front-matter fields that reach the HTML (title,
  question, answer, description, tags, keywords) as escaped text. The theme's templates
  print them unescaped (`<title>`, `<meta name="description">`, header, tags, search index),
  so the values themselves are made safe, as `markupsafe.Markup` so that a template that
  does escape (`| e`) does not escape them twice.
- `with_content_security_policy(page_html, shim)`: the page with a CSP `<meta>` that lets
  run only scripts from the site itself and the theme's own inline scripts (by hash).
- `escape_markdown_text(text)`: a front-matter value placed into generated Markdown
  (the question index) as plain text: HTML escaped, and Markdown link/emphasis syntax too.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections import Counter

import nh3
from markupsafe import Markup

FRONT_MATTER_TEXT = ("title", "question", "answer", "description")
FRONT_MATTER_LISTS = ("tags", "keywords")

MATHML_TAGS = {
    "math", "semantics", "annotation", "annotation-xml", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
    "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mmultiscripts",
    "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr", "mstyle", "mpadded", "mphantom", "menclose",
    "merror", "maction",
}  # fmt: skip
MATHML_ATTRIBUTES = {
    "display", "xmlns", "mathvariant", "mathsize", "stretchy", "fence", "separator", "form", "lspace", "rspace",
    "maxsize", "minsize", "largeop", "movablelimits", "accent", "accentunder", "symmetric", "width", "height",
    "depth", "columnalign", "rowalign", "columnlines", "rowlines", "columnspacing", "rowspacing", "columnspan",
    "rowspan", "frame", "displaystyle", "scriptlevel", "notation", "linethickness", "open", "close",
    "separators", "encoding", "voffset", "align", "equalrows", "equalcolumns",
}  # fmt: skip

HTML_TAGS = {
    # text and structure
    # (no <article>: the theme's <article> delimits the page content for the CSP below)
    "p", "br", "hr", "div", "span", "section", "aside", "nav", "header", "footer", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small",
    "sub", "sup", "abbr", "cite", "q", "kbd", "samp", "var", "dfn", "time", "wbr",
    # lists, definition lists, tables
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "colgroup", "col",
    # code (pymdownx.highlight: line-number tables, spans, titles)
    "pre", "code",
    # admonitions are divs; details (???), content tabs (radio inputs and labels)
    "details", "summary", "input", "label",
    # images and figures
    "img", "figure", "figcaption", "picture", "source",
}  # fmt: skip

GLOBAL_ATTRIBUTES = {"id", "class", "title", "lang", "dir", "aria-label", "aria-hidden", "role", "tabindex"}
ATTRIBUTES = {
    "*": GLOBAL_ATTRIBUTES,
    "a": {"href", "name", "hreflang", "download"},  # download: the page's notebook and script
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "source": {"srcset", "media", "type", "sizes"},
    "details": {"open", "data-search-exclude"},
    "div": {"data-tabs", "data-notest", "data-torch", "data-search-exclude"},
    "input": {"checked", "disabled", "name"},
    "label": {"for"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "col": {"span"},
    "colgroup": {"span"},
    "abbr": set(),
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
    **{tag: MATHML_ATTRIBUTES for tag in MATHML_TAGS},
}
# Attributes allowed only with these values (kept out of ATTRIBUTES, as nh3 requires).
ATTRIBUTE_VALUES = {"input": {"type": {"radio", "checkbox"}}}
URL_SCHEMES = {"http", "https", "mailto"}
STYLE_PROPERTIES = {"text-align"}  # tables: `| :---: |` becomes style="text-align: center"
# Removed with everything inside them (not just the tags).
# Any other tag that is not allowed loses its tag and keeps its text.
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}


# A marker comment that a hook replaces after this one has run (`<!-- verification-report -->`,
# `<!-- material/tags -->`): kept through the sanitizer, which drops every other comment.
MARKER_COMMENT = re.compile(r"<!--\s*[\w/:.-]+\s*-->")
STASHED = re.compile("\ue000([0-9]+)\ue001")  # private-use characters around the marker's number


def sanitize_html(content: str) -> str:
    """A page's rendered HTML with only the allowlisted tags, attributes and URL schemes."""
    markers: list[str] = []

    def stash(m: re.Match) -> str:
        markers.append(m.group(0))
        return f"\ue000{len(markers) - 1}\ue001"

    clean = nh3.clean(
        MARKER_COMMENT.sub(stash, content),
        tags=HTML_TAGS | MATHML_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        tag_attribute_values=ATTRIBUTE_VALUES,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        link_rel=None,  # leave links as written: the site links to itself and to the PyTorch docs
        strip_comments=True,
    )
    # Only the markers stashed above come back (a number out of range stays as it is).
    return STASHED.sub(lambda m: markers[int(m[1])] if int(m[1]) < len(markers) else m.group(0), clean)


# A start tag and its attributes, tokenized as HTML does (attribute names end at space, `/`,
# `=` or `>`; values are quoted or end at space or `>`). Rendered Markdown writes `<` in
# text as `&lt;`, so each `<letter` is a tag. A regex: an HTML parser costs 20 ms a page.
START_TAG = re.compile(r"""<([a-zA-Z][^\t\n\f\r />]*)((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
ATTRIBUTE = re.compile(r"""([^\t\n\f\r />"'=][^\t\n\f\r />"'=]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\t\n\f\r >]*))?""")


def _inventory(fragment: str) -> Counter[str]:
    """How many of each tag, each attribute and each style property a fragment has."""
    items: Counter[str] = Counter()
    for tag, attrs in START_TAG.findall(fragment):
        tag = tag.lower()
        items[f"<{tag}>"] += 1
        for name, value in ATTRIBUTE.findall(attrs):
            name = name.lower()
            items[f"{name}= on <{tag}>"] += 1
            if name == "style":
                for prop in html.unescape(value.strip("\"'")).split(";"):
                    if prop.strip():
                        items[f"style {prop.split(':')[0].strip().lower()!r} on <{tag}>"] += 1
    return items


def removed_markup(before: str, after: str) -> list[str]:
    """What sanitizing took out of `before`: each tag, attribute or style property with
    fewer occurrences in `after` (an attribute whose URL was refused counts as removed)."""
    return sorted((_inventory(before) - _inventory(after)).keys())


def escape_text(value) -> Markup:
    return Markup(html.escape(str(value), quote=True))


def escape_front_matter(meta: dict) -> dict:
    """A copy of `meta` whose rendered text fields are escaped (idempotent: a value that is
    already Markup is left as it is)."""
    safe = dict(meta)
    for key in FRONT_MATTER_TEXT:
        if key in safe and safe[key] is not None and not isinstance(safe[key], Markup):
            safe[key] = escape_text(safe[key])
    for key in FRONT_MATTER_LISTS:
        if isinstance(safe.get(key), list):
            safe[key] = [v if isinstance(v, Markup) else escape_text(v) for v in safe[key]]
    return safe


def escape_nav_titles(items) -> None:
    """Titles written in mkdocs.yml's nav (`make page` puts a contributor's title there) as
    text: the theme prints nav titles unescaped. Page titles from front matter are escaped
    with the front matter; a page's nav title overrides it and is escaped here."""
    for item in items:
        if getattr(item, "is_page", False):
            if "title" in vars(item) and item.title is not None and not isinstance(item.title, Markup):
                item.title = escape_text(item.title)  # set only where the nav names it
        elif item.title is not None and not isinstance(item.title, Markup):
            item.title = escape_text(item.title)
        escape_nav_titles(getattr(item, "children", None) or [])


# Written as character references, which Markdown shows as the character and never reads
# as syntax: links and images ([ ]), emphasis (* _), attribute lists ({ }), math (\( \[ $).
MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]{}$]")


def escape_markdown_text(value) -> str:
    """`value` as literal text inside generated Markdown: no HTML, no links, no emphasis,
    no attribute lists, no math. Backticks that pair up are kept, so `p.grad` shows as code
    (Markdown shows a code span's content literally)."""
    text = html.unescape(str(value)) if isinstance(value, Markup) else str(value)
    out = []
    for i, part in enumerate(re.split(r"(`[^`\n]+`)", text)):
        if i % 2:
            out.append(part)
        else:
            out.append(MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", html.escape(part, quote=False)))
    return "".join(out)


# --- Content-Security-Policy -------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
CONTENT = re.compile(r'<article class="md-content__inner[^"]*">.*?</article>', re.DOTALL)
THEME_CONFIG = re.compile(r'<script id="__config" type="application/json">(.*?)</script>', re.DOTALL)
# The iframe-worker shim (extra.polyfills) runs Material's search worker from file:// in a
# hidden iframe, into which it writes this inline script; Material passes the page's
# relative worker URL as {url}. Its functions are those of the vendored file.
SHIM_FUNCTIONS = re.compile(r"(function c\(s,n\)\{.*?\})(function d\(\.\.\.s\)\{.*?\})(?=var o=)")
SHIM_SCRIPT = (
    'postMessage={c};importScripts={d};addEventListener("error",({{error}})=>{{parent.dispatchEvent('
    'new ErrorEvent("error",{{filename:"{url}",error}}))}})'
)
POLICY = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def theme_inline_scripts(page_html: str) -> list[str]:
    """The inline scripts of a rendered page outside its content (`<article>`): the theme's.
    The content, sanitized, has none; if it had, the policy would not allow it."""
    return INLINE_SCRIPT.findall(CONTENT.sub("", page_html))


def shim_script(page_html: str, shim: str) -> str:
    """The inline script the iframe-worker shim writes on this page (file:// search)."""
    functions = SHIM_FUNCTIONS.search(shim)
    config = THEME_CONFIG.search(page_html)
    if not functions or not config:
        raise ValueError("cannot find the iframe-worker shim's functions or the theme's __config: update the CSP")
    return SHIM_SCRIPT.format(c=functions[1], d=functions[2], url=json.loads(config[1])["search"])


def with_content_security_policy(page_html: str, shim: str | None) -> str:
    """`page_html` with a Content-Security-Policy `<meta>` first in its `<head>`: scripts
    from the site itself, the theme's inline scripts and the shim's (by hash), nothing else
    (no inline handlers, no javascript: URLs, no other hosts, no plugins, no `<base>`)."""
    scripts = theme_inline_scripts(page_html) + ([shim_script(page_html, shim)] if shim else [])
    policy = POLICY.format(hashes=" ".join(sorted({_sha256(s) for s in scripts})))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    head = page_html.find("<head>")
    if head < 0:
        raise ValueError("no <head> to put the Content-Security-Policy in")
    return page_html[: head + 6] + "\n    " + meta + page_html[head + 6 :]
