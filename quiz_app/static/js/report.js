/* 学习竞答平台 — writing a 一学一报 report. Plain ES2017, no libraries.
 *
 * The text is saved as it is typed (debounced PUT with an increasing sequence number, like the
 * quiz page): the newest unsent text waits in localStorage and is resent with backoff when the
 * network returns, so a flaky connection or a reload loses nothing; the server ignores a save
 * whose number is not above the last one it stored, so an old save never overwrites newer text.
 */
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  if (!form) return;
  var area = document.getElementById("body");
  var state = document.getElementById("save-state");
  var count = document.getElementById("char-count");
  var seqInput = form.querySelector("input[name=seq]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var api = form.dataset.api;
  var KEY = "report." + form.dataset.requirement + ".";
  var DEBOUNCE_MS = 800;
  var TIMEOUT_MS = 15000;

  var memory = {};
  function load(name, fallback) {
    var raw;
    try { raw = window.localStorage.getItem(KEY + name); } catch (e) { raw = memory[name]; }
    if (raw == null) return fallback;
    try { return JSON.parse(raw); } catch (e) { return fallback; }
  }
  function store(name, value) {
    var raw = JSON.stringify(value);
    memory[name] = raw;
    try { window.localStorage.setItem(KEY + name, raw); } catch (e) { /* memory only */ }
  }
  function forget(name) {
    delete memory[name];
    try { window.localStorage.removeItem(KEY + name); } catch (e) { /* nothing */ }
  }

  var seq = Math.max(Number(form.dataset.seq) || 0, load("seq", 0));
  var pending = load("pending", null); // {body, seq}: newest text not yet confirmed by the server
  var sending = false;
  var timer = null;
  var retryTimer = null;
  var backoff = 0;
  var online = true;
  var fatal = null;

  function chars(text) { return text.replace(/\s+/g, "").length; }
  function show() {
    var text, cls;
    if (fatal) { text = fatal; cls = "save-bad"; }
    else if ((pending || timer) && (navigator.onLine === false || !online)) { text = "离线，将自动重试"; cls = "save-off"; }
    else if (pending || timer || sending) { text = "保存中…"; cls = "save-busy"; }
    else { text = "已保存"; cls = "save-ok"; }
    if (state.textContent !== text) state.textContent = text;
    state.className = "save-state " + cls;
    count.textContent = String(chars(area.value));
  }

  function nextSeq() {
    seq = Math.max(seq, load("seq", 0)) + 1;
    store("seq", seq);
    seqInput.value = String(seq);
    return seq;
  }

  function queue() {
    timer = null;
    pending = { body: area.value, seq: nextSeq() };
    store("pending", pending);
    pump();
  }

  function retry() {
    if (retryTimer) return;
    backoff = Math.min(backoff ? backoff * 2 : 1000, 30000);
    retryTimer = window.setTimeout(function () { retryTimer = null; pump(); }, backoff);
  }

  function pump() {
    show();
    if (sending || !pending || fatal) return;
    if (navigator.onLine === false) { online = false; show(); retry(); return; }
    var entry = pending;
    sending = true;
    var abort = typeof AbortController === "function" ? new AbortController() : null;
    var guard = abort ? window.setTimeout(function () { abort.abort(); }, TIMEOUT_MS) : null;
    fetch(api, {
      method: "PUT",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ body: entry.body, seq: entry.seq }),
      signal: abort ? abort.signal : undefined
    }).then(function (res) {
      window.clearTimeout(guard);
      return res.json().catch(function () { return {}; }).then(function (json) {
        sending = false;
        if (res.ok) {
          online = true;
          backoff = 0;
          if (typeof json.seq === "number" && json.seq > seq) { seq = json.seq; store("seq", seq); seqInput.value = String(seq); }
          if (pending === entry) { pending = null; forget("pending"); }
        } else if (res.status === 409 || res.status === 403 || res.status === 401 || res.status === 400) {
          fatal = json.error || "无法保存，请刷新页面";
        } else if (res.status === 422) {
          fatal = json.error || "内容无法保存";
        } else {
          online = false;
          retry();
        }
        pump();
      });
    }, function () {
      window.clearTimeout(guard);
      sending = false;
      online = false;
      retry();
      show();
    });
  }

  // Text typed offline before a reload comes back, and goes out.
  if (pending && pending.seq > (Number(form.dataset.seq) || 0) && pending.body !== area.value) {
    area.value = pending.body;
  } else if (pending && pending.seq <= (Number(form.dataset.seq) || 0)) {
    pending = null;
    forget("pending");
  }
  seqInput.value = String(seq);

  area.addEventListener("input", function () {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(queue, DEBOUNCE_MS);
    show();
  });
  window.addEventListener("online", function () { online = true; pump(); });
  window.addEventListener("offline", function () { online = false; show(); });
  form.addEventListener("submit", function () {
    // The form posts the text itself; a save still on the wire is then refused (409) harmlessly.
    if (timer) { window.clearTimeout(timer); timer = null; }
    nextSeq();
    pending = null;
    forget("pending");
  });
  show();
  pump();
})();
