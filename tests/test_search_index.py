"""engine/search.py's index on a small made-up site: which words are a page's topic, and
what a hub page is indexed by (no site build, no browser)."""

from __future__ import annotations

from pathlib import Path

from engine.search import build, tokens

DOCS = [
    {"location": "index.html", "title": "首页", "text": "梯度累加 学习率预热"},
    {"location": "qa/accum.html", "title": "梯度累加怎么用？", "text": "用 DataLoader 读数据，梯度累加。"},
    {"location": "qa/accum.html#ddp", "title": "多卡训练", "text": "no_sync()"},
    {"location": "qa/warmup.html", "title": "学习率预热", "text": "warmup 的写法"},
]
META = {
    "qa/accum.html": {"title": "梯度累加怎么用？", "answer": "攒齐再 step()", "keywords": ["梯度累加"]},
    "qa/warmup.html": {"title": "学习率预热", "tags": ["调度"]},
}


def postings(term: str) -> dict[int, float]:
    terms = build(DOCS, META, Path("no-glossary.yml"))["qa"]["terms"]
    post = terms.get(term, [])
    return dict(zip(post[::2], post[1::2]))


def test_topic_words_are_stored_negative_mentions_positive():
    # title, keywords, answer: the page's topic (negative); a heading or the body: a mention
    assert postings("累加")[1] < 0 and postings("step")[1] < 0
    assert postings("dataloader")[1] > 0 and postings("多卡")[1] > 0
    assert postings("调度")[2] < 0 and postings("warmup")[2] > 0


def test_hub_pages_are_not_indexed_by_their_body():
    # the home page lists the answer pages' titles: only its own title counts
    assert 0 not in postings("累加") and 0 not in postings("预热")
    assert postings("首页")[0] < 0


def test_weights_rank_title_above_body():
    assert abs(postings("预热")[2]) > abs(postings("warmup")[2])
    assert tokens("多卡训练DDP") == ["多卡", "卡训", "训练", "ddp"]
