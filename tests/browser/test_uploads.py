"""The phone-side photo upload queue (static/js/uploads.js) on the concealed-works page.

The demo inspector uploads to the concealed-works record of the demo project B26092801 (the
live server is shared; A26101201 belongs to another test). Every test counts only the photos
it uploaded itself (by their UUIDs), so the tests do not depend on each other.
"""
from __future__ import annotations

import html
import io
import re
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.browser.conftest import WITHOUT_WORKER, login

CONTRACT_NO = "B26092801"
UPLOADS = "**/concealed/photos"
TAKEN = "2026:11:20 09:15:00"      # DateTimeOriginal of the big test photo
TAKEN_SHOWN = "2026-11-20 09:15"   # as the thumbnail's caption shows it
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


# --- test files ---------------------------------------------------------------------------------

def camera_jpeg(width: int, height: int, *, orientation: int | None = None, taken: str | None = None,
                quality: int = 92, sigma: float = 40) -> bytes:
    """A JPEG that compresses like a photo (gradients, sensor noise), with EXIF like a phone's."""
    noise = [Image.effect_noise((width // 2, height // 2), sigma).resize((width, height)) for _ in range(3)]
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (Image.blend(noise[0], gradient, 0.5),
                                Image.blend(noise[1], gradient.rotate(90).resize((width, height)), 0.5), noise[2]))
    # A red patch in the stored top left: after orientation 6 it belongs at the top right.
    ImageDraw.Draw(image).rectangle([width // 10, height // 10, width // 3, height // 4], fill=(200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "TestPhone 7"
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def small_png(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name -> (file name, content)."""
    boundary = re.search(r"boundary=(.+)", content_type).group(1).strip('"').encode()
    parts = {}
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, content = chunk.partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', disposition).group(1)
        filename = re.search(r'filename="([^"]*)"', disposition)
        parts[name] = (filename.group(1) if filename else None, content[:-2])  # minus the CRLF before --boundary
    return parts


# --- page helpers -------------------------------------------------------------------------------

def open_concealed(page: Page) -> str:
    """Open the concealed-works page of the test project the way a user does; returns its path."""
    page.goto(f"/projects/?q={CONTRACT_NO}")
    page.locator("main .list-item a", has_text=CONTRACT_NO).click()
    page.locator("main a[href$='/concealed']").click()
    expect(page.locator("form.photo-upload")).to_be_visible()
    return re.sub(r"^https?://[^/]+", "", page.url)


def set_tags(page: Page, location: str) -> None:
    page.locator("form.photo-upload select[name=system]").select_option("drainage")
    page.locator("form.photo-upload input[name=location]").fill(location)


def record_queue(page: Page) -> None:
    """Log every state each queue entry goes through, and the photo:uploaded events."""
    page.evaluate("""() => {
      window.__states = {}; window.__uploaded = [];
      const log = (li, state) => { if (li.dataset && li.dataset.uuid && state) {
        const s = (window.__states[li.dataset.uuid] = window.__states[li.dataset.uuid] || []);
        if (s[s.length - 1] !== state) { s.push(state); } } };
      // A batch of records may hold several changes of one entry: the old values give the steps.
      new MutationObserver((records) => {
        const touched = new Set();
        records.forEach((r) => {
          if (r.type === 'attributes') { log(r.target, r.oldValue); touched.add(r.target); }
          else { r.addedNodes.forEach((n) => touched.add(n)); }
        });
        touched.forEach((li) => log(li, li.dataset && li.dataset.state));
      }).observe(document.body, { subtree: true, childList: true, attributes: true,
                                  attributeOldValue: true, attributeFilter: ['data-state'] });
      document.addEventListener('photo:uploaded', (e) => window.__uploaded.push(e.detail));
    }""")


def queued_uuids(page: Page, count: int) -> list[str]:
    entries = page.locator("form.photo-upload .upload-queue li.upload")
    expect(entries).to_have_count(count)
    uuids = [entries.nth(i).get_attribute("data-uuid") for i in range(count)]
    assert all(UUID_RE.match(u) for u in uuids), uuids
    assert len(set(uuids)) == count
    return uuids


def expect_thumbnail(page: Page, uuid: str) -> None:
    """Exactly one thumbnail of the photo in the gallery, and its image loads."""
    expect(page.locator(f"#photo-{uuid}")).to_have_count(1, timeout=30_000)
    img = page.locator(f"#photo-{uuid} img")
    img.scroll_into_view_if_needed()
    deadline = time.monotonic() + 15
    while not img.evaluate("el => el.complete && el.naturalWidth > 0"):
        assert time.monotonic() < deadline, f"thumbnail of {uuid} did not load"
        page.wait_for_timeout(100)


# --- 1. three photos, the big one downscaled on the phone ---------------------------------------

@WITHOUT_WORKER
def test_three_photos_go_through_the_queue_and_the_big_one_is_downscaled(page: Page, live_server, tmp_path):
    big = camera_jpeg(3000, 4000, orientation=6, taken=TAKEN)
    files = [write(tmp_path / "IMG_20261120_091500.jpg", big),
             write(tmp_path / "small.jpg", camera_jpeg(800, 600, taken=TAKEN, sigma=10, quality=80)),
             write(tmp_path / "sketch.png", small_png())]
    assert len(big) > 3_000_000  # a 12 MP phone photo

    sent = {}  # file name -> (uuid, the uploaded file, its other fields, whole body size)

    def capture(route):
        request = route.request
        body = request.post_data_buffer or b""
        parts = multipart(body, request.headers["content-type"])
        original_name = parts["file"][0]
        sent[original_name] = (parts["uuid"][1].decode(), parts["file"][1],
                               {k: v[1].decode() for k, v in parts.items() if k != "file"}, len(body),
                               request.headers)
        route.continue_()

    # The compressor runs in a web worker (blob: URL, importScripts of our vendor copy) under the
    # portal's CSP; the library would fall back to the page silently, so its answers are watched.
    page.add_init_script("""(() => {
      const Native = window.Worker;
      window.__workerAnswers = [];
      window.Worker = function (url, options) {
        const worker = new Native(url, options);
        worker.addEventListener('message', (e) => {
          if (e.data && e.data.progress === undefined) { window.__workerAnswers.push(e.data.error ? 'error' : 'file'); }
        });
        return worker;
      };
    })()""")
    login(page, "inspector")
    open_concealed(page)
    set_tags(page, "主卫")
    record_queue(page)
    page.route(UPLOADS, capture)

    page.locator("form.photo-upload input.photo-input").set_input_files(files)
    uuids = queued_uuids(page, 3)
    for uuid in uuids:
        expect_thumbnail(page, uuid)
    # Each went through the queue to "done"; done entries leave the queue after a while.
    expect(page.locator("form.photo-upload .upload-queue li.upload")).to_have_count(0, timeout=15_000)
    states = page.evaluate("window.__states")
    for uuid in uuids:
        assert states[uuid][-1] == "done", states
        assert "uploading" in states[uuid], states
    assert "compressing" in states[uuids[0]], states
    assert sorted(e["uuid"] for e in page.evaluate("window.__uploaded")) == sorted(uuids)
    assert {e["status"] for e in page.evaluate("window.__uploaded")} == {201}
    assert page.evaluate("window.__workerAnswers") == ["file"]  # the big photo, compressed in the worker

    # The requests: one per photo, with the tags, the entry's UUID as its client id, and the CSRF
    # token in the header only (a token in the stored fields could be stale after hours offline).
    assert sorted(sent) == ["IMG_20261120_091500.jpg", "sketch.png", "small.jpg"], sorted(sent)
    for name, uuid in zip(["IMG_20261120_091500.jpg", "small.jpg", "sketch.png"], uuids):
        sent_uuid, _file, fields, _size, headers = sent[name]
        assert sent_uuid == uuid
        assert fields["system"] == "drainage" and fields["location"] == "主卫" and "csrf_token" not in fields
        assert fields["client_id"] == uuid and fields["captured_at"]
        assert headers["x-csrftoken"] and headers["hx-request"] == "true"

    # The 12 MP photo was downscaled on the phone: long side 2048, upright, EXIF capture time kept.
    _uuid, uploaded, _fields, body_size, _headers = sent["IMG_20261120_091500.jpg"]
    print(f"12 MP photo: original {len(big)} bytes, request body {body_size} bytes, JPEG sent {len(uploaded)} bytes")
    assert body_size < len(big) * 0.3, (body_size, len(big))
    image = Image.open(io.BytesIO(uploaded))
    assert image.format == "JPEG" and image.size == (2048, 1536), image.size
    exif = image.getexif()
    assert exif.get(0x0112, 1) == 1
    assert exif.get_ifd(0x8769).get(0x9003) == TAKEN
    assert uploaded.count(b"Exif\x00\x00") == 1  # EXIF copied once, not twice
    red_patch = image.convert("RGB").getpixel((1690, 330))  # top right once turned upright
    assert red_patch[0] > 150 and red_patch[1] < 90, red_patch
    expect(page.locator(f"#photo-{uuids[0]} .photo-meta")).to_contain_text(TAKEN_SHOWN)
    # The small ones went up as they were (the server keeps the original bytes). Chromium does not
    # show the route a file that is read from disk, so this is checked in the server's storage.
    stored = Path(live_server.env["UPLOAD_DIR"]) / "photos"
    for path, uuid in zip(files, uuids):
        originals = list(stored.glob(f"*/{uuid}-*/original.*"))
        assert len(originals) == 1, originals
        if path != files[0]:
            assert originals[0].read_bytes() == Path(path).read_bytes()
        else:
            assert originals[0].read_bytes() == uploaded


# --- 2. a lost upload is sent again with the same UUID and bytes --------------------------------

@WITHOUT_WORKER
def test_failed_upload_is_retried_with_the_same_uuid_until_it_arrives(page: Page, tmp_path):
    photo = write(tmp_path / "retry.jpg", camera_jpeg(2400, 1800, taken=TAKEN))
    attempts = []
    server_answers = []

    def flaky(route):
        request = route.request
        boundary = re.search(r"boundary=(.+)", request.headers["content-type"]).group(1)
        body = request.post_data_buffer or b""
        attempts.append(body.replace(boundary.encode(), b""))
        if len(attempts) == 1:      # lost on the way to the server
            route.abort("connectionreset")
        elif len(attempts) == 2:    # stored by the server, but its answer is lost
            server_answers.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    login(page, "inspector")
    path = open_concealed(page)
    set_tags(page, "厨房")
    record_queue(page)
    page.route(UPLOADS, flaky)
    page.locator("form.photo-upload input.photo-input").set_input_files(photo)
    uuid = queued_uuids(page, 1)[0]
    entry = page.locator(f"form.photo-upload li.upload[data-uuid='{uuid}']")

    # It fails, says when it tries again, and gets through on the third attempt (after 2 + 4 s).
    expect(entry).to_have_attribute("data-state", "failed", timeout=20_000)
    status = entry.locator(".upload-status")
    expect(status).to_have_text(re.compile(r"\d"))
    assert "{s}" not in status.inner_text()
    expect(entry).to_have_attribute("data-state", "done", timeout=30_000)
    assert len(attempts) == 3
    assert attempts[0] == attempts[1] == attempts[2]  # same UUID, same tags, same compressed bytes
    assert uuid.encode() in attempts[0]
    # The second attempt was stored (201); the third got "already stored" (200) for the same UUID.
    assert server_answers == [201]
    assert page.evaluate("window.__uploaded") == [{"uuid": uuid, "status": 200}]
    states = page.evaluate("window.__states")[uuid]
    assert states[-6:] == ["uploading", "failed", "uploading", "failed", "uploading", "done"], states

    expect_thumbnail(page, uuid)
    expect(page.locator(f"[id='photo-{uuid}']")).to_have_count(1)  # never twice
    page.unroute(UPLOADS)

    # The server stored it once.
    page.goto(path)
    expect(page.locator(f"[id='photo-{uuid}']")).to_have_count(1)


# --- 3. a file that is not a photo: the server's message, no retry ------------------------------

def test_non_image_shows_the_server_message_without_retrying(page: Page, tmp_path):
    fake = write(tmp_path / "not-a-photo.jpg", b"This is a text file with a photo's name.\n" * 50)
    pdf = write(tmp_path / "report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    answers = []

    def on_response(response):
        if response.request.method == "POST" and response.url.endswith("/concealed/photos"):
            answers.append(response)

    login(page, "inspector")
    open_concealed(page)
    set_tags(page, "阳台")
    page.on("response", on_response)
    page.locator("form.photo-upload input.photo-input").set_input_files([fake, pdf])
    uuids = queued_uuids(page, 2)

    entries = page.locator("form.photo-upload .upload-queue li.upload")
    for i in range(2):
        expect(entries.nth(i)).to_have_attribute("data-state", "error", timeout=15_000)
    assert [response.status for response in answers] == [422, 422], answers
    for i, response in enumerate(answers):
        message = html.unescape(re.sub(r"<[^>]+>", "", response.text())).strip()
        assert message
        expect(entries.nth(i).locator(".upload-status")).to_have_text(message)

    page.wait_for_timeout(3_000)  # longer than the first retry delay
    assert len(answers) == 2
    for i in range(2):
        expect(entries.nth(i)).to_have_attribute("data-state", "error")
    for uuid in uuids:
        expect(page.locator(f"[id='photo-{uuid}']")).to_have_count(0)


@pytest.fixture(autouse=True)
def _no_uncaught_errors(page: Page):
    """No script error and no CSP violation on the page during a test."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    yield
    assert not problems, problems
