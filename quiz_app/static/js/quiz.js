/* 学习竞答平台 — the quiz page. Plain ES2017, no libraries, no build step.
 *
 * One question per screen; every change is saved at once with PUT and an increasing sequence
 * number. Unsent saves wait in localStorage (per attempt) and go out in order, so nothing typed is
 * lost to a flaky network or a reload. The countdown uses the server's clock, never the phone's.
 */
(function () {
  "use strict";

  var root = document.getElementById("quiz");
  if (!root) return;

  var cfg = {
    id: root.dataset.attemptId,
    api: root.dataset.api,
    submit: root.dataset.submit,
    saveBase: root.dataset.saveBase,
    result: root.dataset.result,
    csrf: root.dataset.csrf,
    // 试答 (an organizer's trial): the paper is in the page, answers stay in the page, and 交卷
    // posts them once to be graded; nothing is saved on the server before that.
    trial: root.dataset.trial || null,
    token: root.dataset.token || ""
  };
  var TYPES = { single: "单选", multiple: "多选", judge: "判断", blank: "填空" };
  var KEY = "quiz." + cfg.id + ".";
  var DEBOUNCE_MS = 600;
  var REQUEST_TIMEOUT_MS = 15000;

  var data = null; // the attempt payload
  var answers = {}; // question id -> answer (as shown)
  var flags = {}; // question id -> true
  var queue = []; // unsent saves, oldest first: {q, a, f, s}
  var seq = 0;
  var index = 0; // current question
  var offset = 0; // server clock − phone clock, ms
  var bestRtt = Infinity;
  var deadline = null; // ms, server clock
  var sending = null; // the save on the wire
  var retryTimer = null;
  var backoff = 0;
  var typing = null; // {q, timer} pending blank text
  var finishing = false;
  var leaving = false;
  var announced = {};
  var els = {};
  var lastFocus = null;

  // --- storage (private mode and full quotas must not break the quiz) ---------------------------
  var memory = {};
  function load(name, fallback) {
    var raw;
    try {
      raw = window.localStorage.getItem(KEY + name);
    } catch (e) {
      raw = memory[name];
    }
    if (raw == null) return fallback;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function store(name, value) {
    var raw = JSON.stringify(value);
    memory[name] = raw;
    try {
      window.localStorage.setItem(KEY + name, raw);
    } catch (e) {
      /* kept in memory only */
    }
  }
  function forget() {
    ["queue", "seq", "pos"].forEach(function (n) {
      delete memory[n];
      try {
        window.localStorage.removeItem(KEY + n);
      } catch (e) {
        /* nothing to do */
      }
    });
  }

  // --- small DOM helper --------------------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var k;
    for (k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k === "on") Object.keys(v).forEach(function (ev) { el.addEventListener(ev, v[ev]); });
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return el;
  }

  function parseTime(s) {
    if (!s) return null;
    // Python writes microseconds; keep milliseconds so every browser parses it.
    return Date.parse(String(s).replace(/(\.\d{3})\d+/, "$1"));
  }
  function serverNow() {
    return Date.now() + offset;
  }
  function clockSample(serverIso, sentAt) {
    var t = parseTime(serverIso);
    if (t == null || isNaN(t)) return;
    var got = Date.now();
    var rtt = got - sentAt;
    if (rtt <= bestRtt) {
      bestRtt = rtt;
      offset = t - (sentAt + got) / 2;
    }
  }
  function points(s) {
    var n = Number(s);
    return (isNaN(n) ? s : String(Math.round(n * 100) / 100)) + " 分"; // "3", "1.5", "0.25" as the server writes
  }

  function answered(q, a) {
    if (a == null) return false;
    if (q.type === "multiple") return Array.isArray(a) && a.length > 0;
    if (q.type === "blank") return Array.isArray(a) && a.some(function (t) { return String(t).trim() !== ""; });
    return true;
  }
  function counts() {
    var left = 0;
    var flagged = 0;
    data.questions.forEach(function (q) {
      if (!answered(q, answers[q.id])) left++;
      if (flags[q.id]) flagged++;
    });
    return { left: left, flagged: flagged, total: data.questions.length };
  }

  // --- network -----------------------------------------------------------------------------------
  function request(method, url, body, keepalive) {
    var opts = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": cfg.csrf },
      cache: "no-store"
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (keepalive) opts.keepalive = true;
    // A request the network swallows must not hold up the queue: give up and retry.
    var abort = typeof AbortController === "function" ? new AbortController() : null;
    var timer = null;
    if (abort) {
      opts.signal = abort.signal;
      timer = window.setTimeout(function () { abort.abort(); }, REQUEST_TIMEOUT_MS);
    }
    return fetch(url, opts)
      .then(function (res) {
        return res
          .json()
          .catch(function () { return {}; })
          .then(function (json) { return { status: res.status, ok: res.ok, json: json || {} }; });
      })
      .then(
        function (r) {
          window.clearTimeout(timer);
          return r;
        },
        function (err) {
          window.clearTimeout(timer);
          throw err;
        }
      );
  }

  function goResult() {
    if (leaving) return;
    leaving = true;
    forget();
    if (cfg.trial) {
      postTrial();
      return;
    }
    window.location.assign(cfg.result);
  }
  function postTrial() {
    var form = h("form", { method: "post", action: cfg.trial, hidden: true });
    var fields = { csrf_token: cfg.csrf, token: cfg.token, answers: JSON.stringify(answers), auto: autoFinish ? "1" : "" };
    Object.keys(fields).forEach(function (k) {
      form.appendChild(h("input", { type: "hidden", name: k, value: fields[k] }));
    });
    document.body.appendChild(form);
    form.submit();
  }

  // The attempt ended without this page handing it in (time, an early close, another phone):
  // say how, truthfully, from the server's record, before leaving for the result.
  var ending = false;
  function endedElsewhere() {
    if (ending || leaving) return;
    ending = true;
    request("GET", cfg.api).then(
      function (res) {
        var r = res.ok && res.json.result;
        if (r && r.end_label) showEnd(r.end_reason === "submitted" ? "本次作答已交卷（可能在另一部手机上）" : r.end_label);
        else goResult();
      },
      function () { goResult(); }
    );
  }
  function showEnd(text) {
    finishing = true;
    ending = true;
    Array.prototype.forEach.call(root.querySelectorAll("input, button"), function (el) { el.disabled = true; });
    closeSheet();
    closeConfirm();
    if (!els.finishing) {
      goResult();
      return;
    }
    els.finishing.hidden = false;
    els.finishing.classList.add("auto", "qz-ended");
    els.finishing.textContent = "";
    els.finishing.appendChild(h("span", { text: text + "。" }));
    els.finishing.appendChild(h("a", { class: "btn btn-primary qz-ended-go", href: cfg.result, on: { click: function () { forget(); } } }, "查看成绩"));
    els.alarm.textContent = text;
    window.setTimeout(goResult, 4000);
  }

  // --- saving ------------------------------------------------------------------------------------
  function nextSeq() {
    seq = Math.max(seq, load("seq", 0)) + 1;
    store("seq", seq);
    return seq;
  }

  function enqueue(qid) {
    var entry = { q: qid, a: answers[qid] == null ? null : answers[qid], f: !!flags[qid], s: nextSeq() };
    // An older unsent save of the same question is superseded (the one on the wire stays).
    queue = queue.filter(function (e) { return e.q !== qid || e === sending; });
    queue.push(entry);
    store("queue", queue);
    updateStatus();
    pump();
  }

  function scheduleRetry() {
    if (retryTimer) return;
    backoff = Math.min(backoff ? backoff * 2 : 1000, 30000);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      pump();
    }, backoff + Math.floor(Math.random() * 400));
  }

  function pump() {
    if (cfg.trial) {
      // Nothing goes to the server before 交卷: the answers object is the whole record.
      queue = [];
      store("queue", queue);
      updateStatus();
      if (finishing) doSubmit();
      return;
    }
    if (sending || leaving || !queue.length) {
      updateStatus();
      if (!queue.length && finishing) doSubmit();
      return;
    }
    if (navigator.onLine === false) {
      updateStatus();
      scheduleRetry();
      return;
    }
    var entry = queue[0];
    sending = entry;
    updateStatus();
    var sentAt = Date.now();
    var body = { answer: entry.a, seq: entry.s, flagged: entry.f };
    request("PUT", cfg.saveBase + entry.q, body, true).then(
      function (res) {
        sending = null;
        if (res.ok) {
          clockSample(res.json.saved_at, sentAt);
          // Not applied: another phone saved this question with a later number; number on from it.
          if (res.json.applied === false && typeof res.json.seq === "number" && res.json.seq > seq) {
            seq = res.json.seq;
            store("seq", seq);
          }
          done(entry);
          backoff = 0;
          net.ok = true;
          pump();
        } else if (res.status === 409) {
          endedElsewhere();
        } else if (res.status === 422 || res.status === 404) {
          done(entry);
          showError((res.json && res.json.error) || "答案格式不正确");
          pump();
        } else if (res.status === 401 || res.status === 403 || (res.status === 400 && res.json.code === "csrf")) {
          net.fatal = (res.json && res.json.error) || "登录已失效，请刷新页面后重新登录";
          updateStatus();
        } else {
          net.ok = false;
          updateStatus();
          scheduleRetry();
        }
      },
      function () {
        sending = null;
        net.ok = false;
        updateStatus();
        scheduleRetry();
      }
    );
  }
  var net = { ok: true, fatal: null };

  function done(entry) {
    queue = queue.filter(function (e) { return e !== entry; });
    store("queue", queue);
  }

  function flushTyping() {
    if (!typing) return;
    window.clearTimeout(typing.timer);
    var qid = typing.q;
    typing = null;
    enqueue(qid);
  }

  function updateStatus() {
    if (!els.save) return;
    var text;
    var cls;
    if (cfg.trial) {
      text = "试答，不计成绩";
      cls = "qz-save-ok";
    } else if (net.fatal) {
      text = net.fatal;
      cls = "qz-save-bad";
    } else if ((queue.length || typing) && (navigator.onLine === false || !net.ok)) {
      text = "离线，将自动重试";
      cls = "qz-save-off";
    } else if (queue.length || typing || sending) {
      text = "保存中…";
      cls = "qz-save-busy";
    } else {
      text = "已保存";
      cls = "qz-save-ok";
    }
    if (els.save.textContent !== text) els.save.textContent = text;
    els.save.className = "qz-save " + cls;
    if (finishing && !ending) {
      els.finishing.textContent = queue.length
        ? (navigator.onLine === false || !net.ok ? "正在交卷：网络中断，恢复后自动继续…" : "正在交卷：保存最后的答案…")
        : "正在交卷…";
    }
  }

  // --- changes -----------------------------------------------------------------------------------
  function change(q, value) {
    if (finishing) return;
    answers[q.id] = value;
    clearError();
    enqueue(q.id);
    refreshMarks();
  }

  function typed(q) {
    if (finishing) return;
    var values = Array.prototype.map.call(els.card.querySelectorAll("input.qz-blank"), function (i) { return i.value; });
    answers[q.id] = values;
    if (typing && typing.q !== q.id) flushTyping();
    if (typing) window.clearTimeout(typing.timer);
    else typing = { q: q.id };
    typing.timer = window.setTimeout(flushTyping, DEBOUNCE_MS);
    updateStatus();
    refreshMarks();
  }

  function toggleFlag() {
    if (finishing) return;
    var q = data.questions[index];
    flags[q.id] = !flags[q.id];
    if (typing && typing.q === q.id) {
      window.clearTimeout(typing.timer);
      typing = null;
    }
    enqueue(q.id);
    renderFlag(q);
    refreshMarks();
  }

  // --- rendering ---------------------------------------------------------------------------------
  function shell() {
    root.textContent = "";
    els.timer = h("span", { class: "qz-timer", role: "timer" });
    els.save = h("span", { class: "qz-save qz-save-ok", role: "status", "aria-live": "polite", text: "已保存" });
    els.submitTop = h("button", { type: "button", class: "btn btn-primary qbar-submit", on: { click: confirmSubmit } }, "交卷");
    els.banner = h("p", { class: "qz-banner", hidden: true });
    els.bar = h("div", { class: "qbar" }, h("div", { class: "qbar-info" }, els.timer, els.save), els.submitTop, els.banner);
    els.alarm = h("p", { class: "sr-only", "aria-live": "assertive", "aria-atomic": "true" });
    els.card = h("section", { class: "qcard card", "aria-labelledby": "qz-head" });
    els.error = h("p", { class: "qerror", role: "alert" });
    els.finishing = h("p", { class: "qz-finishing", role: "status", hidden: true });
    els.prev = h("button", { type: "button", class: "btn nav-prev", on: { click: function () { go(index - 1); } } }, "上一题");
    els.sheetBtn = h(
      "button",
      { type: "button", class: "btn nav-sheet", "aria-haspopup": "dialog", "aria-controls": "qz-sheet", on: { click: openSheet } },
      "答题卡"
    );
    els.next = h("button", { type: "button", class: "btn btn-primary nav-next", on: { click: onNext } }, "下一题");
    els.nav = h("nav", { class: "qnav", "aria-label": "题目切换" }, els.prev, els.sheetBtn, els.next);
    els.sheet = buildSheet();
    els.confirm = buildConfirm();
    var title = h("h1", { class: "qtitle", text: data.quiz_title });
    root.append(els.bar, title, els.alarm, els.finishing, els.card, els.error, els.nav, els.sheet, els.confirm);
    if (deadline == null) els.timer.hidden = true;
    root.classList.add("ready");
  }

  function buildSheet() {
    var close = h("button", { type: "button", class: "btn qz-sheet-close", on: { click: closeSheet } }, "关闭");
    els.sheetCounts = h("p", { class: "qz-sheet-counts" });
    els.sheetGrid = h("ol", { class: "qz-sheet-grid" });
    data.questions.forEach(function (q, i) {
      var b = h("button", { type: "button", class: "qz-cell", on: { click: function () { closeSheet(); go(i); } } });
      q._cell = b;
      els.sheetGrid.appendChild(h("li", null, b));
    });
    var legend = h(
      "ul",
      { class: "qz-sheet-legend", "aria-hidden": "true" },
      h("li", null, h("span", { class: "qz-cell-demo done" }), "已答"),
      h("li", null, h("span", { class: "qz-cell-demo" }), "未答"),
      h("li", null, h("span", { class: "qz-cell-demo flag" }), "标记待查"),
      h("li", null, h("span", { class: "qz-cell-demo now" }), "当前")
    );
    var submit = h("button", { type: "button", class: "btn btn-primary btn-block", on: { click: function () { closeSheet(); confirmSubmit(); } } }, "交卷");
    var panel = h(
      "div",
      { class: "qz-sheet-panel" },
      h("div", { class: "qz-sheet-head" }, h("h2", { id: "qz-sheet-title", text: "答题卡" }), close),
      els.sheetCounts,
      legend,
      els.sheetGrid,
      submit
    );
    var sheet = h("div", { id: "qz-sheet", class: "qz-overlay qz-sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "qz-sheet-title", hidden: true }, panel);
    sheet.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closeSheet(); trapTab(ev, sheet); });
    sheet.addEventListener("click", function (ev) { if (ev.target === sheet) closeSheet(); }); // the dimmed backdrop
    return sheet;
  }

  function buildConfirm() {
    els.confirmText = h("div", { id: "qz-confirm-text", class: "qz-confirm-text" });
    var back = h("button", { type: "button", class: "btn", on: { click: closeConfirm } }, "继续作答");
    var ok = h("button", { type: "button", class: "btn btn-primary", on: { click: function () { closeConfirm(); finish(false); } } }, "确认交卷");
    els.confirmBack = back;
    var box = h(
      "div",
      { class: "qz-confirm-box card" },
      h("h2", { id: "qz-confirm-title", text: "确认交卷？" }),
      els.confirmText,
      h("div", { class: "actions qz-confirm-actions" }, back, ok)
    );
    var dlg = h("div", { class: "qz-overlay qz-confirm", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "qz-confirm-title", "aria-describedby": "qz-confirm-text", hidden: true }, box);
    dlg.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closeConfirm(); trapTab(ev, dlg); });
    dlg.addEventListener("click", function (ev) { if (ev.target === dlg) closeConfirm(); });
    return dlg;
  }

  function trapTab(ev, box) {
    if (ev.key !== "Tab") return;
    var items = box.querySelectorAll("button:not([disabled])");
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    if (ev.shiftKey && document.activeElement === first) {
      ev.preventDefault();
      last.focus();
    } else if (!ev.shiftKey && document.activeElement === last) {
      ev.preventDefault();
      first.focus();
    }
  }

  function renderQuestion(focus) {
    var q = data.questions[index];
    var n = data.questions.length;
    var a = answers[q.id];
    var name = "q" + q.id;
    clearError();
    var head = h(
      "h2",
      { id: "qz-head", class: "qhead", tabindex: "-1" },
      h("span", { class: "qnum", text: "第 " + (index + 1) + " / " + n + " 题" }),
      h("span", { class: "tag qtype", text: TYPES[q.type] || q.type }),
      h("span", { class: "qpts", text: points(q.score) })
    );
    var set = h("fieldset", { class: "qset" }, h("legend", { class: "qz-stem", text: q.stem }));
    if (q.type === "single" || q.type === "multiple") {
      if (q.type === "multiple") set.appendChild(h("p", { class: "hint qhint", text: "可选多项" }));
      q.options.forEach(function (o) {
        var checked = q.type === "single" ? a === o.key : Array.isArray(a) && a.indexOf(o.key) >= 0;
        set.appendChild(option(q, name, q.type === "single" ? "radio" : "checkbox", o.key, o.key, o.text, checked));
      });
    } else if (q.type === "judge") {
      set.appendChild(option(q, name, "radio", "true", null, "正确", a === true));
      set.appendChild(option(q, name, "radio", "false", null, "错误", a === false));
    } else if (q.type === "blank") {
      for (var i = 0; i < q.blanks; i++) {
        var id = "qz-b" + q.id + "-" + i;
        var input = h("input", {
          id: id,
          type: "text",
          class: "qz-blank",
          autocomplete: "off",
          autocapitalize: "off",
          spellcheck: "false",
          enterkeyhint: i + 1 < q.blanks ? "next" : "done",
          maxlength: "500"
        });
        input.value = Array.isArray(a) && a[i] != null ? a[i] : "";
        input.addEventListener("input", function () { typed(q); });
        input.addEventListener("blur", flushTyping);
        input.addEventListener("focus", function (ev) { keepInView(ev.target); });
        set.appendChild(h("div", { class: "qz-blank-row" }, h("label", { for: id, text: "第" + (i + 1) + "空" }), input));
      }
    }
    els.flag = h("button", { type: "button", class: "btn qz-flag", "aria-pressed": "false", on: { click: toggleFlag } });
    els.card.textContent = "";
    els.card.append(head, set, h("div", { class: "qtools" }, els.flag));
    renderFlag(q);
    els.prev.disabled = index === 0;
    els.next.textContent = index === n - 1 ? "交卷" : "下一题";
    refreshMarks();
    store("pos", index);
    if (focus) {
      window.scrollTo(0, 0);
      head.focus({ preventScroll: true });
    }
  }

  function option(q, name, type, value, key, text, checked) {
    var input = h("input", { type: type, name: name, value: value });
    input.checked = !!checked;
    input.addEventListener("change", function () {
      if (q.type === "multiple") {
        var picked = Array.prototype.filter
          .call(els.card.querySelectorAll("input[name='" + name + "']"), function (i) { return i.checked; })
          .map(function (i) { return i.value; });
        change(q, picked.length ? picked : null);
      } else if (q.type === "judge") {
        change(q, value === "true");
      } else {
        change(q, value);
      }
      markOptions();
    });
    var label = h("label", { class: "qz-opt" + (checked ? " on" : "") }, input, key ? h("span", { class: "qz-key", text: key }) : null, h("span", { class: "qz-text", text: text }));
    return label;
  }

  function markOptions() {
    Array.prototype.forEach.call(els.card.querySelectorAll("label.qz-opt"), function (l) {
      l.classList.toggle("on", l.querySelector("input").checked);
    });
  }

  function renderFlag(q) {
    var on = !!flags[q.id];
    els.flag.setAttribute("aria-pressed", on ? "true" : "false");
    els.flag.textContent = on ? "★ 已标记待查" : "☆ 标记待查";
    els.flag.classList.toggle("on", on);
  }

  function refreshMarks() {
    var c = counts();
    els.sheetCounts.textContent = "已答 " + (c.total - c.left) + " 题 · 未答 " + c.left + " 题 · 标记 " + c.flagged + " 题";
    data.questions.forEach(function (q, i) {
      var done = answered(q, answers[q.id]);
      var cell = q._cell;
      cell.className = "qz-cell" + (done ? " done" : "") + (flags[q.id] ? " flag" : "") + (i === index ? " now" : "");
      cell.textContent = String(i + 1);
      cell.setAttribute("aria-label", "第 " + (i + 1) + " 题，" + (done ? "已作答" : "未作答") + (flags[q.id] ? "，已标记待查" : ""));
      if (i === index) cell.setAttribute("aria-current", "step");
      else cell.removeAttribute("aria-current");
    });
  }

  function go(i) {
    if (i < 0 || i >= data.questions.length) return;
    flushTyping();
    index = i;
    renderQuestion(true);
  }

  function onNext() {
    if (index === data.questions.length - 1) confirmSubmit();
    else go(index + 1);
  }

  // --- dialogs -----------------------------------------------------------------------------------
  function openOverlay(box, focusEl) {
    lastFocus = document.activeElement;
    box.hidden = false;
    document.body.classList.add("qz-has-overlay");
    (focusEl || box.querySelector("button")).focus();
  }
  function closeOverlay(box) {
    if (box.hidden) return;
    box.hidden = true;
    document.body.classList.remove("qz-has-overlay");
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
  }
  // The sheet is a history entry while open: the phone's back gesture closes it instead of
  // leaving the quiz (whose clock keeps running).
  function openSheet() {
    flushTyping();
    refreshMarks();
    openOverlay(els.sheet, data.questions[index]._cell);
    try {
      window.history.pushState({ qzSheet: true }, "");
    } catch (e) {
      /* no history API: the close button and the backdrop still work */
    }
  }
  function closeSheet() {
    if (!els.sheet || els.sheet.hidden) return;
    closeOverlay(els.sheet);
    if (window.history.state && window.history.state.qzSheet) window.history.back();
  }
  window.addEventListener("popstate", function () {
    if (els.sheet && !els.sheet.hidden) closeOverlay(els.sheet);
  });
  function confirmSubmit() {
    if (finishing) return;
    flushTyping();
    var c = counts();
    els.confirmText.textContent = "";
    els.confirmText.appendChild(h("p", { class: c.left ? "qz-warn" : "", text: c.left ? "还有 " + c.left + " 题未作答。" : "全部 " + c.total + " 题都已作答。" }));
    if (c.flagged) els.confirmText.appendChild(h("p", { class: "qz-warn", text: "有 " + c.flagged + " 题标记待查。" }));
    els.confirmText.appendChild(h("p", { text: "交卷后不能再修改答案。" }));
    openOverlay(els.confirm, els.confirmBack);
  }
  function closeConfirm() {
    if (els.confirm) closeOverlay(els.confirm);
  }

  function showError(msg) {
    els.error.textContent = msg;
  }
  function clearError() {
    if (els.error) els.error.textContent = "";
  }

  // --- the on-screen keyboard --------------------------------------------------------------------
  // An Android keyboard can take half the screen; the fixed 上一题/答题卡/下一题 bar then sits over
  // the field being typed in. While a text field has focus and the visible viewport is short,
  // the bar steps aside (class kb-open), and the field is scrolled between the top bar and the
  // bottom of what is visible.
  function visibleBox() {
    var vv = window.visualViewport;
    var top = vv ? vv.offsetTop : 0;
    var height = vv ? vv.height : window.innerHeight;
    return { top: top, bottom: top + height, height: height };
  }
  function typingField() {
    var el = document.activeElement;
    return el && el.tagName === "INPUT" && el.type === "text" && root.contains(el) ? el : null;
  }
  function keepInView(el) {
    if (!el || !els.nav) return;
    var box = visibleBox();
    var squeezed = box.height < window.screen.height * 0.6 || box.height < 480;
    document.body.classList.toggle("kb-open", squeezed);
    var above = els.bar ? els.bar.getBoundingClientRect().bottom : 0;
    var below = squeezed ? box.bottom : Math.min(box.bottom, els.nav.getBoundingClientRect().top);
    var r = el.getBoundingClientRect();
    var label = el.parentNode && el.parentNode.querySelector("label");
    var want = label ? label.getBoundingClientRect().top : r.top;
    if (r.bottom + 8 > below) window.scrollBy(0, r.bottom + 8 - below);
    else if (want - 8 < above) window.scrollBy(0, want - 8 - above);
  }
  function viewportChanged() {
    var el = typingField();
    if (el) keepInView(el);
    else document.body.classList.remove("kb-open");
  }
  if (window.visualViewport) window.visualViewport.addEventListener("resize", viewportChanged);
  window.addEventListener("resize", viewportChanged);
  document.addEventListener("focusout", function () {
    window.setTimeout(function () { if (!typingField()) document.body.classList.remove("kb-open"); }, 50);
  });

  // --- time --------------------------------------------------------------------------------------
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function tick() {
    if (deadline == null || leaving) return;
    var left = Math.max(0, Math.ceil((deadline - serverNow()) / 1000));
    var hh = Math.floor(left / 3600);
    var mm = Math.floor((left % 3600) / 60);
    var ss = left % 60;
    var text = (hh ? hh + ":" + pad(mm) : pad(mm)) + ":" + pad(ss);
    if (hh >= 24) text = Math.floor(hh / 24) + " 天 " + (hh % 24) + " 小时"; // only the campaign's close
    els.timer.textContent = "剩余 " + text;
    els.timer.classList.toggle("urgent", left <= 60);
    var crossed = [60, 30, 10].filter(function (mark) { return left > 0 && left <= mark && !announced[mark]; });
    if (crossed.length) {
      crossed.forEach(function (mark) { announced[mark] = true; });
      els.alarm.textContent = left > 55 ? "还剩 1 分钟，时间到会自动交卷" : "还剩 " + left + " 秒，时间到会自动交卷";
    }
    // Seen as well as heard: a banner under the countdown from 1 minute, red from 10 seconds.
    if (left > 0 && left <= 60 && !finishing) {
      var words = left > 55 ? "还剩 1 分钟" : "还剩 " + left + " 秒";
      els.banner.textContent = words + "，时间到会自动交卷";
      els.banner.hidden = false;
      els.banner.classList.toggle("last", left <= 10);
    } else if (!els.banner.hidden) {
      els.banner.hidden = true;
    }
    if (left <= 0 && !finishing) {
      els.alarm.textContent = "时间到，正在自动交卷";
      finish(true);
    }
  }

  // --- finishing ---------------------------------------------------------------------------------
  var autoFinish = false;
  function finish(auto) {
    if (finishing) return;
    finishing = true;
    autoFinish = !!auto;
    closeSheet();
    closeConfirm();
    flushTyping();
    root.classList.add("is-finishing");
    Array.prototype.forEach.call(root.querySelectorAll("input, button"), function (el) { el.disabled = true; });
    els.finishing.hidden = false;
    if (auto) els.finishing.classList.add("auto");
    updateStatus();
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    backoff = 0;
    pump();
  }

  var submitting = false;
  function doSubmit() {
    if (cfg.trial) {
      goResult();
      return;
    }
    if (submitting || leaving) return;
    submitting = true;
    request("POST", cfg.submit, autoFinish ? { auto: true } : {}).then(
      function (res) {
        submitting = false;
        var r = res.ok && res.json.result;
        if (r && r.end_reason && r.end_reason !== "submitted") {
          showEnd(r.end_label);
        } else if (res.ok || res.status === 409) {
          goResult();
        } else if (res.status >= 500) {
          window.setTimeout(doSubmit, 2000);
        } else {
          els.finishing.textContent = (res.json && res.json.error) || "交卷失败，请刷新页面后重试";
        }
      },
      function () {
        submitting = false;
        net.ok = false;
        updateStatus();
        els.finishing.textContent = "正在交卷：网络中断，恢复后自动继续…";
        window.setTimeout(doSubmit, 2000);
      }
    );
  }

  // --- start -------------------------------------------------------------------------------------
  function start(payload, sentAt) {
    data = payload;
    if (payload.status !== "in_progress") {
      goResult();
      return;
    }
    clockSample(payload.server_time, sentAt);
    deadline = parseTime(payload.deadline);
    var byId = {};
    payload.questions.forEach(function (q) {
      byId[q.id] = q;
    });
    Object.keys(payload.answers || {}).forEach(function (k) {
      answers[k] = payload.answers[k];
    });
    (payload.flagged || []).forEach(function (id) {
      flags[id] = true;
    });
    // Saves still waiting on this phone are newer than what the server has.
    queue = load("queue", []).filter(function (e) { return e && byId[e.q] && typeof e.s === "number"; });
    queue.forEach(function (e) {
      answers[e.q] = e.a;
      flags[e.q] = !!e.f;
    });
    seq = Math.max(load("seq", 0), payload.last_seq || 0);
    store("seq", seq);
    var pos = load("pos", 0);
    index = typeof pos === "number" && pos >= 0 && pos < payload.questions.length ? pos : 0;
    shell();
    renderQuestion(false);
    updateStatus();
    tick();
    window.setInterval(tick, 500);
    pump();
  }

  function boot() {
    var sentAt = Date.now();
    if (cfg.trial) {
      var paper = document.getElementById("quiz-paper");
      try {
        start(JSON.parse(paper.textContent), sentAt);
      } catch (e) {
        failed("试卷载入失败，请刷新页面重新试答。");
      }
      return;
    }
    request("GET", cfg.api).then(
      function (res) {
        if (res.ok) start(res.json, sentAt);
        else if (res.status === 401) window.location.reload();
        else failed((res.json && res.json.error) || "试卷载入失败");
      },
      function () { failed("网络不可用，试卷未能载入。"); }
    );
  }

  function failed(msg) {
    root.textContent = "";
    var retry = h("button", { type: "button", class: "btn btn-primary", on: { click: function () { root.textContent = ""; root.appendChild(h("p", { class: "card", text: "正在载入试卷…" })); boot(); } } }, "重试");
    root.appendChild(h("div", { class: "card", role: "alert" }, h("p", { text: msg }), retry));
  }

  window.addEventListener("online", function () {
    net.ok = true;
    backoff = 0;
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    updateStatus();
    pump();
  });
  window.addEventListener("offline", updateStatus);
  // Back to the page (screen unlocked, app switched back): the server may have moved on — an
  // early close moves the deadline, another phone may have handed in. Re-read the clock and state.
  function resync() {
    if (!data || finishing || leaving || cfg.trial) return;
    var sentAt = Date.now();
    request("GET", cfg.api).then(
      function (res) {
        if (!res.ok || finishing) return;
        if (res.json.status !== "in_progress") {
          endedElsewhere();
          return;
        }
        clockSample(res.json.server_time, sentAt);
        deadline = parseTime(res.json.deadline);
        tick();
      },
      function () { /* offline: the queue and the clock carry on */ }
    );
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushTyping();
    else resync();
  });
  window.addEventListener("pagehide", flushTyping);
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) window.location.reload();
  });

  boot();
})();
