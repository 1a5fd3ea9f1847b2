"""The site's search index, built with the site (hooks/search.py), read by the browser's
search worker (docs/assets/javascripts/qa-search-worker.js).

Material's search (lunr) reads the query on key release only, keeps `L1正则` as one word,
and ranks hub pages and pages that merely mention a common word above the answer. The site
keeps Material's search box and result list, and replaces the engine behind them:

- Text is split at every boundary between Chinese and ASCII. Chinese runs become
  overlapping character pairs (bigrams: no dictionary is needed to split a query such as
  `为什么我的loss一直不降`); ASCII identifiers are kept whole and by their parts
  (`p.grad.data.zero_` → `p.grad.data.zero_`, `grad`, `data`, `zero_`, `zero`).
  `tokens()` here and `tokens()` in the worker are the same function; tests/test_search.py
  checks that they agree.
- Each page gets one weight per word: title, `question` and `keywords` weigh more than
  headings, headings more than body text (which saturates: the tenth mention adds little).
  The worker multiplies by the word's rarity (IDF), so words on most pages count little.
- A word of the page's topic (title, `question`, `keywords`, tags, its one-line `answer`)
  is stored with its weight negated; a word only in its headings or body is a mention.
  The worker ranks by the weight alone, and for the empty state counts a mention at half:
  `DataLoader num_workers 设置多少` matches words in the code of two pages, which answer
  something else. Hub pages (home, question index) are indexed by their title and headings
  only: their body repeats the answer pages' titles.
- docs/glossary.yml's `avoid` and `synonyms` (the same list that keeps the pages'
  terminology consistent) and OpenCC's traditional → simplified table, reduced to the
  characters the index holds, travel with the index and are applied to queries.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from pathlib import Path

import yaml

# Words too common to mean anything in a query (mirrored in the worker).
STOP = frozenset(
    "a an the is are be being been to of in on at for and or that this it by with as not has have "
    "do does did how what why when where which should can could would will my your i we you me "
    "from into vs versus if than then there their its use using used get".split()
)
HUBS = frozenset({"index.html", "faq.html", "tags.html", "verification.html"})
WEIGHTS = {"title": 8.0, "question": 5.0, "keywords": 5.0, "tags": 3.0, "answer": 1.0, "headings": 2.0}
# The fields that say what a page is about (its topic); a word found only in its headings
# or body is a mention. The index stores the weight of a topic word negated (the few
# postings that carry a sign: see build()), the worker reads the sign for its empty state.
TOPIC = frozenset({"title", "question", "keywords", "tags", "answer"})
BODY = 3.0  # body text: BODY * tf / (tf + 2)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
ASCII = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")
SPLIT = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff]+)|([a-z0-9_]+(?:\.[a-z0-9_]+)*)")


def normalize(text: str) -> str:
    """Full-width forms to ASCII, lower case (the worker does the same: NFKC + toLowerCase)."""
    return unicodedata.normalize("NFKC", text).lower()


def _ascii_terms(chain: str):
    parts = chain.split(".")
    if len(parts) > 1:
        yield chain
    for part in parts:
        yield part
        core = part.strip("_")
        if core != part:
            yield core
        if "_" in core:
            yield from core.split("_")


def tokens(text: str) -> list[str]:
    """The words of `text`, in order, with repeats (see the module docstring)."""
    out = []
    for m in SPLIT.finditer(normalize(text)):
        run, chain = m.group(1), m.group(2)
        if run:
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            out.extend(t for t in _ascii_terms(chain) if (len(t) > 1 or t.isdigit()) and t not in STOP)
    return out


def plain(html_text: str) -> str:
    """Index text (HTML from Material's index) as plain text."""
    text = re.sub(r"<[^>]+>", " ", html_text.replace("\u200b", ""))
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def synonyms(glossary: Path) -> list[list[str]]:
    """[variant, term] pairs from docs/glossary.yml: what readers type → the pages' word."""
    pairs = []
    if not glossary.is_file():  # a site without a glossary (the tests' small sites)
        return pairs
    for entry in yaml.safe_load(glossary.read_text("utf-8")) or []:
        for variant in [*entry.get("avoid", []), *entry.get("synonyms", [])]:
            v = normalize(str(variant))
            if v and v != normalize(entry["term"]):
                pairs.append([v, normalize(entry["term"])])
    return sorted(pairs, key=lambda p: -len(p[0]))


def traditional_to_simplified(chars: set[str]) -> str:
    """OpenCC's traditional → simplified character table (the opencc-python-reimplemented
    package's TSCharacters.txt), reduced to the simplified characters the index holds:
    a string of pairs, traditional then simplified."""
    import opencc

    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    pairs = []
    for line in table.read_text("utf-8").splitlines():
        trad, _, simp = line.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp and simp in chars:
            pairs.append(trad + simp)
    return "".join(pairs)


def build(docs: list[dict], meta: dict[str, dict], glossary: Path, text_limit: int = 200) -> dict:
    """Material's index docs + each page's front matter → (compact docs, our index).

    `docs`: Material's search_index.json docs (page and section entries); `meta`: page
    location (`qa/x.html`) → front matter. Returns the docs to show in results (text
    shortened to `text_limit` characters, plain) and the index the worker reads."""
    pages: dict[str, dict] = {}
    short = []
    for doc in docs:
        loc = doc["location"]
        page_loc = loc.split("#")[0] or "index.html"
        page = pages.setdefault(page_loc, {"docs": [], "headings": [], "body": []})
        title, text = plain(doc.get("title", "")), plain(doc.get("text", ""))
        page["docs"].append(len(short))
        if "#" in loc:
            page["headings"].append(title)
        page["body"].append(text)
        shown = text
        if "#" not in loc and meta.get(page_loc, {}).get("answer"):  # a result shows the page's one-line answer
            shown = str(meta[page_loc]["answer"])
        snippet = shown if len(shown) <= text_limit else shown[:text_limit].rstrip() + "…"
        short.append({"location": loc, "title": html.escape(title), "text": html.escape(snippet)})

    postings: dict[str, list[float]] = {}
    chars: set[str] = set()
    index_pages = []
    for number, (loc, page) in enumerate(pages.items()):
        fm = meta.get(loc, {})
        fields = {
            "title": str(fm.get("title") or (short[page["docs"][0]]["title"] if page["docs"] else "")),
            "question": str(fm.get("question") or ""),
            "keywords": " ; ".join(str(k) for k in fm.get("keywords") or []),
            "tags": " ; ".join(str(t) for t in fm.get("tags") or []),
            "answer": str(fm.get("answer") or ""),
            "headings": " ; ".join(page["headings"]),
        }
        weight: dict[str, float] = {}
        topic: set[str] = set()
        for field, text in fields.items():
            words = set(tokens(text))
            for t in words:
                weight[t] = weight.get(t, 0.0) + WEIGHTS[field]
            if field in TOPIC:
                topic |= words
        hub = loc in HUBS
        # A hub's body is the answer pages' titles again: it is indexed by its own title and headings only.
        body = "" if hub else " ".join(page["body"])
        chars.update(CJK_CHARS.findall(normalize(" ".join(page["body"]) + " ".join(fields.values()))))
        counts: dict[str, int] = {}
        for t in tokens(body):
            counts[t] = counts.get(t, 0) + 1
        for t, tf in counts.items():
            weight[t] = weight.get(t, 0.0) + BODY * tf / (tf + 2)
        for t, w in weight.items():
            postings.setdefault(t, []).extend([number, -round(w, 1) if t in topic else round(w, 1)])
        index_pages.append({"docs": page["docs"], "hub": hub})
    return {
        "docs": short,
        "qa": {
            "pages": index_pages,
            "terms": postings,
            "synonyms": synonyms(glossary),
            "t2s": traditional_to_simplified(chars),
            "stop": sorted(STOP),
        },
    }


CJK_CHARS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
