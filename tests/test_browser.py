"""The built site in a real browser (Debian's Chromium via Playwright), as a reader uses it:
search with the query set in search_queries.yaml, click through, bad input, file://,
and not one request to any host but the site's own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.browser import Reader, chromium, chromium_missing, serve

# The project's own list, and the list written blind from the page titles (issue 14).
QUERY_FILES = ("search_queries.yaml", "search_queries_blind.yaml")
QUERIES = [
    {**case, "list": name.removesuffix(".yaml").removeprefix("search_queries").lstrip("_") or "own"}
    for name in QUERY_FILES
    for case in yaml.safe_load((Path(__file__).parent / name).read_text("utf-8"))
]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "artifacts"))

_missing = chromium_missing()
if _missing and os.environ.get("REQUIRE_BROWSER"):
    raise RuntimeError(f"REQUIRE_BROWSER is set but the browser tests cannot run: {_missing}")
pytestmark = pytest.mark.skipif(bool(_missing), reason=_missing or "")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def reader(browser, base_url):
    """One tab for the whole module, so the request log covers every test in it."""
    r = Reader(browser, base_url)
    r.open()
    yield r
    r.close()


CASES = [pytest.param(c, marks=pytest.mark.xfail(reason=c["miss"], strict=True)) if "miss" in c else c for c in QUERIES]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['list']}:{c['kind']}:{c['q'].strip()[:40]}" for c in QUERIES])
def test_search_finds_the_page(reader, case):
    """Typed as a reader types (ASCII key by key, Chinese one IME commit per run); error
    messages pasted (an input event, no key event). The wanted page is in the top 3 and
    opens; an out-of-scope query shows the empty state instead of weak matches."""
    results = reader.search(case["q"], how="paste" if case["kind"] == "err" else "type")
    if case["page"] == "none":
        assert results == [] and reader.empty_state(), f"{case['q']!r}: want the empty state, got {results[:5]}"
        return
    wanted = [case["page"]] if isinstance(case["page"], str) else case["page"]
    hits = [page for page in results[:3] if page in wanted]
    assert hits, f"{case['q']!r}: want one of {wanted} in the top 3, got {results[:5]}"
    link = reader.page.locator("li.md-search-result__item > a.md-search-result__link:first-child").nth(
        results.index(hits[0])
    )
    link.click()
    reader.page.wait_for_url(lambda url: reader.page_path(url) == hits[0])
    assert reader.page.locator("article h1").first.is_visible()


def test_opened_result_highlights_the_query(reader):
    """A result opened from the search marks the query's words on the page (Material's
    `search.highlight`, fed by the worker's `terms`): the glued Chinese run as one stretch."""
    results = reader.search("梯度累加怎么用")
    assert "qa/gradient-accumulation" in results[:3], results
    reader.page.locator("li.md-search-result__item > a.md-search-result__link:first-child").nth(
        results.index("qa/gradient-accumulation")
    ).click()
    reader.page.wait_for_url(lambda url: reader.page_path(url) == "qa/gradient-accumulation")
    reader.page.wait_for_selector("article mark[data-md-highlight]")
    marked = reader.page.eval_on_selector_all("article mark[data-md-highlight]", "els => els.map(e => e.textContent)")
    assert "梯度累加" in marked and not {"怎么", "怎么用"} & set(marked), marked[:10]


TOKEN_SAMPLES = [
    "L1正则",
    "手写sgd为什么这么慢",
    "p.grad.data.zero_()",
    "torch.nn.utils.clip_grad_norm_",
    "ＡｄａｍＷ（）",
    "AttributeError: 'NoneType' object has no attribute 'zero_'",
    "v[:] = 和 v = 的区别",
    "梯",
    "β 和 lr_1",
]


def test_worker_splits_text_like_the_index(browser):
    """The worker's tokens() (in Chromium) and engine/search.py's, used to build the index, agree."""
    from engine.search import STOP, tokens

    worker = (Path(__file__).resolve().parent.parent / "docs/assets/javascripts/qa-search-worker.js").read_text("utf-8")
    page = browser.new_page()
    page.add_script_tag(content=worker)
    got = page.evaluate(
        "([samples, stop]) => samples.map(s => QA.tokens(s, new Set(stop)))", [TOKEN_SAMPLES, sorted(STOP)]
    )
    page.close()
    assert got == [tokens(s) for s in TOKEN_SAMPLES]


def test_worker_empty_state_wants_the_topic_not_a_mention(browser):
    """The worker (in Chromium) on a small made-up index: `DataLoader num_workers`, where
    num_workers is on no page, gets the empty state while one page only mentions DataLoader
    in its text, and finds that page once DataLoader is one of its `keywords`."""
    from engine.search import build
    from tests.test_search_index import DOCS, META

    topic = {**META, "qa/accum.html": {**META["qa/accum.html"], "keywords": ["梯度累加", "DataLoader"]}}
    worker = (Path(__file__).resolve().parent.parent / "docs/assets/javascripts/qa-search-worker.js").read_text("utf-8")
    page = browser.new_page()
    page.add_script_tag(content=worker)
    got = [
        page.evaluate(
            """([data, q]) => { QA.setup(data); return QA.search(q).map(r => r[0].location); }""",
            [{"config": {"qa": built["qa"]}, "docs": built["docs"]}, "DataLoader num_workers"],
        )
        for built in (build(DOCS, META, Path("no-glossary.yml")), build(DOCS, topic, Path("no-glossary.yml")))
    ]
    page.close()
    assert got == [[], ["qa/accum.html"]]


LONG_TRACEBACK = (
    "Traceback (most recent call last):\n"
    + '  File "train.py", line 12, in <module>\n    sgd(params, lr, batch_size)\n' * 14
)[:990] + "\nAttributeError: 'NoneType' object has no attribute 'zero_'"


@pytest.mark.parametrize(
    "query",
    ["", LONG_TRACEBACK, "()[]{}.,:;'\"`~!@#$%^&*-+=|\\/<>?", "，。、；：？！“”（）《》", "   "],
    ids=["empty", "1000-char-traceback", "ascii-punctuation", "cjk-punctuation", "spaces"],
)
def test_odd_queries_do_not_break_the_page(reader, query):
    reader.open()
    errors_before = len(reader.errors)
    reader.search(query, typed=len(query) < 100)  # a pasted traceback arrives at once
    assert reader.errors[errors_before:] == [], "console errors after the query"
    assert "qa/d2l-sgd-momentum" in reader.search("动量")[:3], "search stopped working after the odd query"


def test_every_page_opens_without_errors(reader, site):
    for html in sorted(site.rglob("*.html")):
        reader.open(html.relative_to(site).as_posix())
    assert reader.errors == []


def test_no_request_left_localhost(reader):
    """Runs after the tests above (same tab): every page, every search, every click."""
    assert reader.requests, "no request was recorded"
    assert reader.foreign_requests() == []


def test_site_works_from_file_urls(browser, site):
    """The offline copy: opened from the file system, search included."""
    r = Reader(browser, site.as_uri() + "/")
    r.open("index.html")
    results = r.search("init_momentum_states")
    assert "qa/d2l-sgd-momentum" in results[:3], results
    r.page.locator("li.md-search-result__item > a.md-search-result__link:first-child").nth(
        results.index("qa/d2l-sgd-momentum")
    ).click()
    r.page.wait_for_url("**/qa/d2l-sgd-momentum.html*")
    assert r.foreign_requests() == [] and r.errors == []
    r.close()


def test_screenshots(browser, base_url):
    """Artifacts to look at: a search and a page, light and dark."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        r = Reader(browser, base_url, color_scheme=scheme)
        r.open()
        r.search("'NoneType' object has no attribute 'zero_'")
        r.page.screenshot(path=ARTIFACTS / f"search-{scheme}.png")
        r.open("qa/sgd-rebind-bug.html")
        r.page.screenshot(path=ARTIFACTS / f"page-{scheme}.png", full_page=True)
        r.close()
    for name in ("search-light", "search-dark", "page-light", "page-dark"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
