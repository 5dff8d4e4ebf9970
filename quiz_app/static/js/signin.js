/* 学习竞答平台 — the sign-in form, politely retried when the server is busy.
 *
 * At 9:00 everyone signs in at once; the server queues sign-ins for the password hash a few at a
 * time (web/admission.py) and answers 503 with Retry-After only when the queue is full or a turn
 * does not come within QUIZ_SIGNIN_QUEUE_SECONDS. Rather than making people press 登录 again and
 * again, this sends the form with fetch and, on 503, waits (Retry-After, doubled each time up to
 * 15 s, with random jitter so phones do not come back together) and sends it again. Any other
 * answer is shown as the page would have been. Without JavaScript the form posts as usual.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-signin]");
  if (!form || !window.fetch || !window.FormData || !window.Promise) return;

  var MAX_TRIES = 40; // about 7 minutes at the 15 s cap: keep the place rather than give up
  var CAP_MS = 15000;
  var button = form.querySelector("button[type=submit]");
  var note = null;
  var busy = false;

  function say(text) {
    if (!note) {
      note = document.createElement("p");
      note.className = "flash flash-info";
      note.setAttribute("role", "status");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = text;
  }

  function pause(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  // "Equal jitter": half the back-off for sure, the other half at random.
  function backoff(tries, retryAfter) {
    var ceiling = Math.min(CAP_MS, Math.max(retryAfter * 1000, 1000 * Math.pow(2, tries)));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  function show(html) {
    document.open();
    document.write(html);
    document.close();
  }

  function done() {
    busy = false;
    if (button) button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    busy = true;
    if (button) button.disabled = true;
    var body = new FormData(form);
    var url = form.getAttribute("action") || window.location.href;
    var tries = 0;

    function send() {
      // redirect "manual": a signed-in answer (302) is not followed here, because following it
      // would spend a one-time page (a meeting check-in, say) inside fetch. The page reloads
      // /login instead, and the server sends a signed-in person on to its checked `next`.
      return fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
        .then(function (res) {
          if (res.type === "opaqueredirect") {
            window.location.assign(window.location.href);
            return null;
          }
          if (res.status === 503 && tries < MAX_TRIES) {
            var wait = backoff(tries, parseInt(res.headers.get("Retry-After"), 10) || 2);
            tries += 1;
            say("登录的人较多，正在排队，约 " + Math.ceil(wait / 1000) + " 秒后自动重试（第 " + tries + " 次）…");
            return pause(wait).then(send);
          }
          if (res.redirected) {
            window.location.assign(res.url);
            return null;
          }
          return res.text().then(show);
        });
    }

    send().catch(function () {
      say("网络连接失败，请检查网络后再点“登录”。");
      done();
    });
  });
})();
