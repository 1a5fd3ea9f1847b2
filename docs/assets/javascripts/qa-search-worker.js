/* The site's search worker (engine/search.py builds its index; overrides/main.html points
 * Material's search box at it). It speaks Material's worker protocol: SETUP {config, docs}
 * → READY; QUERY "text" → RESULT {items: [[page, ...sections], ...]}. It also runs from
 * file:// through the iframe-worker shim, and in Node for tests/test_search.py. */
"use strict";

var QA = (function () {
  var SPLIT = /([\u3400-\u4dbf\u4e00-\u9fff]+)|([a-z0-9_]+(?:\.[a-z0-9_]+)*)/g;
  var index = null; // {pages, terms: Map, vocab, synonyms, t2s, stop, docs, n}

  function normalize(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  function asciiTerms(chain, out) {
    var parts = chain.split(".");
    if (parts.length > 1) out.push(chain);
    parts.forEach(function (part) {
      out.push(part);
      var core = part.replace(/^_+|_+$/g, "");
      if (core !== part) out.push(core);
      if (core.indexOf("_") >= 0) core.split("_").forEach(function (p) { out.push(p); });
    });
  }

  /* The same as engine/search.py's tokens(): Chinese runs as character pairs, identifiers
   * whole and by their parts. Returns [{t: term, ascii: bool}]. */
  function tokens(text, stop) {
    var out = [], m;
    text = normalize(text);
    SPLIT.lastIndex = 0;
    while ((m = SPLIT.exec(text))) {
      if (m[1]) {
        var run = m[1];
        if (run.length === 1) out.push(run);
        for (var i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
      } else {
        var parts = [];
        asciiTerms(m[2], parts);
        parts.forEach(function (t) {
          if ((t.length > 1 || /^\d$/.test(t)) && !(stop && stop.has(t))) out.push(t);
        });
      }
    }
    return out;
  }

  function setup(data) {
    var qa = data.config.qa, terms = new Map(), vocab = [], t2s = new Map();
    Object.keys(qa.terms).forEach(function (t) {
      terms.set(t, qa.terms[t]);
      if (/^[a-z0-9_.]+$/.test(t) && t.length >= 4) vocab.push(t);
    });
    for (var i = 0; i + 1 < qa.t2s.length; i += 2) t2s.set(qa.t2s[i], qa.t2s[i + 1]);
    index = {
      pages: qa.pages, terms: terms, vocab: vocab, synonyms: qa.synonyms, t2s: t2s,
      stop: new Set(qa.stop), docs: data.docs, n: qa.pages.length,
      answers: qa.pages.filter(function (p) { return !p.hub; }).length
    };
  }

  /* Damerau–Levenshtein distance ≤ 1 (one insertion, deletion, substitution or swap). */
  function withinOne(a, b) {
    var la = a.length, lb = b.length;
    if (Math.abs(la - lb) > 1 || a === b) return a === b;
    var i = 0;
    while (i < la && i < lb && a[i] === b[i]) i++;
    if (la === lb) {
      if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
      return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
    }
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  function simplified(text) {
    var out = "";
    for (var ch of text) out += index.t2s.get(ch) || ch;
    return out;
  }

  /* The query's words, each with a weight: its own words 1, a glossary term it names 0.6,
   * a word one typo away from one it misspelled 0.8. */
  function queryTerms(query) {
    var text = simplified(normalize(query)), want = new Map(), rewritten = text;
    function add(t, w, group) {
      var old = want.get(t);
      if (!old || old.w < w) want.set(t, {w: w, group: group});
    }
    index.synonyms.forEach(function (pair) { // longest variants first
      var variant = pair[0], term = pair[1];
      if (rewritten.indexOf(variant) < 0) return;
      var re = /^[a-z0-9_ .-]+$/.test(variant) // ASCII: whole words only
        ? new RegExp("(^|[^a-z0-9_])" + escapeRe(variant) + "(?![a-z0-9_])", "g")
        : new RegExp("()" + escapeRe(variant), "g");
      rewritten = rewritten.replace(re, "$1\u0001" + term + "\u0001");
    });
    rewritten = rewritten.replace(/\u0001/g, " ");
    chains(rewritten).forEach(function (c) {
      tokens(c.text, index.stop).forEach(function (t) { add(t, 1, c.unit); });
    });
    tokens(text, index.stop).forEach(function (t) { add(t, 1, "o" + t); }); // words a synonym replaced
    for (var ch of rewritten) { // a lone character in the index (`比 torch.optim 慢`)
      if (/[\u3400-\u9fff]/.test(ch) && !PARTICLES.has(ch)) add(ch, 0.5, "o" + ch);
    }
    var found = [];
    want.forEach(function (v, t) {
      var post = index.terms.get(t);
      if (post) { found.push({t: t, w: v.w, group: v.group, post: post}); return; }
      if (/^[a-z0-9_.]{5,}$/.test(t)) { // a typo: the index's words one edit away
        index.vocab.forEach(function (cand) {
          if (withinOne(t, cand)) found.push({t: cand, w: 0.8 * v.w, group: v.group, post: index.terms.get(cand)});
        });
      }
    });
    return {found: found, asked: want, text: rewritten, typed: text};
  }

  /* The query's units for coverage: each Chinese run's pairs ("c" + pair) and each ASCII
   * chain ("a" + chain, all its parts one unit). */
  function chains(text) {
    var out = [], m;
    SPLIT.lastIndex = 0;
    while ((m = SPLIT.exec(text))) {
      if (m[1]) {
        var run = m[1];
        if (run.length === 1) out.push({text: run, unit: "c" + run});
        for (var i = 0; i + 1 < run.length; i++) out.push({text: run.slice(i, i + 2), unit: "c" + run.slice(i, i + 2)});
      } else if (!index.stop.has(m[2]) && (m[2].length > 1 || /\d/.test(m[2]))) {
        out.push({text: m[2], unit: "a" + m[2]});
      }
    }
    return out;
  }

  /* Document frequency among the answer pages: the hub pages (home, question index, tags,
   * verification report) repeat every title and would make every title word look common. */
  function df(post) {
    var n = 0;
    for (var i = 0; i < post.length; i += 2) if (!index.pages[post[i]].hub) n++;
    return n;
  }

  function idf(df) {
    return Math.log(1 + (index.answers - df + 0.5) / (df + 0.5));
  }

  /* Pages best first: [{page, score}], and whether the answer is honest ("none" when no
   * page matches the query's distinctive words). */
  function rank(query) {
    var q = queryTerms(query), score = new Float64Array(index.n), matched = [];
    for (var p = 0; p < index.n; p++) matched.push(new Map());
    var total = 0, groups = new Map();
    q.found.forEach(function (term) {
      var weight = term.w * idf(df(term.post));
      var g = groups.get(term.group) || 0;
      if (weight > g) groups.set(term.group, weight);
      for (var i = 0; i < term.post.length; i += 2) {
        var page = term.post[i];
        score[page] += weight * Math.abs(term.post[i + 1]);
        var m = matched[page].get(term.group) || 0;
        if (weight > m) matched[page].set(term.group, weight);
      }
    });
    groups.forEach(function (w) { total += w; });
    var ranked = [];
    for (p = 0; p < index.n; p++) {
      if (score[p] <= 0) continue;
      var got = 0;
      matched[p].forEach(function (w) { got += w; });
      var cover = total ? got / total : 0;
      ranked.push({page: p, score: score[p] * cover * cover, cover: cover, got: got});
    }
    ranked.sort(function (a, b) {
      var ha = index.pages[a.page].hub, hb = index.pages[b.page].hub;
      return ha !== hb ? (ha ? 1 : -1) : b.score - a.score;
    });
    return {ranked: ranked, terms: q};
  }

  function search(query) {
    if (!index || !query.trim()) return [];
    var r = rank(query), best = r.ranked[0];
    if (!best || !distinctive(r)) return [];
    var cut = best.score * 0.15;
    return r.ranked.filter(function (x, i) { return i < 3 || x.score >= cut; }).slice(0, 12).map(function (x) {
      return group(x, r.terms);
    });
  }

  /* How much of what makes the query specific the page matches, 0..1: each Chinese
   * character and each ASCII word of the query weighs as much as its rarest known word
   * (a character or word the index does not know at all weighs the most); particles that
   * only appear in unknown pairs are left out. A word of the page's topic (title,
   * `question`, `keywords`, tags, answer: stored with a negative weight) counts in full,
   * a word only in its headings or body counts MENTION: a passing mention in a code
   * block or an aside is not an answer. */
  var PARTICLES = new Set("的了吗呢啊吧呀是在把被和与就都也还又很这那个么怎什为啥哪会能要我你他她它们有没不到得着过给让用对从向该应请问下说一些法办回事样".split(""));
  function coverage(r, page) {
    var found = r.terms.found, unknown = idf(1), got = 0, total = 0;
    var inPage = function (t) { // 1: a word of the page's topic; MENTION: in its headings or body only
      for (var i = 0; i < t.post.length; i += 2) if (t.post[i] === page) return t.post[i + 1] < 0 ? 1 : MENTION;
      return 0;
    };
    var chars = new Map(); // char -> [weight, covered, known]
    var words = new Map(); // ASCII chain -> [weight, covered weight, known]
    r.terms.asked.forEach(function (v, t) {
      if (v.group[0] === "c") {
        var term = found.filter(function (f) { return f.t === t; })[0];
        for (var ch of t) {
          var c = chars.get(ch) || [0, 0, false];
          if (term) { c[0] = Math.max(c[0], idf(df(term.post))); c[2] = true; c[1] = Math.max(c[1], inPage(term)); }
          chars.set(ch, c);
        }
      } else if (v.group[0] === "a" && !words.has(v.group)) {
        words.set(v.group, [unknown, 0, false]);
      }
    });
    found.forEach(function (f) {
      var w = words.get(f.group);
      if (!w) return;
      var weight = idf(df(f.post));
      w[0] = w[2] ? Math.max(w[0], weight) : weight; w[2] = true;
      w[1] = Math.max(w[1], weight * inPage(f));
    });
    chars.forEach(function (c, ch) {
      if (!c[2]) { if (PARTICLES.has(ch)) return; c[0] = unknown; }
      total += c[0]; got += c[0] * c[1];
    });
    words.forEach(function (w) { total += w[0]; got += Math.min(w[1], w[0]); });
    return total ? got / total : 0;
  }

  /* Does the best answer page match what makes this query specific? */
  function distinctive(r) {
    var best = r.ranked.filter(function (x) { return !index.pages[x.page].hub; })[0];
    if (!best) return false;
    r.cover = coverage(r, best.page);
    return !unknownName(r) && (r.cover >= QA_MIN_COVER || named(r, best.page));
  }

  /* A Chinese question about an ASCII name of 3+ letters that no page has, not even one
   * typo away (`yolo训练自己的数据集`): what it is about is not on this site, however many of
   * its Chinese words are. (In an English sentence an unknown word is more often filler.) */
  function unknownName(r) {
    var known = new Set(r.terms.found.map(function (f) { return f.group; })), name = false;
    r.terms.asked.forEach(function (v, t) {
      if (v.group[0] === "a" && !known.has(v.group) && /^[a-z]{3,}$/.test(t)) name = true;
    });
    return name && /[\u3400-\u9fff]/.test(r.terms.typed); // as typed: a glossary rewrite adds Chinese
  }
  var QA_MIN_COVER = 0.36, MENTION = 0.5;

  /* Or the page names a rare word of 5+ letters of the query (on at most 3 pages) in its title,
   * `question` or `keywords` (a weight of 5 or more: engine/search.py WEIGHTS). */
  function named(r, page) {
    return r.terms.found.some(function (f) {
      if (f.group[0] === "o" || df(f.post) > 3 || f.t.length < 5) return false;
      for (var i = 0; i < f.post.length; i += 2) if (f.post[i] === page && -f.post[i + 1] >= 5) return true;
      return false;
    });
  }

  function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /* What to highlight on the page a result opens (Material's `search.highlight` reads them
   * from the link's `?h=`): each stretch of a Chinese run of the query whose pairs are all
   * on the page (`梯度累加`, not `梯度` and `累加`), less particles at its ends, and the
   * query's ASCII words of 3+ letters found there. */
  function highlight(page, q) {
    var on = new Set(), out = [], m;
    q.found.forEach(function (t) {
      for (var i = 0; i < t.post.length; i += 2) if (t.post[i] === page) { on.add(t.t); return; }
    });
    SPLIT.lastIndex = 0;
    while ((m = SPLIT.exec(q.text))) {
      if (!m[1]) continue;
      for (var i = 0, start = -1; i + 1 <= m[1].length; i++) {
        var pair = i + 1 < m[1].length && on.has(m[1].slice(i, i + 2));
        if (pair && start < 0) start = i;
        if (!pair && start >= 0) { out.push(trim(m[1].slice(start, i + 1))); start = -1; }
      }
    }
    q.found.forEach(function (t) {
      if (t.group[0] !== "c" && /^[a-z0-9_.]{3,}$/.test(t.t) && on.has(t.t)) out.push(t.t);
    });
    var terms = {};
    out = out.filter(function (w) { return w.length > 1; });
    out.sort(function (a, b) { return b.length - a.length; }).forEach(function (w) { terms[w] = true; });
    return terms;
  }

  /* A stretch without the particles at its ends (`梯度会` → `梯度`, `怎么用` → ``). */
  function trim(run) {
    var a = 0, b = run.length;
    while (a < b && PARTICLES.has(run[a])) a++;
    while (b > a && PARTICLES.has(run[b - 1])) b--;
    return run.slice(a, b);
  }

  /* One result: the page entry, then its sections that hold a matched word. */
  function group(x, q) {
    var page = index.pages[x.page], words = [], found = q.found, terms = highlight(x.page, q);
    found.forEach(function (t) {
      for (var i = 0; i < t.post.length; i += 2) if (t.post[i] === x.page) { words.push(t.t); return; }
    });
    words = words.filter(function (w) { return w.length > 1 || /[^\x00-\x7f]/.test(w); });
    words.sort(function (a, b) { return b.length - a.length; });
    var re = words.length ? new RegExp("(" + words.map(escapeRe).join("|") + ")", "gi") : null;
    function mark(s) { return re ? s.replace(re, "<mark>$1</mark>") : s; }
    var items = [];
    page.docs.forEach(function (d, i) {
      var doc = index.docs[d], hit = re && (re.test(doc.title) || re.test(doc.text));
      if (re) re.lastIndex = 0;
      if (i > 0 && !hit) return;
      items.push({
        location: doc.location, title: mark(doc.title), text: mark(doc.text),
        score: i === 0 ? x.score : x.score / (i + 1), terms: terms
      });
    });
    return items.slice(0, 4);
  }

  return {setup: setup, search: search, coverage: coverage, setMin: function (v) { QA_MIN_COVER = v; }, setMention: function (v) { MENTION = v; }, rank: rank, tokens: tokens, withinOne: withinOne, highlight: function (q) { var r = rank(q); return r.ranked.slice(0, 3).map(function (x) { return highlight(x.page, r.terms); }); }};
})();

if (typeof module !== "undefined" && module.exports) {
  module.exports = QA;
} else {
  addEventListener("message", function (ev) {
    var message = ev.data;
    if (message.type === 0) { // SETUP
      QA.setup(message.data);
      postMessage({type: 1}); // READY
    } else if (message.type === 2) { // QUERY
      postMessage({type: 3, data: {items: QA.search(message.data)}}); // RESULT
    }
  });
}
