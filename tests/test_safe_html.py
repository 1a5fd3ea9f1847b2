"""Safe HTML (engine/sanitize.py, hooks/sanitize.py): a page from a pull request cannot run
script on the site. Each stored-XSS vector is a page in a small site built with this
repo's configuration; the built site must carry none of them, the build must name each
page whose raw HTML was cut, and in Chromium the payloads that run on a site built
without the sanitizer hook run no more with it. The real site passes the same check."""

from __future__ import annotations

import json
import os

import pytest
from bs4 import BeautifulSoup

from engine.sanitize import escape_front_matter, escape_markdown_text, removed_markup, sanitize_html
from tests.browser import Reader, chromium, chromium_missing, serve
from tests.safe_site import build, make_site, unsafe_markup

# Every payload calls alert(/<its name>/.source), with no quote inside (Markdown shows raw HTML whose
# unquoted attribute holds a quote as text): in Chromium each dialog names the vector that ran.
FRONT_MATTER = """\
---
title: "<img src=x onerror=alert(/fm-title/.source)>标题"
question: "<svg/onload=alert(/fm-question/.source)>"
answer: "<img src=x onerror=alert(/fm-answer/.source)> [x](javascript:alert(/fm-answer-link/.source))"
description: '"><img src=x onerror=alert(/fm-description/.source)>'
torch_min: '2.0'
tags:
  - "<img src=x onerror=alert(/fm-tag/.source)>"
keywords:
  - "<img src=x onerror=alert(/fm-keyword/.source)>"
---

# 前言

正文。
"""

VECTORS = """\
# Vectors

<svg/onload=alert(/svg/.source)>

<details ontoggle=alert(/details/.source) open><summary>s</summary>body</details>

<img src=x onerror=alert(/img/.source)>

[js link](javascript:alert(/js-link/.source)) and [JS link](JaVaScRiPt:alert(/js-link-case/.source))

## Heading { onclick="alert(/attr-heading/.source)" }

A paragraph.
{ onclick="alert(/attr-paragraph/.source)" }

[attr link](#){ onmouseover="alert(/attr-link/.source)" }

!!! note "<img src=x onerror=alert(/admonition-title/.source)>"

    <img src=x onerror=alert(/admonition-body/.source)>

=== "<img src=x onerror=alert(/tab-title/.source)>"

    tab body

=== "Second"

    <svg><script>alert(/tab-body/.source)</script></svg>

<script>alert(/script/.source)</script>

<iframe srcdoc="<script>parent.alert(/iframe/.source)</script>"></iframe>

<object data="javascript:alert(/object/.source)"></object><embed src="javascript:alert(/embed/.source)">

<style>body { background: url("javascript:alert(/style-tag/.source)") }</style>

<p style="width: expression(alert(/style-attr/.source)); text-align: center">styled</p>

<math><mi xlink:href="javascript:alert(/mathml/.source)">x</mi></math>
"""

# What the site legitimately uses must survive the sanitizer.
LEGIT = r"""
# Legit

Formula \(p \leftarrow p - \eta g\) and

\[
\frac{1}{2} \sum_{i=1}^{n} x_i^2
\]

| left | center |
| :--- | :----: |
| a    | b      |

Footnote[^1].

[^1]: The note.

!!! tip "Tip"

    Body with `code`.

??? info "More"

    Hidden.

=== "A"

    ```python
    x = 1
    ```

=== "B"

    Tab B.

```python linenums="1" title="t.py"
def f():
    return 1  # (1)!
```

1.  An annotation.

![light](assets/x.svg#only-light)
![dark](assets/x.svg#only-dark)

<figure markdown>
  ![fig](assets/x.svg)
  <figcaption>Caption</figcaption>
</figure>

*[HTML]: Hyper Text Markup Language

HTML abbreviation.

Term
:   Definition.

<span class="badge" title="已验证">已验证</span> <a href="https://pytorch.org/docs/stable/optim.html">docs</a>
"""

NAV = """\
  - index.md
  - faq.md
  - tags.md
  - vectors.md
  - legit.md
  - "<img src=x onerror=alert(/nav-page/.source)>": navtitle.md
  - "<svg onload=alert(/nav-section/.source)>":
      - qa/fm.md
"""

PAGES = {
    "docs/index.md": "# Home\n\n<!-- faq-index -->\n",
    "docs/faq.md": "# FAQ\n\n<!-- faq-index -->\n",
    "docs/tags.md": "# Tags\n\n<!-- material/tags -->\n",
    "docs/vectors.md": VECTORS,
    "docs/legit.md": LEGIT,
    "docs/navtitle.md": "# 导航标题由 mkdocs.yml 给出\n",
    "docs/qa/fm.md": FRONT_MATTER,
    "docs/assets/x.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>\n',
}


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory):
    folder = make_site(tmp_path_factory.mktemp("payloads"), PAGES, NAV)
    proc = build(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / "site", proc.stdout + proc.stderr


def _built(tmp_path_factory, name, hooks_off):
    folder = make_site(tmp_path_factory.mktemp(name), PAGES, NAV, hooks_off=hooks_off)
    proc = build(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / "site"


@pytest.fixture(scope="module")
def unprotected_site(tmp_path_factory):
    """The same pages without hooks/sanitize.py and hooks/csp.py: the payloads are live
    (proof that they are real)."""
    return _built(tmp_path_factory, "unprotected", ("sanitize.py", "csp.py"))


@pytest.fixture(scope="module")
def csp_only_site(tmp_path_factory):
    """Without the sanitizer, with the Content-Security-Policy: the second line of defence alone."""
    return _built(tmp_path_factory, "csp-only", ("sanitize.py",))


# --- the sanitizer as a function: fast, in process -------------------------------------

DROPPED = {
    "svg onload": "<svg/onload=alert(1)>",
    "details ontoggle": "<details ontoggle=alert(1) open><summary>s</summary></details>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "javascript: link": '<a href="javascript:alert(1)">x</a>',
    "javascript: with tab and case": '<a href="Java\tScript:alert(1)">x</a>',
    "onclick from attr_list": '<h2 id="h" onclick="alert(1)">H</h2>',
    "script": "<script>alert(1)</script>",
    "iframe": '<iframe src="https://example.org"></iframe>',
    "object and embed": '<object data="x"></object><embed src="x">',
    "style element": "<style>*{background:url(javascript:alert(1))}</style>",
    "style expression": '<p style="width: expression(alert(1))">x</p>',
    "data: image": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "form": '<form action="https://example.org"><input type="text" name="q"></form>',
    "MathML link": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "MathML mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
}


@pytest.mark.parametrize("html", DROPPED.values(), ids=DROPPED.keys())
def test_sanitizer_removes(html):
    clean = sanitize_html(html).lower()
    for needle in ("onload", "ontoggle", "onerror", "onclick", "javascript", "<script", "<iframe", "<object",
                   "<embed", "<style", "expression", "data:", "<form", "<svg"):  # fmt: skip
        assert needle not in clean, f"{needle} survived: {clean}"


KEPT = {
    "MathML": '<math display="block" xmlns="http://www.w3.org/1998/Math/MathML"><mrow><mi mathvariant="bold">x'
    '</mi><mo stretchy="false">(</mo><mfrac><mn>1</mn><msqrt><mn>2</mn></msqrt></mfrac><msubsup><mi>x</mi>'
    '<mi>i</mi><mn>2</mn></msubsup><mspace width="0.167em"></mspace></mrow></math>',
    "content tabs": '<div class="tabbed-set tabbed-alternate" data-tabs="1:2"><input checked="checked" '
    'id="__tabbed_1_1" name="__tabbed_1" type="radio"><div class="tabbed-labels"><label for="__tabbed_1_1">'
    "A</label></div></div>",
    "code block with line anchors": '<div class="language-python highlight" data-notest="why"><span class='
    '"filename">t.py</span><pre><span></span><code><a id="__codelineno-0-1" name="__codelineno-0-1" href='
    '"#__codelineno-0-1"></a><span class="k">def</span></code></pre></div>',
    "code block for some torch versions": '<div class="language-python highlight" data-torch="&lt;2.0"><pre><code>'
    "x = 1</code></pre></div>",
    "heading permalink": '<h2 id="x">X<a class="headerlink" href="#x" title="Permanent link">¶</a></h2>',
    "footnote": '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
    "details": '<details class="info helpers" data-search-exclude="" open=""><summary>s</summary></details>',
    "aligned table cell": '<th style="text-align:center">a</th>',
    "figure and images": '<figure><img alt="a" src="../assets/figures/x-light.svg#only-light"><figcaption>c'
    "</figcaption></figure>",
    "external link": '<a href="https://pytorch.org/docs/stable/optim.html">docs</a>',
    "admonition": '<div class="admonition note"><p class="admonition-title">Note</p><p>x</p></div>',
}


@pytest.mark.parametrize("html", KEPT.values(), ids=KEPT.keys())
def test_sanitizer_keeps_what_the_site_uses(html):
    wrapped = f"<table><tbody><tr>{html}</tr></tbody></table>" if html.startswith("<th") else html
    clean = sanitize_html(wrapped)
    assert removed_markup(wrapped, clean) == []


def test_removed_markup_names_what_was_cut():
    cell = '<td onclick="x()" style="color: red; text-align: left">a</td>'
    html = f'<table><tbody><tr>{cell}</tr></tbody></table><script>b</script><a href="javascript:c">d</a>'
    assert removed_markup(html, sanitize_html(html)) == [
        "<script>",
        "href= on <a>",
        "onclick= on <td>",
        "style 'color' on <td>",
    ]


def test_marker_comments_survive_for_the_hooks_that_replace_them():
    html = "<p>a</p>\n<!-- verification-report -->\n<!-- note <script>alert(1)</script> -->\n<p>\ue0007\ue001</p>"
    clean = sanitize_html(html)
    assert "<!-- verification-report -->" in clean and "note" not in clean and "<script" not in clean
    assert "\ue0007\ue001" in clean  # a number that was not stashed stays text


def test_front_matter_is_escaped_once():
    meta = escape_front_matter({"title": "<b>x</b> & y", "tags": ["<i>t</i>"], "torch_min": "2.0", "keywords": ["k"]})
    assert meta["title"] == "&lt;b&gt;x&lt;/b&gt; &amp; y" and meta["tags"] == ["&lt;i&gt;t&lt;/i&gt;"]
    assert meta["torch_min"] == "2.0"
    assert escape_front_matter(meta) == meta  # Markup values are not escaped again


def test_front_matter_in_markdown_is_plain_text():
    text = escape_markdown_text("`p.grad` <img src=x> [x](javascript:y) *a* {: onclick=z } \\(m\\) $n$")
    assert "`p.grad`" in text
    for syntax in ("<img", "[x]", "*a*", "{:", "\\(", "$n"):
        assert syntax not in text, syntax


# --- the built site ---------------------------------------------------------------------


def test_payload_site_carries_no_script(payload_site):
    site, _ = payload_site
    assert unsafe_markup(site) == []


def test_payloads_are_shown_as_text(payload_site):
    site, _ = payload_site
    page = BeautifulSoup((site / "qa" / "fm.html").read_text("utf-8"), "html.parser")
    assert page.title.string.startswith("<img src=x onerror=alert(/fm-title/.source)>标题")  # text, not an element
    assert (
        page.find("meta", attrs={"name": "description"})["content"]
        == '"><img src=x onerror=alert(/fm-description/.source)>'
    )
    assert (
        "<img src=x onerror=alert(/fm-title/.source)>标题"
        in page.select(".md-header__topic .md-ellipsis")[-1].get_text()
    )
    faq = BeautifulSoup((site / "faq.html").read_text("utf-8"), "html.parser")
    listing = faq.select_one("article").get_text()
    assert "<img src=x onerror=alert(/fm-title/.source)>标题" in listing
    assert "[x](javascript:alert(/fm-answer-link/.source))" in listing
    tags = BeautifulSoup((site / "tags.html").read_text("utf-8"), "html.parser").select_one("article").get_text()
    assert "<img src=x onerror=alert(/fm-tag/.source)>" in tags


def test_nav_titles_are_shown_as_text(payload_site):
    """Titles written in mkdocs.yml's nav (a page's and a section's) reach the HTML as text."""
    site, _ = payload_site
    page = BeautifulSoup((site / "legit.html").read_text("utf-8"), "html.parser")
    labels = [a.get_text(" ", strip=True) for a in page.select("nav.md-nav a, nav.md-nav label")]
    assert "<img src=x onerror=alert(/nav-page/.source)>" in labels, labels
    assert any("<svg onload=alert(/nav-section/.source)>" in label for label in labels), labels


def test_search_index_holds_no_markup_from_front_matter(payload_site):
    site, _ = payload_site
    index = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert "<img" not in doc[field] and "<svg" not in doc[field], (doc["location"], doc[field][:200])


def test_the_build_names_each_page_whose_html_was_cut(payload_site):
    _, log = payload_site
    warned = [line for line in log.splitlines() if "raw HTML the site does not allow was removed" in line]
    assert any("docs/vectors.md" in line for line in warned), log
    assert not any("docs/legit.md" in line for line in warned), "legitimate markup was cut:\n" + "\n".join(warned)


def test_legitimate_markup_survives(payload_site):
    site, _ = payload_site
    page = BeautifulSoup((site / "legit.html").read_text("utf-8"), "html.parser")
    article = page.select_one("article")
    assert article.select("math[display=block]") and article.select("math[display=inline]")
    assert article.select_one("div.tabbed-set input[type=radio]") and article.select_one("div.tabbed-labels label")
    assert article.select_one("div.admonition.tip p.admonition-title")
    assert article.select_one("details.info summary")
    assert article.select_one("div.footnote li[id]") and article.select_one("a.footnote-ref[href]")
    assert article.select_one("a.headerlink[href]")
    assert article.select_one("th[style]")["style"].replace(" ", "").startswith("text-align:")
    assert article.select_one('img[src$="#only-light"]') and article.select_one("figure figcaption")
    assert article.select_one("abbr[title]") and article.select_one("dl dd")
    assert article.select_one("span.filename") and article.select_one("a[name^=__codelineno]")
    assert article.select_one('a[href^="https://pytorch.org/"]') and article.select_one("span.badge[title]")


def test_real_site_carries_no_script_but_the_themes(site):
    assert unsafe_markup(site) == []


def test_the_verification_report_table_survives_the_sanitizer(site):
    """hooks/verification.py puts the table in place of a marker comment after this hook ran."""
    page = BeautifulSoup((site / "verification.html").read_text("utf-8"), "html.parser")
    assert page.select_one("article table"), "the verification report table is missing"


def csp_before_any_script(site) -> list[str]:
    """Each page: exactly one CSP <meta>, before its first script, allowing no inline script."""
    problems = []
    for path in sorted(site.rglob("*.html")):
        text = path.read_text("utf-8")
        metas = BeautifulSoup(text, "html.parser").find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        if len(metas) != 1 or text.find("Content-Security-Policy") > text.find("<script"):
            problems.append(f"{path.relative_to(site)}: no single Content-Security-Policy before the first script")
        elif "'unsafe-inline'" in metas[0]["content"].split("style-src")[0]:
            problems.append(f"{path.relative_to(site)}: the policy allows inline scripts")
    return problems


def test_every_page_has_a_content_security_policy(site, payload_site):
    assert csp_before_any_script(site) == [] and csp_before_any_script(payload_site[0]) == []


THEME_PAGE = """<html><head><meta charset="utf-8"><script>theme()</script></head><body>
<script>palette()</script><article class="md-content__inner md-typeset"><script>planted()</script></article>
<script id="__config" type="application/json">{"search": "assets/w.js"}</script></body></html>"""


def test_the_policy_hashes_the_themes_inline_scripts_only():
    from engine.sanitize import _sha256, with_content_security_policy

    out = with_content_security_policy(THEME_PAGE, None)
    meta = BeautifulSoup(out, "html.parser").head.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    policy = meta["content"]
    assert _sha256("theme()") in policy and _sha256("palette()") in policy and _sha256("planted()") not in policy
    assert "object-src 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert out.index("Content-Security-Policy") < out.index("<script>")


# --- in Chromium ------------------------------------------------------------------------

_missing = chromium_missing()
if _missing and os.environ.get("REQUIRE_BROWSER"):
    raise RuntimeError(f"REQUIRE_BROWSER is set but the browser tests cannot run: {_missing}")


def dialogs_on(site, pages: list[str], *, click: str | None = None, search: str | None = None) -> list[str]:
    """The alert() messages Chromium shows while opening `pages` (and clicking `click` links),
    then while searching for `search` (Material renders result titles as HTML)."""
    seen: list[str] = []
    with serve(site) as url, chromium() as browser:
        context = browser.new_context()
        tab = context.new_page()
        tab.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
        for name in pages:
            tab.goto(url + name)
            tab.wait_for_load_state("load")
            tab.wait_for_timeout(300)  # onload/onerror handlers run right after load
            if click:
                for link in tab.locator(click).all():
                    link.click(no_wait_after=True)
                    tab.wait_for_timeout(100)
        if search:
            reader = Reader(browser, url)
            reader.page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
            reader.open("index.html")
            reader.search(search)
            reader.page.wait_for_timeout(300)
            reader.close()
        context.close()
    return seen


PAGES_TO_OPEN = ["vectors.html", "qa/fm.html", "faq.html", "tags.html"]


@pytest.mark.skipif(bool(_missing), reason=_missing or "")
def test_payloads_run_in_chromium_only_without_the_sanitizer(payload_site, unprotected_site):
    before = set(dialogs_on(unprotected_site, PAGES_TO_OPEN, click="article a[href^=javascript]", search="标题"))
    # The vectors are real: without hooks/sanitize.py and hooks/csp.py these run in the
    # browser (on main, before them, these and the question index's ran).
    assert {"svg", "img", "details", "admonition-title", "tab-title", "fm-title", "fm-tag", "js-link"} <= before, before
    assert {"nav-page", "nav-section"} <= before, before  # titles from mkdocs.yml's nav
    after = dialogs_on(payload_site[0], PAGES_TO_OPEN, click="article a:not([href])", search="标题")
    assert after == [], after


@pytest.mark.skipif(bool(_missing), reason=_missing or "")
def test_the_content_security_policy_alone_stops_the_payloads(csp_only_site):
    assert dialogs_on(csp_only_site, PAGES_TO_OPEN, click="article a[href^=javascript]", search="标题") == []


@pytest.mark.skipif(bool(_missing), reason=_missing or "")
def test_the_theme_still_works_under_the_policy(site):
    """Palette toggle, search and a click to another page, over http and from file://, with
    no CSP violation (Chromium reports each as a console error). Instant navigation stays
    inactive either way: without `site_url` the sitemap it needs is empty."""
    with chromium() as browser, serve(site) as url:
        for base in (url, site.as_uri() + "/"):
            reader = Reader(browser, base)
            reader.open("index.html")
            scheme = "document.body.getAttribute('data-md-color-scheme')"
            before = reader.page.evaluate(scheme)
            reader.page.locator("label.md-header__button[for^=__palette]:visible").first.click()
            reader.page.wait_for_function(f"{scheme} !== {before!r}", timeout=5000)
            assert "qa/d2l-sgd-momentum" in reader.search("init_momentum_states")[:3]
            reader.open("index.html")
            reader.page.locator("article a[href*='qa/']").first.click()
            reader.page.wait_for_url("**/qa/*.html*")
            assert reader.errors == [], (base, reader.errors)
            reader.close()
