"""The built site: strict build with the network cut off, nothing loaded from another
host, a Chinese search index, formulas as MathML, and the coverage gate that ties
every Python block on the site to a doc test that ran it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from engine.parser import CONSOLE_TAGS, RUN_TAGS, read_page
from engine.pytest_plugin import report_path, site_paths
from engine.report import Report, ReportError, combined, trusted_reports
from tests.conftest import OFFLINE


def html_pages(site: Path):
    for path in sorted(site.rglob("*.html")):
        yield path, BeautifulSoup(path.read_text("utf-8"), "html.parser")


def test_build_is_strict_and_offline(site):
    if not OFFLINE:
        pytest.skip("`unshare --net` is not permitted here (needs root): the build ran with the network")
    assert (site / "index.html").is_file()


RESOURCE_ATTRS = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
}


def test_pages_load_nothing_from_other_hosts(site):
    """Readers behind a firewall get the whole page: no CDN, no web fonts."""
    offenders = []
    for path, soup in html_pages(site):
        for tag, attr in RESOURCE_ATTRS.items():
            for el in soup.find_all(tag):
                url = el.get(attr)
                if tag == "link" and not {"stylesheet", "preload", "icon", "manifest", "modulepreload"} & set(
                    el.get("rel", [])
                ):
                    continue
                if url and urlparse(url).netloc:
                    offenders.append(f"{path.relative_to(site)}: <{tag} {attr}={url}>")
    for css in site.rglob("*.css"):
        remote = re.finditer(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)|@import\s+['\"]https?://", css.read_text("utf-8"))
        offenders += [f"{css.relative_to(site)}: {m.group(0)}" for m in remote]
    assert not offenders, "resources from other hosts:\n" + "\n".join(offenders)


def test_search_index_splits_chinese_and_identifiers(site):
    """The site's search index (engine/search.py): Chinese as character pairs, split from
    ASCII at every boundary; identifiers whole and by their parts; the glossary's synonyms
    and the traditional → simplified table travel with it."""
    index = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    qa = index["config"]["qa"]
    hub_docs = {n for page in qa["pages"] if page["hub"] for n in page["docs"]}  # indexed by titles only
    text = " ".join(
        d["title"] if n in hub_docs else f"{d['title']} {d['text']}" for n, d in enumerate(index["docs"])
    ).lower()
    assert qa["terms"] and not any("\u200b" in d["text"] for d in index["docs"])
    wanted = [t for t in ("梯度", "优化", "学习") if t in text]
    if "clip_grad_norm_" in text:  # this repo's site (the harness tests build small ones)
        wanted += ["clip_grad_norm_", "clip_grad_norm", "clip", "grad", "norm"]
    if "p.grad.data.zero_" in text:
        wanted += ["p.grad.data.zero_", "zero_", "zero", "data"]
    for term in wanted:
        assert term in qa["terms"], f"{term} is not a word of the search index"
    if "为" in text:
        assert "為为" in qa["t2s"], "no traditional → simplified table (opencc-python-reimplemented)"
    if qa["synonyms"]:  # docs/glossary.yml
        assert ["冲量", "动量"] in qa["synonyms"]
    assert (site / "search" / "search_index.js").read_text("utf-8").startswith("var __index = ")  # file://


def test_formulas_are_mathml(site):
    pages = [(p, s) for p, s in html_pages(site) if s.select(".arithmatex")]
    assert pages, "no page has a formula"
    for path, soup in pages:
        for el in soup.select(".arithmatex"):
            assert el.find("math"), f"{path.relative_to(site)}: formula left as TeX: {el.get_text()[:60]}"


def _normalise(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines())


def site_python_blocks(soup) -> list[tuple[str, str | None]]:
    """(code text, data-notest) of each Python block, in page order."""
    blocks = []
    for div in soup.select("div.highlight"):
        langs = {c.removeprefix("language-") for c in div.get("class", []) if c.startswith("language-")}
        if langs & (RUN_TAGS | CONSOLE_TAGS):
            code = div.select_one("td.code code") or div.find("code")
            blocks.append((_normalise(code.get_text()), div.get("data-notest")))
    return blocks


def page_source(html: Path, site: Path, docs_dir: Path) -> Path | None:
    rel = html.relative_to(site)
    stem = rel.parent if rel.name == "index.html" else rel.with_suffix("")
    for candidate in (docs_dir / stem / "index.md", docs_dir / f"{stem}.md", docs_dir / stem / "README.md"):
        if candidate.is_file():
            return candidate
    return None


@pytest.mark.after_doc_tests
def test_every_python_block_on_the_site_ran(site, pytestconfig):
    """The coverage gate: each Python block in the *built* HTML is the text of a block
    that ran and passed on CPU in the doc tests (the report they wrote, matched by the
    hash of the exact code), or carries a stated data-notest reason, or declares torch
    versions that exclude this one (data-torch) and passed in a trusted report of a torch
    it applies to (the version matrix)."""
    report = report_path(pytestconfig)
    if report is None or not report.is_file():
        pytest.fail(f"no doc-test report at {report}: run the doc tests first (`make test` does)", pytrace=False)
    try:
        results = Report.load(report).latest()
    except ReportError as e:
        pytest.fail(f"the doc-test report cannot be read: {e}", pytrace=False)
    config_file, docs_dir = site_paths(pytestconfig)
    root = pytestconfig.rootpath
    verified_elsewhere = [
        e for e in combined(trusted_reports(root)).entries if e.device == "cpu" and e.outcome == "passed"
    ]
    problems, checked = [], 0
    for html, soup in html_pages(site):
        shown = site_python_blocks(soup)
        if not shown:
            continue
        source = page_source(html, site, docs_dir)
        if source is None:
            problems.append(f"{html.relative_to(site)}: Python blocks on a page with no Markdown source")
            continue
        page = read_page(source, root, config_file)
        tested = [(_normalise(b.source), b.notest) for b in page.blocks]
        if [code for code, _ in shown] != [code for code, _ in tested]:
            extra = [c for c, _ in shown if c not in {t for t, _ in tested}]
            missing = [t for t, _ in tested if t not in {c for c, _ in shown}]
            problems.append(
                f"{page.path}: the Python blocks on the site differ from those the doc tests collect\n"
                + "".join(f"  on the site, not tested: {c.splitlines()[0]!r}\n" for c in extra)
                + "".join(f"  tested, not on the site as Python: {t.splitlines()[0]!r}\n" for t in missing)
            )
            continue
        for block, (_, notest) in zip(page.blocks, shown):
            checked += 1
            if block.notest is not None:
                if notest != block.notest:
                    problems.append(f"{block.where}: data-notest reason missing from the built page")
                continue
            entry = results.get((str(block.page), block.identity, "cpu"))
            outcome = entry.outcome if entry else None
            if outcome == "not-applicable":  # data-torch excludes this torch: a trusted run where it applies
                ran = [e for e in verified_elsewhere if (e.page, e.identity) == (str(block.page), block.identity)]
                if not ran:
                    problems.append(
                        f"{block.where}: shown on the site; it applies to torch {block.options.get('data-torch')} "
                        "(data-torch), not to this one, and no trusted report shows it passing where it applies "
                        "(make test-torch TORCH=x.y.z, then list the report in verification/trusted.toml)"
                    )
                continue
            if outcome != "passed":
                problems.append(f"{block.where}: shown on the site, but its CPU doc test {outcome or 'did not run'}")
    assert not problems, "\n".join(problems)
    assert checked, "the built site has no Python block at all"
