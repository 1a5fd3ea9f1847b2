/* Run by benchmarks/search_segmenter.py (see there): the site's search worker with its Chinese
 * character pairs replaced by Intl.Segmenter's words, on an index built here the way
 * engine/search.py builds it (a port: same fields, weights, topic sign, hub pages).
 *   node search_segmenter.js MODE DUMP SITE_INDEX QUERIES WORKER
 * MODE: pairs (as the site: checks the port) or segmenter. Prints one JSON line. */
"use strict";
const fs = require("fs");
const [MODE, DUMP, SITE_INDEX, QUERIES, WORKER] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(DUMP, "utf8")); // {docs: Material's index docs, meta: front matter}
const site = JSON.parse(fs.readFileSync(SITE_INDEX, "utf8")); // synonyms, t2s, stop from the real build
const seg = new Intl.Segmenter('zh', {granularity: 'word'});
function cjkWords(run) {
  if (MODE === 'pairs') { if (run.length === 1) return [run]; const o = []; for (let i = 0; i + 1 < run.length; i++) o.push(run.slice(i, i + 2)); return o; }
  return [...seg.segment(run)].filter(x => x.isWordLike).map(x => x.segment);
}
let src = fs.readFileSync(WORKER, 'utf8');
src = src.replace(`        if (run.length === 1) out.push(run);
        for (var i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));`, `        CJK(run).forEach(function (w) { out.push(w); });`);
src = src.replace(`        if (run.length === 1) out.push({text: run, unit: "c" + run});
        for (var i = 0; i + 1 < run.length; i++) out.push({text: run.slice(i, i + 2), unit: "c" + run.slice(i, i + 2)});`, `        CJK(run).forEach(function (w) { out.push({text: w, unit: "c" + w}); });`);
if (!src.includes('CJK(run).forEach(function (w) { out.push(w)') || !src.includes('unit: "c" + w}')) throw new Error('worker changed: patch failed');
const QA = new Function('CJK', 'module', src + '\nreturn QA;')(cjkWords, {exports: {}});
// index: the same fields and weights as engine/search.py
const STOP = new Set(site.config.qa.stop);
const WEIGHTS = {title: 8, question: 5, keywords: 5, tags: 3, answer: 1, headings: 2}, TOPIC = new Set(['title', 'question', 'keywords', 'tags', 'answer']);
const HUBS = new Set(['index.html', 'faq.html', 'tags.html', 'verification.html']);
const tok = t => QA.tokens(t, STOP);
const plain = h => h.replace(/\u200b/g, '').replace(/<[^>]+>/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim();
const pages = new Map(), short = [];
for (const d of raw.docs) {
  const loc = d.location.split('#')[0] || 'index.html';
  if (!pages.has(loc)) pages.set(loc, {docs: [], headings: [], body: []});
  const p = pages.get(loc), title = plain(d.title || ''), text = plain(d.text || '');
  p.docs.push(short.length); if (d.location.includes('#')) p.headings.push(title); p.body.push(text);
  short.push({location: d.location, title, text: text.slice(0, 200)});
}
const terms = {}, ipages = [];
let n = 0;
for (const [loc, p] of pages) {
  const fm = raw.meta[loc] || {};
  const fields = {title: String(fm.title || (p.docs.length ? short[p.docs[0]].title : '')), question: String(fm.question || ''),
    keywords: (fm.keywords || []).join(' ; '), tags: (fm.tags || []).join(' ; '), answer: String(fm.answer || ''), headings: p.headings.join(' ; ')};
  const w = new Map(), topic = new Set();
  for (const [f, t] of Object.entries(fields)) for (const x of new Set(tok(t))) { w.set(x, (w.get(x) || 0) + WEIGHTS[f]); if (TOPIC.has(f)) topic.add(x); }
  const hub = HUBS.has(loc), counts = new Map();
  if (!hub) for (const x of tok(p.body.join(' '))) counts.set(x, (counts.get(x) || 0) + 1);
  for (const [x, tf] of counts) w.set(x, (w.get(x) || 0) + 3 * tf / (tf + 2));
  for (const [x, v] of w) (terms[x] = terms[x] || []).push(n, topic.has(x) ? -Math.round(v * 10) / 10 : Math.round(v * 10) / 10);
  ipages.push({docs: p.docs, hub}); n++;
}
const data = {docs: short, config: {qa: {pages: ipages, terms, synonyms: site.config.qa.synonyms, t2s: site.config.qa.t2s, stop: site.config.qa.stop}}};
const size = Buffer.byteLength(JSON.stringify(data));
QA.setup(data);
const qs = JSON.parse(fs.readFileSync(QUERIES, 'utf8'));
const stats = {}, times = [], fails = [];
for (const c of qs) {
  const t0 = process.hrtime.bigint();
  const pagesOut = QA.search(c.q).map(it => it[0].location.split('#')[0].replace(/\.html$/, '') || 'index');
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const ok = c.page === 'none' ? pagesOut.length === 0 : pagesOut.slice(0, 3).some(p => (Array.isArray(c.page) ? c.page : [c.page]).includes(p));
  const k = c.list + ':' + c.kind; stats[k] = stats[k] || [0, 0]; stats[k][1]++; if (ok) stats[k][0]++; else fails.push(c.q.slice(0, 30));
}
times.sort((a, b) => a - b);
const tot = l => Object.entries(stats).filter(([k]) => k.startsWith(l)).reduce((a, [, v]) => [a[0] + v[0], a[1] + v[1]], [0, 0]);
console.log(JSON.stringify({mode: MODE, indexKiB: +(size / 1024).toFixed(1), terms: Object.keys(terms).length, own: tot('own'), blind: tot('blind'), stats,
  nodeMedianMs: +times[times.length >> 1].toFixed(2), nodeWorstMs: +times[times.length - 1].toFixed(2), fails}));
