"""Browser tests: the real app on a local port, driven by Debian's Chromium through Playwright.

The app here is separate from tests/conftest.py's session ``app``: its own instance folder, its own
fresh SQLite file, CSRF on, served by werkzeug in a daemon thread. Nothing here is named ``app``,
so the autouse fixture that empties tables after each test never touches it.

Every page from ``page`` / ``new_page`` is held to the same gates, checked when the test ends:
no request to any other host, no console errors, no uncaught exceptions. ``axe_check`` runs
axe-core (node_modules, from package.json) and fails on serious or critical violations.

For more flows (organizer, leader): seed with ``seed`` (an app context; commit is done for you),
sign in with ``sign_in(page, username)``, take pictures with ``shot(page, name)``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
SAVE_GRACE_SECONDS = 3


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


if importlib.util.find_spec("playwright") is None and not _in_ci():
    collect_ignore_glob = ["test_*.py"]  # they import playwright; in CI the fixture fails instead


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            # werkzeug's test server leaves a static file open when Chromium drops a connection
            # mid-response (a navigation away); harmless here, and not the app's code.
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


# --- the app under test --------------------------------------------------------------------------


@dataclass
class LiveServer:
    app: Any
    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from quiz_app import create_app
    from quiz_app.extensions import db
    from quiz_app.services import accounts

    accounts.HASH_METHOD = "pbkdf2:sha256:1000"  # hashing strength is not under test here
    tmp = tmp_path_factory.mktemp("browser-instance")
    saved = os.environ.get("QUIZ_INSTANCE_PATH")
    os.environ["QUIZ_INSTANCE_PATH"] = str(tmp)
    try:
        app = create_app(
            {
                "SECRET_KEY": "browser-test-secret",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'browser.db'}",
                "QUIZ_SAVE_GRACE_SECONDS": SAVE_GRACE_SECONDS,
                "QUIZ_ORG_NAME": "学习竞答平台",
            }
        )
    finally:
        if saved is None:
            os.environ.pop("QUIZ_INSTANCE_PATH", None)
        else:
            os.environ["QUIZ_INSTANCE_PATH"] = saved
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture()
def seed(live_server: LiveServer) -> Callable[[], contextlib.AbstractContextManager[None]]:
    """``with seed():`` — an app context on the browser app's database, committed on exit."""

    @contextlib.contextmanager
    def context() -> Iterator[None]:
        from quiz_app.extensions import db

        with live_server.app.app_context():
            try:
                yield
                db.session.commit()
            finally:
                db.session.rollback()
                db.session.remove()

    return context


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable('playwright is not installed (pip install -e ".[test]")')
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- tap targets and text size, on every page a test visits ---------------------------------------
#
# The rule (phones first, 375 px wide): every visible tap target is at least 44×44 CSS px, and every
# visible piece of text is at least 14 px. Tap targets are a[href], button, select, textarea,
# summary, text-like inputs, and for a checkbox or radio its label (the input itself is exempt when
# a visible label carries it). Exempt: a link inside running text (display inline, and its parent
# has words of its own besides the link — WCAG 2.5.8's "inline" exception), anything 1 px or
# smaller (screen-reader-only text) or off screen (the skip link until focused), and text inside
# an element hidden from everyone. Checked at load and again whenever the page changes (the quiz is
# drawn by script), reported through the console and enforced on every page the browser tests visit (they all run at 375 px; the desktop checks at 1280 px use
# their own contexts without this check).
TAP_MIN, FONT_MIN = 44, 14
TAP_CHECK_PREFIX = "[tap-check] "
TAP_CHECK_JS = (
    """
(() => {
  const TAP = __TAP__, FONT = __FONT__, PREFIX = "__PREFIX__";
  const told = new Set();
  function shown(el) {
    for (let e = el; e; e = e.parentElement) {
      const st = getComputedStyle(e);
      if (st.display === "none" || st.visibility === "hidden" || e.hidden) return false;
    }
    return true;
  }
  function name(el) {
    const cls = (el.getAttribute("class") || "").trim().split(/\\s+/).filter(Boolean).slice(0, 2);
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\\s+/g, " ");
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls.map(c => "." + c).join("") +
      (text ? ' "' + text.slice(0, 16) + '"' : "");
  }
  function inRunningText(a) {
    if (getComputedStyle(a).display !== "inline") return false;
    const p = a.parentElement;
    return !!p && Array.prototype.some.call(p.childNodes, n => n !== a && (
      (n.nodeType === 3 && n.textContent.trim()) ||
      (n.nodeType === 1 && n.tagName !== "A" && getComputedStyle(n).display === "inline" && n.textContent.trim())));
  }
  function labelOf(input) {
    return input.closest("label") || (input.id && document.querySelector('label[for="' + input.id + '"]'));
  }
  function measure(el) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1 || r.right <= 0 || r.left >= innerWidth) return null;
    return r;
  }
  function check() {
    const found = [];
    document.querySelectorAll("a[href], button, input, select, textarea, summary, label").forEach(el => {
      const tag = el.tagName;
      const type = (el.getAttribute("type") || "").toLowerCase();
      let target = el;
      if (tag === "INPUT" && type === "hidden") return;
      if (tag === "LABEL") {
        const control = el.control || el.querySelector("input");
        if (!control || !["checkbox", "radio"].includes(control.type)) return;
      }
      if (tag === "INPUT" && (type === "checkbox" || type === "radio")) {
        const label = labelOf(el);
        if (label && shown(label) && measure(label)) return;  // the label is the target
      }
      if (tag === "A" && inRunningText(el)) return;
      if (!shown(target)) return;
      const r = measure(target);
      if (r && (r.width < TAP - 0.5 || r.height < TAP - 0.5))
        found.push("tap " + name(target) + " " + Math.round(r.width) + "×" + Math.round(r.height));
    });
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const fonts = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || fonts.has(el) || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) continue;
      fonts.add(el);
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (size < FONT - 0.05 && shown(el) && measure(el)) found.push("font " + name(el) + " " + size.toFixed(1) + "px");
    }
    found.forEach(f => {
      const key = location.pathname + " " + f;
      if (told.has(key)) return;
      told.add(key);
      console.debug(PREFIX + location.pathname + " | " + f);
    });
  }
  let timer = null;
  function soon() { clearTimeout(timer); timer = setTimeout(check, 250); }
  addEventListener("load", () => {
    check();
    new MutationObserver(soon).observe(document.body, {childList: true, subtree: true, attributes: true});
  });
})();
""".replace("__TAP__", str(TAP_MIN))
    .replace("__FONT__", str(FONT_MIN))
    .replace("__PREFIX__", TAP_CHECK_PREFIX)
)


@dataclass
class Gates:
    """What a page did that it must not: other hosts, console errors, uncaught exceptions, and
    tap targets under 44 px or text under 14 px on any page."""

    host: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed_errors: list[str] = field(default_factory=list)
    small: list[str] = field(default_factory=list)  # tap targets or text too small: fail

    def attach(self, page: Any) -> None:
        page.on("request", self._request)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host:
            self.foreign.append(request.url)

    def _console(self, msg: Any) -> None:
        if msg.text.startswith(TAP_CHECK_PREFIX):
            finding = msg.text[len(TAP_CHECK_PREFIX) :]
            self.small.append(finding)
            return
        if msg.type == "error" and not any(a in msg.text for a in self.allowed_errors):
            self.errors.append(f"console: {msg.text} @ {msg.location.get('url', '')}")

    def check(self) -> None:
        assert not self.foreign, f"requests left the app's host: {self.foreign}"
        assert not self.errors, f"errors in the browser: {self.errors}"
        assert not self.small, "tap targets under 44×44 px or text under 14 px:\n" + "\n".join(
            self.small
        )


@dataclass
class Phone:
    """A browser context shaped like a phone, with its pages' gates."""

    context: Any
    gates: Gates


@pytest.fixture()
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[[], Any]]:
    """A factory of phone-sized pages (one context each: separate cookies and storage)."""
    phones: list[Phone] = []

    def make() -> Any:
        context = browser.new_context(base_url=live_server.url, **PHONE)
        context.set_default_timeout(10_000)
        gates = Gates(live_server.host)
        context.add_init_script(TAP_CHECK_JS)
        page = context.new_page()
        gates.attach(page)
        page.gates = gates  # type: ignore[attr-defined]
        phones.append(Phone(context, gates))
        return page

    yield make
    for phone in phones:
        phone.context.close()
    for phone in phones:
        phone.gates.check()


@pytest.fixture()
def page(new_page: Callable[[], Any]) -> Any:
    return new_page()


# --- helpers every flow uses ---------------------------------------------------------------------


def sign_in(page: Any, username: str, password: str, *, remember: bool = False) -> None:
    page.goto("/login")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    if remember:
        page.get_by_label("记住我").check()
    # static/js/signin.js sends the form with fetch (to retry a busy server's 503), then navigates
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def shot(page: Any, name: str, full_page: bool = False) -> Path:
    """A screenshot for the README, in docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="initial")
    return path


def _axe_source() -> str:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(f"{AXE_JS} is missing and npm is not installed: run `npm ci` in {REPO}")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=REPO, check=True)
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` in {REPO}")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe_source() -> str:
    return _axe_source()


@pytest.fixture()
def axe_check(axe_source: str) -> Callable[..., list[dict[str, Any]]]:
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    Injected with evaluate (a DevTools call the page's CSP does not govern): the CSP forbids
    inline scripts, and the app's own CSP must stay on during the test.
    """

    def check(page: Any, what: str) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source + "\n;void 0")
        result = page.evaluate(
            """async () => {
                const r = await window.axe.run(document, {
                    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                    resultTypes: ['violations'],
                });
                return r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary),
                }));
            }"""
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        for v in result:
            print(f"axe {what}: {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])})")
        assert not bad, f"axe on {what}: " + "\n".join(
            f"{v['impact']} {v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"]) for v in bad
        )
        return result

    return check
