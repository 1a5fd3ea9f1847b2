"""Is a built site complete? What the site's hooks and extensions add, checked in the
output of any generator (MkDocs, ProperDocs, one day Zensical, which silently skips
MkDocs hooks and still says "No issues found").

    python -m engine.site_check SITE_DIR [--docs docs]

Checks, against the Markdown sources in `docs`:
- every Q&A page (docs/qa/*.md) is built, shows its verification badge and links its
  downloads (notebook and script), which exist in the site;
- every page whose Markdown has a formula shows MathML, and no formula is left as TeX;
- every figure a page names (assets/figures/*.svg) exists in the site and the page links it;
- the question index (on the home page and the index page) links every Q&A page;
- the site's own search index (its `qa` terms) and the Content-Security-Policy are there.

Exit status 1 and one line per problem when anything is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
# What pymdownx.arithmatex (generic) reads as a formula: $...$, $$...$$, \(...\), \[...\].
FORMULA = re.compile(
    r"(?<![\\$])\$(?![\s$])(?:\\.|[^\\$\n])+?(?<![\s\\])\$(?!\$)|\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL
)
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.DOTALL)
FIGURE = re.compile(r"assets/figures/[\w.-]+\.svg")
CSP = '<meta http-equiv="Content-Security-Policy"'
ARTICLE = re.compile(r"<article\b.*?</article>", re.DOTALL)  # the page's content, without the nav


def content(html: str) -> str:
    m = ARTICLE.search(html)
    return m[0] if m else ""


def has_formula(markdown: str) -> bool:
    """Whether the page's Markdown (outside code) has a formula."""
    text = CODE_SPAN.sub("", FENCE.sub("", FRONT_MATTER.sub("", markdown)))
    return bool(FORMULA.search(text))


def built(site: Path, rel: Path) -> Path | None:
    """The HTML file of docs/`rel` (qa/x.md) in either URL style (qa/x.html, qa/x/index.html)."""
    stem = rel.with_suffix("")
    if stem.name == "index":
        candidates = [site / stem.parent / "index.html"]
    else:
        candidates = [site / f"{stem}.html", site / stem / "index.html"]
    return next((c for c in candidates if c.is_file()), None)


def check_site(site: Path, docs: Path) -> tuple[list[str], dict[str, int]]:
    """(problems, counts of what was found)."""
    problems: list[str] = []
    counts = {"qa pages": 0, "badges": 0, "downloads": 0, "pages with formulas": 0, "figures": 0, "index links": 0}
    qa_html: dict[Path, Path] = {}
    for md in sorted(docs.rglob("*.md")):
        rel = md.relative_to(docs)
        source = md.read_text("utf-8")
        html_file = built(site, rel)
        if html_file is None:
            problems.append(f"{rel}: not built")
            continue
        html = html_file.read_text("utf-8")
        where = html_file.relative_to(site)
        if CSP not in html:
            problems.append(f"{where}: no Content-Security-Policy")
        html = content(html)
        if rel.parts[0] == "qa":
            counts["qa pages"] += 1
            qa_html[rel] = html_file
            if 'class="qa-badge' in html:
                counts["badges"] += 1
            else:
                problems.append(f"{where}: no verification badge")
            for ext in (".ipynb", ".py"):
                name = f"{rel.stem}{ext}"
                if f'href="{name}"' in html or f'href="../{name}"' in html:
                    if (html_file.parent / name).is_file() or (html_file.parent.parent / name).is_file():
                        counts["downloads"] += 1
                        continue
                problems.append(f"{where}: no download {name}")
        if has_formula(source):
            counts["pages with formulas"] += 1
            if "<math" not in html:
                problems.append(f"{where}: the page has formulas but no MathML")
        for m in ARITHMATEX.finditer(html):
            if "<math" not in m[2]:
                problems.append(f"{where}: formula left as TeX: {m[2].strip()[:60]}")
        for figure in sorted(set(FIGURE.findall(source))):
            counts["figures"] += 1
            if not (site / figure).is_file():
                problems.append(f"{where}: figure {figure} is not in the site")
            elif figure not in html:
                problems.append(f"{where}: figure {figure} is not linked")
    indexes = [p.relative_to(docs) for p in sorted(docs.rglob("*.md")) if "<!-- faq-index -->" in p.read_text("utf-8")]
    if not indexes:
        problems.append("no question index (a page with <!-- faq-index -->) in the sources")
    for index in indexes:  # the home page and the question index page
        index_html = built(site, index)
        if index_html is None:
            continue  # reported above: not built
        text = content(index_html.read_text("utf-8"))
        for rel, html_file in qa_html.items():
            link = html_file.relative_to(index_html.parent).as_posix()
            if f'href="{link}"' in text or f'href="{link.removesuffix("index.html")}"' in text:
                counts["index links"] += 1
            else:
                problems.append(f"{index_html.relative_to(site)}: the question index does not link {rel}")
    if counts["qa pages"] == 0:
        problems.append(f"no Q&A page under {docs}/qa")
    if counts["figures"] == 0:
        problems.append("no page names a figure (assets/figures/*.svg)")
    try:
        terms = json.loads((site / "search" / "search_index.json").read_text("utf-8"))["config"]["qa"]["terms"]
    except (OSError, ValueError, KeyError, TypeError):
        terms = None
    if not terms:
        problems.append("search/search_index.json: not the site's own search index (no config.qa.terms)")
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m engine.site_check", description=__doc__.split("\n\n")[0])
    cli.add_argument("site", type=Path, help="the built site")
    cli.add_argument("--docs", type=Path, default=Path("docs"), help="the Markdown sources (default: docs)")
    args = cli.parse_args(argv)
    problems, counts = check_site(args.site, args.docs)
    print(f"{args.site}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    for problem in problems:  # paths relative to the site
        print(problem)
    if problems:
        print(f"{len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
