/* Study time heartbeat: every N seconds while the page is visible and the person was active in
   the last minute (scroll, touch, key, pointer; a playing video counts), POST to the server.
   The server keeps its own clock and decides what to credit; this script only says "still here",
   whether the end of the material was seen, and which page load and beat number this is. */
(function () {
  "use strict";
  var root = document.getElementById("study");
  if (!root || root.dataset.counting !== "1") return;
  var url = root.dataset.beatUrl;
  var csrf = root.dataset.csrf;
  var interval = Math.max(1, parseInt(root.dataset.interval, 10) || 30) * 1000;
  var idle = Math.max(1, parseInt(root.dataset.idle, 10) || 60) * 1000;
  var status = root.querySelector("[data-role=status]");
  var page = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  var seq = 0;
  var lastInput = Date.now();
  var endSeen = false;
  var playing = false;
  var done = false;

  function touched() { lastInput = Date.now(); }
  ["scroll", "touchstart", "touchmove", "keydown", "pointerdown", "pointermove", "wheel"].forEach(
    function (name) { window.addEventListener(name, touched, { passive: true }); }
  );

  var video = document.querySelector(".study-video");
  if (video) {
    video.addEventListener("play", function () { playing = true; touched(); });
    video.addEventListener("pause", function () { playing = false; });
    video.addEventListener("ended", function () { playing = false; endSeen = true; beat(); });
  }

  function active() {
    return document.visibilityState === "visible" && (playing || Date.now() - lastInput < idle);
  }

  function beat() {
    if (done) return;
    var body = { page: page, seq: seq, active: active(), end_seen: endSeen };
    seq += 1;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data || !status) return;
      status.textContent = data.status;
      if (data.done) {
        done = true;
        status.className = "state state-done";
      }
    }).catch(function () { /* offline: this beat's time is simply not counted */ });
  }

  var end = document.getElementById("study-end");
  if (end && "IntersectionObserver" in window && root.dataset.kind !== "video") {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting && !endSeen) {
          endSeen = true;
          observer.disconnect();
          touched();
          beat();
        }
      });
    });
    observer.observe(end);
  }

  beat(); // seq 0: "opened", credits nothing
  setInterval(function () { if (active()) beat(); }, interval);
})();
