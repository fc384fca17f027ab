"""Screenshots of the demo for the README's tour: ``make screenshots`` writes docs/screenshots/*.png.

Starts its own portal (``flask run``) on a fresh SQLite database loaded by ``flask db upgrade`` and
``flask seed-demo`` (the tests' live-server helpers), logs in as each demo user in Chromium and
photographs his landing page: the inspector and the foreman on a phone (Pixel 7 viewport), the
desk roles on a laptop-sized window. PNGs are reduced to a palette when that keeps them small.
"""
from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.live import free_port, server_env  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo1234"
MAX_BYTES = 200 * 1024
# (file name, login, page, phone?)
SHOTS = [
    ("inspector", "inspector", "/inspections/today", True),
    ("foreman", "foreman", "/notices/mine", True),
    ("pm", "pm", "/notices/mine", False),
    ("engineering", "engineering", "/schedule/submissions", False),
    ("office", "office", "/dashboard/", False),
    ("finance", "finance", "/finance/ready", False),
    ("admin", "admin", "/admin/users", False),
]


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def small_png(data: bytes) -> bytes:
    """The screenshot, as a 256-colour PNG when the full-colour one is too big."""
    if len(data) <= MAX_BYTES:
        return data
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(
        out, "PNG", optimize=True)
    return out.getvalue()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = server_env(Path(tmp), f"sqlite:///{tmp}/demo.db", base, "development")
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_for(f"{base}/healthz")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                            args=["--no-sandbox", "--disable-gpu"])
                phone = {**p.devices["Pixel 7"], "device_scale_factor": 1}
                desk = {"viewport": {"width": 1100, "height": 760}}
                for name, username, path, on_phone in SHOTS:
                    context = browser.new_context(base_url=base, locale="zh-CN", **(phone if on_phone else desk))
                    page = context.new_page()
                    page.goto("/login")
                    page.fill("input[name=username]", username)
                    page.fill("input[name=password]", PASSWORD)
                    with page.expect_navigation():
                        page.locator("main form button[type=submit]").click()
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    data = small_png(page.screenshot())
                    (OUT / f"{name}.png").write_bytes(data)
                    print(f"docs/screenshots/{name}.png  {len(data) // 1024} KB")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
