// The meeting's check-in QR code: fetch a fresh code when the 30-second window turns over,
// count down in between, and keep trying quietly if the network drops.
(function () {
  "use strict";
  var box = document.getElementById("qr");
  if (!box) return;
  var pollUrl = box.getAttribute("data-poll-url");
  var countdown = document.getElementById("qr-countdown");
  var present = document.getElementById("qr-present");
  var expected = document.getElementById("qr-expected");
  var link = document.getElementById("qr-link");
  var left = parseInt(box.getAttribute("data-seconds-left"), 10) || 30;
  var timer = null;

  function apply(data) {
    box.innerHTML = data.svg; // drawn by our own server from our own URL
    box.setAttribute("data-checkin-url", data.url);
    if (link) link.setAttribute("href", data.url);
    if (present) present.textContent = data.present;
    if (expected) expected.textContent = data.expected;
    left = data.seconds_left;
  }

  function refresh() {
    fetch(pollUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(apply)
      .catch(function () {
        left = 5; // offline or signed out: try again shortly
      });
  }

  function tick() {
    left -= 1;
    if (left <= 0) {
      left = 30;
      refresh();
    }
    if (countdown) countdown.textContent = Math.max(left, 0);
  }

  timer = window.setInterval(tick, 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
  window.addEventListener("pagehide", function () {
    if (timer) window.clearInterval(timer);
  });
})();
