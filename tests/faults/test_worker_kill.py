"""A gunicorn worker killed with SIGKILL in the middle of a photo upload.

After each kill there is no row without its files, and the retried upload with the same
client UUID (the phone's queue retries at once) completes, with one row. The files without a
row (and the temp files of interrupted writes) are exactly what ``flask cleanup-uploads``
reports and removes (it runs last, as from cron); the retried photos stay intact.

How the kill lands in the middle: gunicorn runs one worker, so the pid handling the upload
is known. While a noisy 12 MP JPEG (about 7 MB; 150–250 ms of processing) is in flight, the
test watches the photo's folder in UPLOAD_DIR — FileSystemStorage writes each file under a
``.tmp-*`` name, fsyncs and renames it; the row is committed after the third file — and
sends SIGKILL the moment the phase it wants is visible:

- ``decoding``: 40 ms after the request body was sent, before any file exists;
- ``writing``: the original (the largest file) is still being written under its temp name;
- ``between``: the original is in place, the other two are being written;
- ``committing``: all three files are in place, the row is being saved.

Each trial checks that the kill left what its phase leaves (nothing; a temp file; finished
files without a row), so the test shows it hit its window. A kill that comes too late (the
answer arrived first: the windows of the last two phases are a few milliseconds) is tried
again with a new photo.
"""
from __future__ import annotations

import http.client
import io
import os
import signal
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from portal.storage import TEMP_PREFIX
from tests.faults.server import Client, GunicornServer, multipart, standalone_app, start_gunicorn

pytestmark = pytest.mark.fault

DATABASE = "portal_faults"
PHOTO_FILES = {"original.jpg", "display.jpg", "thumb.jpg"}
KILL_TIMEOUT = 20.0
ATTEMPTS = 3


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """This module talks to its own server only; the suite's database stays untouched."""
    return standalone_app(tmp_path_factory)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo portal under gunicorn with a single worker (so the upload's worker is known)."""
    with start_gunicorn(tmp_path_factory.mktemp("worker_kill"), DATABASE, workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def noisy_photo() -> bytes:
    """A grainy 12 MP JPEG (high ISO): entropy decoding makes it one of the slowest photos to process."""
    noise = Image.effect_noise((4000, 3000), 60).convert("RGB")
    scene = Image.blend(Image.linear_gradient("L").resize((4000, 3000)).convert("RGB"), noise, 0.5)
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=92)
    return out.getvalue()


# --- one upload, killed --------------------------------------------------------------------

@dataclass
class Upload:
    """A concealed-works photo upload sent on its own connection (from a thread)."""

    client: Client
    path: str
    photo_uuid: str
    data: bytes
    sent_at: float | None = None
    status: int | None = None
    error: BaseException | None = None

    def body(self) -> tuple[bytes, str]:
        """The form the phone's upload queue sends."""
        return multipart({"uuid": self.photo_uuid, "system": "water_supply", "location": "主卫",
                          "stage": "before_covering", "closure_test_id": "0", "note": "隐蔽工程"},
                         {"file": ("IMG_0001.jpg", "image/jpeg", self.data)})

    def send(self) -> None:
        """Send the request and wait for the answer; a dropped connection is kept in ``error``."""
        body, content_type = self.body()
        try:
            with closing(self.client.connection()) as conn:
                conn.request("POST", self.path, body=body,
                             headers=self.client.headers({"Content-Type": content_type}, unsafe=True))
                self.sent_at = time.monotonic()
                self.status = self.client.read(conn.getresponse()).status
        except (OSError, http.client.HTTPException) as exc:  # RemoteDisconnected, ConnectionResetError
            self.error = exc


def photo_folder(server: GunicornServer, project_id: int, photo_uuid: str) -> set[str] | None:
    """The names in the upload's folder (``.tmp-*`` shortened to ``.tmp``), None before it exists."""
    project = server.upload_dir / "photos" / str(project_id)
    try:
        with os.scandir(project) as entries:
            folder = next((entry.path for entry in entries if entry.name.startswith(photo_uuid)), None)
        return None if folder is None else {".tmp" if name.startswith(".tmp-") else name for name in os.listdir(folder)}
    except FileNotFoundError:
        return None


TRIGGERS = {
    "decoding": lambda seen, since_sent: seen is None and since_sent >= 0.04,
    "writing": lambda seen, since_sent: seen is not None and ".tmp" in seen and not seen & PHOTO_FILES,
    "between": lambda seen, since_sent: seen is not None and "original.jpg" in seen and "thumb.jpg" not in seen,
    "committing": lambda seen, since_sent: seen is not None and PHOTO_FILES <= seen,
}


def kill_during(server: GunicornServer, upload: Upload, project_id: int, phase: str) -> tuple[bool, set[str] | None]:
    """Send the upload and SIGKILL the worker when ``phase`` shows: (killed, what the folder held then).

    Nothing is killed when the answer arrived first (the kill would have come too late).
    """
    (worker,) = server.wait_ready()
    trigger = TRIGGERS[phase]
    thread = threading.Thread(target=upload.send, name=f"upload-{phase}")
    thread.start()
    deadline = time.monotonic() + KILL_TIMEOUT
    seen, killed = None, False
    while thread.is_alive() and time.monotonic() < deadline:
        seen = photo_folder(server, project_id, upload.photo_uuid)
        since_sent = time.monotonic() - upload.sent_at if upload.sent_at else -1.0
        if since_sent >= 0 and trigger(seen, since_sent):
            os.kill(worker, signal.SIGKILL)
            killed = True
            break
    thread.join(timeout=KILL_TIMEOUT)
    assert not thread.is_alive(), f"the upload ({phase}) neither finished nor was killed"
    server.wait_ready(gone=worker if killed else None)  # the master starts a new worker
    return killed, seen


# --- what is stored ------------------------------------------------------------------------

def photo_rows(server: GunicornServer) -> dict[str, tuple[str, str, str]]:
    """Every photo row: uuid → (original, display, thumb) keys."""
    rows = server.query("SELECT uuid, original_key, display_key, thumb_key FROM photos")
    return {row[0]: tuple(row[1:]) for row in rows}


def stored_files(server: GunicornServer) -> set[str]:
    """Every photo file and every temp file in UPLOAD_DIR, as a key relative to it (the demo's
    signatures, certificates and plans belong to other rows, which uploads never touch)."""
    root = server.upload_dir
    if not root.is_dir():
        return set()
    keys = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}
    return {key for key in keys if key.startswith("photos/") or key.rsplit("/", 1)[-1].startswith(TEMP_PREFIX)}


def markup_files(server: GunicornServer) -> set[str]:
    """The burned-in versions of photo markups (stored in their photo's folder)."""
    return {key for row in server.query("SELECT display_key, thumb_key FROM photo_markups") for key in row}


def photo_folders(server: GunicornServer) -> set[str]:
    """Every photo folder (``photos/<project>/<uuid>-<token>``) as a key."""
    photos = server.upload_dir / "photos"
    return {path.relative_to(server.upload_dir).as_posix() for path in photos.glob("*/*")} if photos.is_dir() else set()


@dataclass
class Leftovers:
    """What no row accounts for: files (temp files included) and photo folders."""

    files: set[str]
    folders: set[str]


def check_rows_have_files(server: GunicornServer) -> Leftovers:
    """Assert every row's three files exist; return the files and folders without a row."""
    rows, files = photo_rows(server), stored_files(server)
    missing = {photo_uuid: [key for key in keys if key not in files] for photo_uuid, keys in rows.items()}
    assert not any(missing.values()), f"rows without their files: {missing}"
    owned = {key for keys in rows.values() for key in keys} | markup_files(server)
    owned_folders = {keys[0].rsplit("/", 1)[0] for keys in rows.values()}
    return Leftovers(files - owned, photo_folders(server) - owned_folders)


def cleanup_report(output: str, root: Path) -> tuple[set[str], set[str]]:
    """(files, folders) that ``flask cleanup-uploads`` listed, as keys."""
    files, folders = set(), set()
    for line in output.splitlines():
        kind, _, what = line.partition(" ")
        if kind == "orphan":
            files.add(what)
        elif kind == "temp":
            files.add(Path(what).relative_to(root).as_posix())
        elif kind == "folder":
            folders.add(what)
    return files, folders


def clean_up(server: GunicornServer, leftovers: Leftovers) -> None:
    """The cleanup command lists exactly the leftovers (dry run changes nothing), then removes them."""
    dry = server.flask("cleanup-uploads", "--older-than", "0", "--dry-run").stdout
    assert cleanup_report(dry, server.upload_dir) == (leftovers.files, leftovers.folders), dry
    assert check_rows_have_files(server) == leftovers, "the dry run removed something"
    done = server.flask("cleanup-uploads", "--older-than", "0").stdout
    assert cleanup_report(done, server.upload_dir) == (leftovers.files, leftovers.folders), done
    assert check_rows_have_files(server) == Leftovers(set(), set()), "cleanup-uploads left something behind"


def retry(server: GunicornServer, upload: Upload) -> int:
    """Upload the same photo (same UUID) again, as the phone's queue does; its status."""
    again = Upload(upload.client, upload.path, upload.photo_uuid, upload.data)
    again.send()
    assert again.error is None, f"the retried upload failed: {again.error!r}"
    return again.status


def killed_upload(server: GunicornServer, client: Client, project_id: int, phase: str, data: bytes):
    """A new photo's upload whose worker was killed while ``phase``: (upload, folder names seen then)."""
    for _attempt in range(ATTEMPTS):
        upload = Upload(client, f"/projects/{project_id}/concealed/photos", str(uuid.uuid4()), data)
        killed, seen = kill_during(server, upload, project_id, phase)
        if upload.status is None:  # the connection dropped with the worker
            assert killed, f"{phase}: the upload failed without a kill: {upload.error!r}"
            return upload, seen
        # The answer came before the kill could land (or nothing was killed): a new photo, again.
        assert upload.status == 201, f"{phase}: the upload answered {upload.status}"
    pytest.fail(f"the kill never landed while {phase} ({ATTEMPTS} attempts)")


def check_phase(phase: str, leftovers: Leftovers, committed: bool) -> None:
    """The kill hit its window: what it left is what that phase leaves."""
    names = {".tmp" if key.rsplit("/", 1)[-1].startswith(".tmp-") else key.rsplit("/", 1)[-1]
             for key in leftovers.files}
    if phase == "decoding":
        assert not leftovers.files and not leftovers.folders and not committed, f"decoding: left {leftovers}"
    elif phase == "writing":
        assert ".tmp" in names and not committed, f"writing: left {leftovers}"
    elif phase == "between":
        assert "original.jpg" in names and "thumb.jpg" not in names and not committed, f"between: left {leftovers}"
    else:
        # SIGKILL waits for a running fsync: the commit may just have made it (only the answer is
        # lost, nothing to clean); otherwise the three finished files are left without a row.
        assert (names == PHOTO_FILES and not committed) or (not names and committed), f"committing: left {leftovers}"


def kill_and_retry(server: GunicornServer, client: Client, project_id: int, phase: str, data: bytes,
                   before: Leftovers) -> tuple[Leftovers, str]:
    """Kill an upload while ``phase``, check what it left, retry it: (all leftovers now, what happened)."""
    upload, seen = killed_upload(server, client, project_id, phase, data)
    after = check_rows_have_files(server)
    left = Leftovers(after.files - before.files, after.folders - before.folders)
    committed = upload.photo_uuid in photo_rows(server)
    check_phase(phase, left, committed)
    # The phone's queue retries at once (the cleanup runs later, from cron): next to what the
    # killed attempt left, the retry stores one complete photo under the same UUID.
    assert retry(server, upload) == (200 if committed else 201)
    rows = server.query("SELECT COUNT(*) FROM photos WHERE uuid = ?", (upload.photo_uuid,))
    assert rows == [(1,)], f"{phase}: {rows[0][0]} rows for the retried UUID"
    assert check_rows_have_files(server) == after
    left_names = sorted(key.rsplit("/", 1)[1] for key in left.files)
    return after, f"saw {sorted(seen or [])}, left {left_names}{', committed' if committed else ''}"


# --- the test ------------------------------------------------------------------------------

def test_a_worker_killed_mid_upload_leaves_no_half_photo_and_the_retry_completes(server, noisy_photo):
    client = Client(server.url)
    client.login("inspector")
    (project_id,) = server.query("SELECT id FROM projects WHERE contract_no = ?", ("A26101201",))[0]
    leftovers = check_rows_have_files(server)
    assert leftovers == Leftovers(set(), set())
    kills = {}
    for phase in TRIGGERS:
        leftovers, kills[phase] = kill_and_retry(server, client, project_id, phase, noisy_photo, leftovers)
    assert any(name.rsplit("/", 1)[1] == "original.jpg" for name in leftovers.files)  # finished files, no row
    clean_up(server, leftovers)
    print("\nkills:", kills)
