"""Outside checkers run over the crawled pages: the Nu HTML checker and axe-core.

Both come from npm as devDependencies (``make test`` installs them into node_modules; they
are never copied into static/): ``vnu-jar`` runs on the Debian Java runtime, once for all
pages (the JVM is slow to start); ``axe-core`` runs in the Debian Chromium through Playwright
at Pixel 7 size. Chromium loads each page from the HTML the test client already fetched:
requests to the site are answered by the test client, so no server runs.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path


from tests.live import REPO_ROOT

VNU_JAR = REPO_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ORIGIN = "https://portal.test"

# htmx's attributes are not HTML: the checker's complaints about them (and only those) are expected.
HTMX_ATTRIBUTE = re.compile(r"Attribute “hx-[a-z-]+” not allowed")


def missing_tools() -> list[str]:
    """What `make test` would have installed but is not here (the tests fail, naming it)."""
    missing = [str(path) for path in (VNU_JAR, AXE_JS) if not path.exists()]
    if not shutil.which("java"):
        missing.append("java (Debian default-jre-headless)")
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    return missing


# --- the Nu HTML checker -----------------------------------------------------------------------

@dataclass(frozen=True)
class HtmlError:
    """One error of the Nu checker: which page, where, what."""

    url: str
    line: int
    message: str
    extract: str

    def __str__(self) -> str:
        return f"{self.url}:{self.line}: {self.message}  [{self.extract.strip()[:120]}]"


def check_html(documents: dict[str, str], folder: Path) -> list[HtmlError]:
    """Errors of the Nu checker on ``documents`` (name → HTML), htmx attributes left out."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for n, (name, html) in enumerate(sorted(documents.items())):
        path = folder / f"page{n:04d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    result = subprocess.run(["java", "-Xss4m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
                             "--exit-zero-always", str(folder)],
                            capture_output=True, text=True, timeout=600)
    report = json.loads(result.stderr or result.stdout)
    errors = []
    for message in report["messages"]:
        if message.get("type") != "error" or HTMX_ATTRIBUTE.search(message.get("message", "")):
            continue
        url = message.get("url", "?")
        errors.append(HtmlError(names.get(url.rsplit("/", 1)[-1], url), message.get("lastLine", 0),
                                message.get("message", ""), message.get("extract", "")))
    return errors


# --- axe-core in Chromium ------------------------------------------------------------------------

@dataclass(frozen=True)
class AxeViolation:
    """One rule axe found broken on a page, with the first few elements."""

    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.url}: {self.rule} ({self.impact}) {self.help}: {', '.join(self.targets[:3])}"


class AxeRunner:
    """One Chromium (Pixel 7, Chinese) that shows fetched pages and runs axe on them.

    ``serve(path)`` answers every request the page makes to the site (CSS, scripts, htmx
    loads) through the test client, as the server would.
    """

    def __init__(self, playwright, serve) -> None:
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # bypass_csp: axe is injected as a script of its own, which the portal's CSP (rightly) refuses.
        self.context = self.browser.new_context(**playwright.devices["Pixel 7"], locale="zh-CN", bypass_csp=True,
                                                service_workers="block")
        self.axe = AXE_JS.read_text(encoding="utf-8")
        self.serve = serve
        self.document: tuple[str, str] | None = None
        self.context.route(f"{ORIGIN}/**", self._answer)
        self.page = self.context.new_page()

    def _answer(self, route) -> None:
        request = route.request
        parts = urllib.parse.urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.document and request.url == ORIGIN + self.document[0] and request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.document[1])
            return
        if request.method != "GET":
            route.abort()
            return
        status, headers, body = self.serve(path, dict(request.headers))
        route.fulfill(status=status, headers=headers, body=body)

    def check(self, url: str, html: str, open_menu: bool = False) -> list[AxeViolation]:
        """axe's WCAG 2.2 A/AA violations on ``html`` shown as ``url`` (with the menu open if asked)."""
        self.document = (url, html)
        self.page.goto(ORIGIN + url, wait_until="load")
        if open_menu:
            self.page.evaluate("document.querySelector('details.menu')?.setAttribute('open', '')")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(content=self.axe)
        results = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS)
        return [AxeViolation(url + (" (menu open)" if open_menu else ""), v["id"], v.get("impact") or "", v["help"],
                             tuple(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                                   for node in v["nodes"]))
                for v in results["violations"]]

    def close(self) -> None:
        self.context.close()
        self.browser.close()


def client_server(client):
    """``serve(path, headers)`` for :class:`AxeRunner`: GET ``path`` with ``client`` (logged in as the role whose page it shows)."""

    def serve(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        wanted = {k: v for k, v in headers.items() if k.lower() in ("hx-request", "hx-target", "hx-current-url",
                                                                     "accept")}
        response = client.get(path, headers=wanted)
        body = response.get_data()
        response.close()
        out = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "set-cookie",
                                                                               "content-encoding")}
        return response.status_code, out, body

    return serve
