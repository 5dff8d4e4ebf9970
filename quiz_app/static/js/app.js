/* Small behaviours every page shares (no inline scripts under the CSP):
   - forms with data-confirm ask first (publishing, closing early, signing out of a running quiz);
   - a submit button shows a busy state, so a slow network does not invite a second tap;
   - the sign-in page remembers the login name (never the password) on this phone. */
(function () {
  "use strict";
  var NAME_KEY = "signin.name";  // not "quiz.*": that prefix is the quiz queue's, cleared on submit

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    // A button may ask its own question (a bulk form with 停用 / 启用 / 重置密码 side by side).
    var asker = event.submitter && event.submitter.hasAttribute("data-confirm") ? event.submitter : form;
    var question = asker.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.id === "login-form") {
      try {
        var name = form.querySelector("#username");
        if (name && name.value) window.localStorage.setItem(NAME_KEY, name.value.trim());
      } catch (e) { /* private mode: nothing to remember */ }
    }
    var button = event.submitter || form.querySelector("button[type=submit]");
    // A form a script already sends itself (the sign-in's retrying fetch) keeps its own state.
    if (button && !event.defaultPrevented && !button.hasAttribute("data-no-busy")) {
      window.setTimeout(function () {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        button.dataset.label = button.textContent;
        button.textContent = "请稍候…";
      }, 0);
    }
  });

  // Coming back with the browser's back button must not leave a button stuck in "请稍候…".
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (b) {
      b.disabled = false;
      b.removeAttribute("aria-busy");
      if (b.dataset.label) b.textContent = b.dataset.label;
    });
  });

  var loginName = document.querySelector("#login-form #username");
  if (loginName && !loginName.value) {
    try {
      var saved = window.localStorage.getItem(NAME_KEY);
      if (saved) {
        loginName.value = saved;
        var pw = document.querySelector("#login-form #password");
        if (pw) pw.focus();
      }
    } catch (e) { /* ignore */ }
  }
})();
