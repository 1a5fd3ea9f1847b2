/* Material's search box runs a query on key release and focus only: a pasted error message
 * or a phrase committed by an input method showed nothing until a key was pressed. Here
 * every change of the query (typing, paste, drop, IME commit, autocomplete) is passed on as
 * the key release Material listens for. And when the worker (qa-search-worker.js) finds no
 * page that answers the query, the result list says so and offers the question index and
 * the page on proposing a question (docs/contributing.md). */
(function () {
  "use strict";
  var QUERY = "input.md-search__input";
  var NONE = "没有直接回答这个问题的页面";

  function release(input) {
    input.dispatchEvent(new KeyboardEvent("keyup", {key: "Unidentified", bubbles: true}));
  }
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches(QUERY) && !ev.isComposing) release(ev.target);
  }, true);
  document.addEventListener("compositionend", function (ev) {
    if (ev.target.matches && ev.target.matches(QUERY)) release(ev.target);
  }, true);

  function base() {
    try {
      return JSON.parse(document.getElementById("__config").textContent).base || ".";
    } catch (e) {
      return ".";
    }
  }

  function emptyState() {
    var meta = document.querySelector(".md-search-result__meta");
    if (!meta) return;
    var box = document.querySelector(".qa-search-empty");
    var input = document.querySelector(QUERY);
    var empty = meta.textContent.trim() === NONE && input && input.value.trim() !== "";
    if (!empty) {
      if (box) box.hidden = true;
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "qa-search-empty md-typeset";
      var p = document.createElement("p");
      p.append("本站还没有回答它的问答页。可以在");
      var faq = document.createElement("a");
      faq.href = base().replace(/\/?$/, "/") + "faq.html";
      faq.textContent = "问题索引";
      var contributing = document.createElement("a");
      contributing.href = base().replace(/\/?$/, "/") + "contributing.html";
      contributing.textContent = "怎样提一个新问题";
      p.append(faq, "里找相近的问题，或者看");
      p.append(contributing, "。");
      box.append(p);
      meta.after(box);
    }
    box.hidden = false;
  }
  var observer = new MutationObserver(emptyState);
  function watch() {
    var meta = document.querySelector(".md-search-result__meta");
    if (meta) observer.observe(meta, {childList: true, characterData: true, subtree: true});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
  document.addEventListener("input", function (ev) {
    if (ev.target.matches && ev.target.matches(QUERY)) setTimeout(emptyState, 0);
  });
})();
