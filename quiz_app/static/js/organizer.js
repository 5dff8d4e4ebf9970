/* Organizer pages: the "复制提醒文字" button (shown only when scripts run; the text area still
   works by long-press without them). */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = document.querySelector("[data-copy-done]");
      function shown() { if (done) done.hidden = false; }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(shown, function () {
          source.select(); document.execCommand("copy"); shown();
        });
      } else {
        source.focus(); source.select(); document.execCommand("copy"); shown();
      }
    });
  });
})();

/* The random-draw form: only the chosen banks' categories, and a live count next to 题数. */
(function () {
  "use strict";
  var form = document.getElementById("random-section");
  if (!form) return;
  var boxes = document.getElementById("category-boxes");
  var out = document.getElementById("pool-count");
  var map = {};
  try { map = JSON.parse(boxes ? boxes.getAttribute("data-category-banks") || "{}" : "{}"); } catch (e) { map = {}; }

  function ticked(name) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="' + name + '"]:checked'),
      function (i) { return i.value; });
  }

  function filterCategories() {
    if (!boxes) return;
    var banks = ticked("bank_ids");
    boxes.querySelectorAll('input[name="categories"]').forEach(function (input) {
      var item = input.closest("li") || input.parentNode;
      var owners = (map[input.value] || []).map(String);
      var show = input.checked || banks.length === 0 ||
        owners.some(function (b) { return banks.indexOf(b) >= 0; });
      item.hidden = !show;
    });
  }

  var pending = null;
  function refreshCount() {
    if (!out) return;
    var params = new URLSearchParams();
    var type = form.querySelector('[name="question_type"]');
    params.append("question_type", type ? type.value : "");
    ["bank_ids", "categories", "difficulties"].forEach(function (name) {
      ticked(name).forEach(function (v) { params.append(name, v); });
    });
    if (ticked("bank_ids").length === 0) {
      out.textContent = "请先选择题库";
      out.hidden = false;
      return;
    }
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.getAttribute("data-count-url") + "?" + params.toString(),
      { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var count = form.querySelector('[name="count"]');
        var want = count ? parseInt(count.value, 10) : NaN;
        out.textContent = "符合条件的题目：" + data.count + " 道" +
          (want > data.count ? "（不够抽 " + want + " 道）" : "");
        out.classList.toggle("error", want > data.count);
        out.hidden = false;
      })
      .catch(function () { /* offline: the server checks on save */ });
  }

  form.addEventListener("change", function () { filterCategories(); refreshCount(); });
  form.addEventListener("input", function (e) {
    if (e.target && e.target.name === "count") refreshCount();
  });
  filterCategories();
  refreshCount();
})();
