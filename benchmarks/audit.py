"""Lighthouse audit (mobile) of the login page, every role's home page and the checklist.

Run from the repository root: ``.venv/bin/python benchmarks/audit.py`` (``make audit``
installs Lighthouse into ``benchmarks/audit/`` first). Builds a fresh demo database in a
temporary folder, starts the demo inspection, serves the portal with gunicorn (as in
production), logs each demo user in once and runs Lighthouse with that session cookie.
Targets: accessibility ≥ 95, best practices ≥ 95, performance ≥ 90. The scores go into
``benchmarks/RESULTS.md``; the full reports into ``benchmarks/audit/reports/``.

Exits non-zero only when the tooling fails; a low score is reported as "not met".
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.server import THREADS, WORKERS, free_port, gunicorn  # noqa: E402
AUDIT_DIR = ROOT / "benchmarks" / "audit"
REPORTS = AUDIT_DIR / "reports"
LIGHTHOUSE = AUDIT_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
PASSWORD = "demo1234"
SESSION_COOKIE = "portal_session"
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95}
MAX_KB = 60  # transferred (compressed) per page, photos excluded
CHECKLIST = "checklist"  # placeholder path, replaced by the demo inspection's page

# (page, role, path): each role's home page (as in tests/browser/conftest.py) and the checklist.
PAGES = [
    ("login", None, "/login"),
    ("today's inspections", "inspector", "/inspections/today"),
    ("checklist", "inspector", CHECKLIST),
    ("my rectification notices", "foreman", "/notices/mine"),
    ("my rectification notices", "pm", "/notices/mine"),
    ("next week's list", "engineering", "/schedule/submissions"),
    ("dashboard", "office", "/dashboard/"),
    ("settlement lookup", "finance", "/finance/"),
    ("users", "admin", "/admin/users"),
]


def main() -> int:
    """Set up the demo, serve it, audit every page, write the table."""
    if not LIGHTHOUSE.exists():
        print(f"{LIGHTHOUSE} is missing: run `make audit` (npm ci in benchmarks/audit)", file=sys.stderr)
        return 2
    # A plain SIGTERM would skip the clean-up below and leave gunicorn running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="audit-"))
    env = demo_environment(tmp)
    try:
        prepare_database(env)
        checklist = start_demo_inspection(env)
        port = free_port()
        with gunicorn(env, port, tmp / "gunicorn.log"):
            results = audit_all(f"http://127.0.0.1:{port}", checklist)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    from benchmarks.results import write_section

    markdown = report_markdown(results)
    print(markdown)
    print(f"\nwritten to {write_section('audit', 'Lighthouse audit (mobile)', markdown)}")
    return 0


def demo_environment(tmp: Path) -> dict[str, str]:
    """Environment of a demo portal whose database and uploads live in ``tmp``."""
    return {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp / 'audit.db'}",
            "UPLOAD_DIR": str(tmp / "uploads"), "SECRET_KEY": "audit-" + "x" * 40, "LANGUAGE": "zh_CN"}


def prepare_database(env: dict[str, str]) -> None:
    """``flask db upgrade`` and ``flask seed-demo``, the documented setup path."""
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)


def start_demo_inspection(env: dict[str, str]) -> str:
    """Record the start of the demo inspection (so it shows the checklist); returns its path."""
    from sqlalchemy import select

    from portal import create_app
    from portal.equipment.models import Equipment
    from portal.extensions import db
    from portal.inspections.models import Inspection
    from portal.inspections.services import record_start
    from portal.timeutil import local_today

    app = create_app(env)
    with app.app_context():
        inspection = db.session.scalar(select(Inspection).order_by(Inspection.id))
        equipment = [e for e in db.session.scalars(select(Equipment)) if e.is_valid_on(local_today())][:1]
        record_start(inspection, inspection.inspector, foreman_present=True, project_manager_present=True,
                     others_present="", handbook_present=True, equipment=equipment)
        db.session.commit()
        return f"/inspections/{inspection.id}"


def login(base: str, username: str) -> str:
    """Log ``username`` in through the login form; returns the session cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
    with opener.open(f"{base}/login", data=form, timeout=30) as response:
        if response.url.rstrip("/").endswith("/login"):
            raise RuntimeError(f"login as {username} failed")
    return next(cookie.value for cookie in jar if cookie.name == SESSION_COOKIE)


def audit_all(base: str, checklist: str) -> list[dict]:
    """Run Lighthouse on every page of :data:`PAGES`; one login per role."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    cookies: dict[str, str] = {}
    results = []
    for page, role, path in PAGES:
        path = checklist if path == CHECKLIST else path
        if role and role not in cookies:
            cookies[role] = login(base, role)
        name = re.sub(r"[^a-z0-9]+", "-", f"{role or 'anonymous'}-{page}").strip("-")
        print(f"lighthouse {role or '-'} {path}", file=sys.stderr, flush=True)
        report = run_lighthouse(base + path, cookies.get(role), REPORTS / name)
        results.append({"page": page, "role": role or "—", "path": path, "report": report})
    return results


def run_lighthouse(url: str, cookie: str | None, output: Path) -> dict:
    """Lighthouse (mobile, headless Chromium) on ``url``; returns the parsed JSON report."""
    command = [str(LIGHTHOUSE), url, "--output=json", "--output=html", f"--output-path={output}",
               f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile", "--quiet",
               f"--chrome-flags={CHROME_FLAGS}"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": f"{SESSION_COOKIE}={cookie}"}))
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROME_PATH}, timeout=300)
    report = json.loads(Path(f"{output}.report.json").read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse {url}: {report['runtimeError']}")
    return report


def scores(report: dict) -> dict[str, int]:
    """Category scores 0–100 (a category Lighthouse could not score counts as 0)."""
    return {key: round((report["categories"][key]["score"] or 0) * 100) for key in CATEGORIES}


def transferred_kb(report: dict) -> float:
    """KB that went over the wire for the page (compressed, headers included), photos excluded."""
    requests = report["audits"]["network-requests"]["details"]["items"]
    return sum(r.get("transferSize") or 0 for r in requests
               if not urllib.parse.urlsplit(r["url"]).path.startswith("/photos/")) / 1024


def failing_audits(report: dict, category: str) -> list[tuple[str, str]]:
    """(audit id, title) of the audits that lost points in ``category``."""
    audits = report["audits"]
    found = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if audit.get("score") is not None and audit["score"] < 0.9 and audit["scoreDisplayMode"] in (
                "binary", "numeric", "metricSavings"):
            found.append((ref["id"], audit["title"]))
    return found


def report_markdown(results: list[dict]) -> str:
    """The score table, then what made each page miss a target."""
    lines = [f"Lighthouse {results[0]['report']['lighthouseVersion']}, mobile form factor (simulated throttling), "
             f"headless Chromium, demo data served by gunicorn ({WORKERS} workers × {THREADS} threads), "
             "logged in per role. "
             f"Targets: performance ≥ {TARGETS['performance']}, accessibility ≥ {TARGETS['accessibility']}, "
             f"best practices ≥ {TARGETS['best-practices']}, at most {MAX_KB} KB transferred (photos excluded).", "",
             "| page | role | path | performance | accessibility | best practices | transferred | targets |",
             "|---|---|---|---:|---:|---:|---:|:---:|"]
    misses = []
    for result in results:
        row, missed = page_row(result)
        lines.append(row)
        misses += missed
    lines += ["", "Below target:", "", *misses] if misses else ["", "Every page meets every target."]
    return "\n".join(lines)


def page_row(result: dict) -> tuple[str, list[str]]:
    """One table row, and a line per missed target naming the audits that lost points."""
    report, who = result["report"], f"{result['page']} ({result['role']})"
    got, weight = scores(report), transferred_kb(report)
    below = [key for key in CATEGORIES if got[key] < TARGETS[key]]
    missed = [f"- {who}: {weight:.0f} KB transferred"] if weight > MAX_KB else []
    for key in below:
        audits = ", ".join(f"`{audit_id}` ({title})" for audit_id, title in failing_audits(report, key))
        missed.append(f"- {who}, {key}: {audits or 'no single audit failed'}")
    row = (f"| {result['page']} | {result['role']} | `{result['path']}` | {got['performance']} | "
           f"{got['accessibility']} | {got['best-practices']} | {weight:.0f} KB | {'not met' if missed else 'met'} |")
    return row, missed


if __name__ == "__main__":
    sys.exit(main())
