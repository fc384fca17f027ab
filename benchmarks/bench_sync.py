"""Benchmark: the field outbox on a phone (Chromium, Pixel 7) against the local server.

Run from the repository root: ``.venv/bin/python benchmarks/bench_sync.py``. Builds a fresh demo
database in a temporary folder, serves it with ``flask run`` and drives the browser:

1. first load with the service worker: login, today's list, the checklist, counting the bytes that
   crossed the network (response bodies, the worker's precache included);
2. without signal: all 89 items answered (one failed, with 10 photos of about 300 KB each), all
   kept in the outbox (IndexedDB);
3. signal back: the time until the indicator reads "all saved" (every answer and photo confirmed).

Prints a Markdown table and writes it to ``benchmarks/RESULTS.md`` (section "sync").
"""
from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.results import write_section  # noqa: E402
from tests.live import free_port, server_env  # noqa: E402

PHOTOS = 10
CHROMIUM = "/usr/bin/chromium"

START_SCRIPT = r"""
import json
from decimal import Decimal
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import create_inspection, record_start
from portal.projects.models import Project
from portal.timeutil import local_today

app = create_app()
with app.app_context():
    today = local_today()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    office = db.session.scalar(select(User).where(User.username == "office"))
    project = Project(contract_no="B26120699", address="同步基准测试地址", owner_name="基准", owner_phone="13700000000",
                      design_studio="B 基准", designer="基准", contract_amount=Decimal("100000.00"),
                      start_date=today, planned_completion=today)
    db.session.add(project)
    db.session.flush()
    inspection = create_inspection(project, today, inspector, office)
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-HS-003")).all()
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=list(equipment))
    db.session.commit()
    print(json.dumps({"id": inspection.id}))
"""

COUNT_SCRIPT = r"""
import json, sys
from sqlalchemy import func, select
from portal import create_app
from portal.extensions import db
from portal.inspections.models import Answer
from portal.photos.models import Photo

app = create_app()
with app.app_context():
    inspection_id = int(sys.argv[1])
    answered = db.session.scalar(select(func.count()).select_from(Answer).where(
        Answer.inspection_id == inspection_id, Answer.outcome.is_not(None)))
    photos = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.inspection_id == inspection_id))
    print(json.dumps({"answered": answered, "photos": photos}))
"""

# Every open item answered the way an inspector would: the first check item fails, the others
# pass, measured items get a value within their limits (the page carries them as data-min/max).
ANSWER_ALL_JS = """
async () => {
  const lis = [...document.querySelectorAll('#checklist li.item.item--open')];
  let failed = null;
  for (const li of lis) {
    li.closest('details.category').open = true;
    const input = li.querySelector('input.value');
    if (input) {
      const min = li.dataset.min === '' ? null : Number(li.dataset.min);
      const max = li.dataset.max === '' ? null : Number(li.dataset.max);
      input.value = String(min !== null && max !== null ? (min + max) / 2 : (min !== null ? min : (max !== null ? max : 0)));
      li.querySelector('button.tap-ok').click();
    } else if (!failed) {
      failed = li.dataset.item;
      li.querySelector('button[value=fail]').click();
    } else {
      li.querySelector('button[value=pass]').click();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return failed;
}
"""


def photo(n: int) -> bytes:
    """A camera-like JPEG of about 300 KB (under the size that is downscaled on the phone)."""
    image = Image.effect_noise((512, 384), 30 + n).convert("RGB").resize((1280, 960))
    ImageDraw.Draw(image).line([(100, 80), (400, 300), (520, 700)], fill=(60, 50, 40), width=9)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


def flask(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def script(env: dict, code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def wait_for(page, function_js: str, timeout: float = 120.0, arg=None) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(function_js, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(function_js)
        page.wait_for_timeout(50)


def main() -> int:
    """Serve a fresh demo, then measure first-load bytes and the time to sync."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_env(tmp, f"sqlite:///{tmp / 'bench.db'}", base_url, "development")
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    inspection_id = script(env, START_SCRIPT)["id"]
    files = []
    for n in range(PHOTOS):
        files.append(tmp / f"photo-{n}.jpg")
        files[-1].write_bytes(photo(n))
    photo_bytes = sum(f.stat().st_size for f in files)
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base_url}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
            device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
            context = browser.new_context(**device, base_url=base_url, locale="zh-CN")
            first_load, requests = measure_first_load(context, inspection_id)
            page = context.pages[0]
            sync_seconds = measure_sync(page, context, inspection_id, files)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    stored = script(env, COUNT_SCRIPT, str(inspection_id))
    assert stored == {"answered": 89, "photos": PHOTOS}, stored
    table = "\n".join([
        "| measure | figure |", "|---|---:|",
        f"| first load with the service worker (login, today's list, checklist; {requests} requests, "
        f"precache included) | {first_load / 1024:.0f} KB |",
        f"| sync after reconnecting: 89 answers + {PHOTOS} photos ({photo_bytes / 1024:.0f} KB) queued offline, "
        f"until \"all saved\" | {sync_seconds:.1f} s |",
    ])
    notes = ("Local server (`flask run`, SQLite, one process), headless Chromium emulating a Pixel 7, no "
             "network throttling. Bytes are response bodies as they crossed the network (compressed), headers "
             "excluded. Every answer and photo was checked in the database afterwards (exactly 89 answered "
             f"items and {PHOTOS} photos).")
    print(table)
    write_section("sync", "Field outbox: first load and sync after reconnecting", table + "\n\n" + notes,
                  database=f"SQLite {sqlite3.sqlite_version}")  # the server's database (server_env above)
    return 0


def measure_first_load(context, inspection_id: int) -> tuple[int, int]:
    """Bytes of login → today → checklist on a phone that never opened the portal, the worker's included."""
    transferred = []
    context.on("requestfinished", lambda request: transferred.append(request))
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", "demo1234")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    wait_for(page, "async () => !!(await navigator.serviceWorker.ready).active && "
                   "(await navigator.serviceWorker.ready).active.state === 'activated'")
    page.goto(f"/inspections/{inspection_id}")
    page.wait_for_selector("#checklist")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    total = sum(max(0, r.sizes()["responseBodySize"]) for r in transferred)
    return total, len(transferred)


def measure_sync(page, context, inspection_id: int, files: list[Path]) -> float:
    """Answer everything and add the photos offline; seconds from reconnecting to "all saved"."""
    page.reload()  # controlled by the worker now
    page.wait_for_selector("#checklist")
    context.set_offline(True)
    failed = page.evaluate(ANSWER_ALL_JS)
    item = page.locator(f"#item-{failed}")
    item.locator(".photo-upload input.photo-input").set_input_files([str(f) for f in files])
    wait_for(page, "async (n) => (await window.PortalOutbox.all()).length >= n", arg=89 + len(files))
    started = time.monotonic()
    context.set_offline(False)
    wait_for(page, "async () => (await window.PortalOutbox.all()).length === 0 && "
                   "document.getElementById('sync-status').dataset.state === 'saved'", timeout=300)
    return time.monotonic() - started


if __name__ == "__main__":
    sys.exit(main())
