"""Storing, finding, serving and deleting photos; concealed-works records and closure tests.

A photo's database row and its three files exist together or not at all: files are written
first (each atomically), the row is flushed after; when anything fails the files written so
far are removed again (see :func:`portal.storage.discard`), and the cleanup command removes what a
killed process may have left.
"""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import bindparam, func, select

from portal.auth.models import User
from portal.auth.permissions import authorise, can
from portal.extensions import db
from portal.photos import imaging, markup
from portal.photos.models import ClosureTest, ConcealedWorksRecord, Photo, PhotoMarkup
from portal.projects.models import Project
from portal.storage import TEMP_PREFIX, Storage, discard, put_all
from portal.timeutil import to_local, utcnow

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# "plain": the display version without markup (the editor draws on it)
VARIANTS = ("thumb", "display", "original", "plain")


class PhotoError(Exception):
    """An upload or change that is not allowed; ``code`` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class PhotoTarget:
    """What a new photo documents, and the tags it gets."""

    project: Project
    record: ConcealedWorksRecord | None = None
    closure_test: ClosureTest | None = None
    inspection_id: int | None = None
    item_id: int | None = None
    notice_item_id: int | None = None
    system: str | None = None
    location: str = ""
    stage: str | None = None
    note: str = ""

    def matches(self, photo: Photo) -> bool:
        """True when an existing photo (same UUID) was uploaded for this same target."""
        return (photo.project_id == self.project.id and photo.record_id == (self.record.id if self.record else None)
                and photo.inspection_id == self.inspection_id and photo.item_id == self.item_id
                and photo.notice_item_id == self.notice_item_id)


def normalise_uuid(value: str | None) -> str:
    """The client's photo UUID in canonical lower-case form, or PhotoError("bad_uuid")."""
    value = (value or "").strip().lower()
    if not UUID_RE.fullmatch(value):
        raise PhotoError("bad_uuid")
    return value


def find_by_uuid(photo_uuid: str) -> Photo | None:
    """The photo with this client UUID, deleted or not."""
    return db.session.scalar(select(Photo).where(Photo.uuid == photo_uuid))


def watermark_lines(target: PhotoTarget, uploader: User, captured_at) -> list[str]:
    """Contract number and location; capture (or upload) time and who took it."""
    when = to_local(captured_at or utcnow())
    place = " · ".join(part for part in (target.project.contract_no, target.location) if part)
    return [place, f"{when:%Y-%m-%d %H:%M} · {uploader.display_name}"]


def store_photo(target: PhotoTarget, photo_uuid: str, data: bytes, uploader: User,
                storage: Storage, phone_captured_at: datetime | None = None) -> tuple[Photo, bool, list[str]]:
    """Store an upload; returns (photo, created, keys written).

    The capture time is the photo's own (EXIF); without one, ``phone_captured_at``: when it
    was chosen on the phone (clock corrected), which may be long before the upload.

    A second upload with the same UUID returns the first photo (created False) and writes
    nothing. Raises imaging.ImageRejected for bad images, StorageError when the store fails.
    """
    existing = find_by_uuid(photo_uuid)
    if existing is not None:
        if not target.matches(existing):
            raise PhotoError("uuid_conflict")
        return existing, False, []
    processed = imaging.process(data, lambda captured: watermark_lines(target, uploader, captured))
    base = f"photos/{target.project.id}/{photo_uuid}-{secrets.token_hex(4)}"
    files = {f"{base}/original.{processed.extension}": data, f"{base}/display.jpg": processed.display,
             f"{base}/thumb.jpg": processed.thumbnail}
    written = put_all(storage, files)
    keys = list(files)
    photo = Photo(uuid=photo_uuid, project_id=target.project.id, record_id=target.record.id if target.record else None,
                  closure_test_id=target.closure_test.id if target.closure_test else None,
                  inspection_id=target.inspection_id, item_id=target.item_id, notice_item_id=target.notice_item_id,
                  system=target.system,
                  location=target.location[:100], stage=target.stage, note=target.note[:2000],
                  uploaded_by_id=uploader.id, captured_at=processed.captured_at or phone_captured_at, device_model=processed.device_model,
                  sha256=processed.sha256, size_bytes=processed.size, width=processed.width, height=processed.height,
                  format=processed.format, original_key=keys[0], display_key=keys[1], thumb_key=keys[2])
    db.session.add(photo)
    try:
        db.session.flush()
    except Exception:
        discard(storage, written)
        raise
    return photo, True, written



def get_photo_or_404(photo_uuid: str, user: User, variant: str = "thumb") -> Photo:
    """A photo the user may see: its project must be visible to him; originals only for office and inspectors.

    Every refusal is 404: a photo URL reveals nothing (see :mod:`portal.photos.permissions`).
    """
    if variant not in VARIANTS or not UUID_RE.fullmatch(photo_uuid or ""):
        abort(404)
    return authorise(user, find_by_uuid(photo_uuid), "original" if variant == "original" else "view", denied=404)


def key_for(photo: Photo, variant: str, marked: PhotoMarkup | None = None) -> str:
    """The storage key of one version of the photo; display and thumbnail show ``marked`` burned in."""
    if marked is not None and variant == "display":
        return marked.display_key
    if marked is not None and variant == "thumb":
        return marked.thumb_key
    return {"thumb": photo.thumb_key, "display": photo.display_key, "plain": photo.display_key,
            "original": photo.original_key}[variant]


# --- markup ---------------------------------------------------------------------------------

def latest_markup(photo: Photo) -> PhotoMarkup | None:
    """The markup version shown on the photo, or None when it was never marked."""
    return db.session.scalar(select(PhotoMarkup).where(PhotoMarkup.photo_id == photo.id)
                             .order_by(PhotoMarkup.version.desc()).limit(1))


def latest_markups(photo_ids: list[int]) -> dict[int, PhotoMarkup]:
    """The shown markup version of each of these photos that has one (one query)."""
    if not photo_ids:
        return {}
    newest = (select(PhotoMarkup.photo_id, func.max(PhotoMarkup.version).label("version"))
              .where(PhotoMarkup.photo_id.in_(photo_ids)).group_by(PhotoMarkup.photo_id).subquery())
    rows = db.session.scalars(select(PhotoMarkup).join(
        newest, (PhotoMarkup.photo_id == newest.c.photo_id) & (PhotoMarkup.version == newest.c.version)))
    return {row.photo_id: row for row in rows}


def shown_thumb_keys(photos: list[Photo]) -> dict[int, str]:
    """Photo id → the thumbnail key as shown (markup burned in when there is one)."""
    marked = latest_markups([photo.id for photo in photos])
    return {photo.id: key_for(photo, "thumb", marked.get(photo.id)) for photo in photos}


def markup_history(photo: Photo) -> list[PhotoMarkup]:
    """Every markup version of the photo, newest first."""
    return list(db.session.scalars(select(PhotoMarkup).where(PhotoMarkup.photo_id == photo.id)
                                   .order_by(PhotoMarkup.version.desc())))


def find_markup(client_id: str) -> PhotoMarkup | None:
    """The markup version saved under this client id."""
    return db.session.scalar(select(PhotoMarkup).where(PhotoMarkup.client_id == client_id))


def save_markup(photo: Photo, client_id: str, shapes: list[dict], user: User,
                storage: Storage) -> tuple[PhotoMarkup, bool, list[str]]:
    """Store a new markup version of ``photo``; returns (markup, created, keys written).

    The same ``client_id`` again returns the version it saved (created False, nothing written).
    The marked display version and thumbnail are rendered here; the original is not touched.
    """
    existing = find_markup(client_id)
    if existing is not None:
        if existing.photo_id != photo.id:
            raise PhotoError("uuid_conflict")
        return existing, False, []
    current = latest_markup(photo)
    version = (current.version if current else 0) + 1
    written: list[str] = []
    display_key, thumb_key = photo.display_key, photo.thumb_key
    if shapes:
        with storage.open(photo.display_key) as handle:
            display, thumbnail = markup.render_versions(handle.read(), shapes)
        folder = photo.display_key.rsplit("/", 1)[0]
        base = f"{folder}/markup-{version}-{secrets.token_hex(4)}"
        display_key, thumb_key = f"{base}-display.jpg", f"{base}-thumb.jpg"
        written = put_all(storage, {display_key: display, thumb_key: thumbnail})
    row = PhotoMarkup(photo_id=photo.id, version=version, client_id=client_id, shapes=markup.dumps(shapes),
                      shape_count=len(shapes), display_key=display_key, thumb_key=thumb_key, created_by_id=user.id)
    db.session.add(row)
    try:
        db.session.flush()
    except Exception:
        discard(storage, written)
        raise
    return row, True, written


def soft_delete(photo: Photo, user: User, reason: str, locked: bool) -> None:
    """Hide a photo with a reason (kept in history); only the uploader or office, only while open."""
    if locked:
        raise PhotoError("locked")
    if not can(user, photo, "delete"):
        raise PhotoError("not_yours")
    reason = reason.strip()
    if not reason:
        raise PhotoError("reason_required")
    if photo.is_deleted:
        return
    photo.deleted_at, photo.deleted_by_id, photo.delete_reason = utcnow(), user.id, reason[:2000]
    db.session.flush()


# --- concealed-works records ---------------------------------------------------------------

def concealed_record(project: Project) -> ConcealedWorksRecord:
    """The project's concealed-works record, created on first use."""
    record = db.session.scalar(select(ConcealedWorksRecord).where(ConcealedWorksRecord.project_id == project.id))
    if record is None:
        record = ConcealedWorksRecord(project_id=project.id)
        db.session.add(record)
        db.session.flush()
    return record


def record_photos(record: ConcealedWorksRecord) -> list[Photo]:
    """The record's photos (not deleted), grouped-friendly order: system, location, time."""
    return list(db.session.scalars(select(Photo).where(Photo.record_id == record.id, Photo.deleted_at.is_(None))
                                   .order_by(Photo.system, Photo.location, Photo.captured_at, Photo.id)))


def item_photos(inspection_id: int, item_ids: list[int] | None = None) -> dict[int, list[Photo]]:
    """Photos of an inspection's items, by item id (one query)."""
    query, values = ((_ITEM_PHOTOS, {"inspection_id": inspection_id}) if item_ids is None else
                     (_SOME_ITEMS_PHOTOS, {"inspection_id": inspection_id, "item_ids": list(item_ids)}))
    result: dict[int, list[Photo]] = {}
    for photo in db.session.scalars(query, values):
        result.setdefault(photo.item_id, []).append(photo)
    return result


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every tap shows its item's photos.
_ITEM_PHOTOS = select(Photo).where(Photo.inspection_id == bindparam("inspection_id"),
                                   Photo.deleted_at.is_(None)).order_by(Photo.id)
_SOME_ITEMS_PHOTOS = _ITEM_PHOTOS.where(Photo.item_id.in_(bindparam("item_ids", expanding=True)))


def item_photo_counts(inspection_id: int) -> dict[int, int]:
    """How many photos each item of the inspection has (aggregate query)."""
    return dict(db.session.execute(_ITEM_PHOTO_COUNTS, {"inspection_id": inspection_id}).all())


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every checklist page counts.
_ITEM_PHOTO_COUNTS = select(Photo.item_id, func.count()).where(
    Photo.inspection_id == bindparam("inspection_id"), Photo.deleted_at.is_(None)).group_by(Photo.item_id)


def can_upload_concealed(project: Project, user: User) -> bool:
    """The project's foreman and project manager, inspectors and office add concealed-works photos."""
    return can(user, project, "upload_concealed")


def orphaned_folders(storage, older_than_seconds: int = 3600) -> list[str]:
    """Photo folders (as keys) that no database row points to: left by a killed upload, empty or not.

    Only folders older than ``older_than_seconds`` count, so uploads in flight are spared.
    """
    root = getattr(storage, "root", None)
    if root is None or not (root / "photos").is_dir():
        return []
    known = {key.rsplit("/", 1)[0] for key in db.session.scalars(select(Photo.original_key))}
    cutoff = time.time() - older_than_seconds
    orphans = []
    for folder in sorted((root / "photos").glob("*/*")):
        key = folder.relative_to(root).as_posix()
        if key not in known and (mtime := _folder_mtime(folder)) is not None and mtime < cutoff:
            orphans.append(key)
    return orphans


def orphaned_markup_files(storage, older_than_seconds: int = 3600) -> list[str]:
    """Marked versions (``markup-*`` files in photo folders) that no markup row points to: left by a
    save killed between writing its files and committing. Only files older than the cutoff count."""
    root = getattr(storage, "root", None)
    if root is None or not (root / "photos").is_dir():
        return []
    known = set()
    for display_key, thumb_key in db.session.execute(select(PhotoMarkup.display_key, PhotoMarkup.thumb_key)):
        known.update((display_key, thumb_key))
    cutoff = time.time() - older_than_seconds
    orphans = []
    for file in sorted((root / "photos").glob("*/*/markup-*")):
        key = file.relative_to(root).as_posix()
        if key not in known and (mtime := _file_mtime(file)) is not None and mtime < cutoff:
            orphans.append(key)
    return orphans


def _file_mtime(path) -> float | None:
    try:
        return path.stat().st_mtime if path.is_file() else None
    except FileNotFoundError:
        return None


def finished_files(storage, folders: list[str]) -> list[str]:
    """The files (keys) in ``folders``, without the temp files of unfinished writes."""
    return [f"{key}/{file.name}" for key in folders for file in sorted(storage.path(key).iterdir())
            if file.is_file() and not file.name.startswith(TEMP_PREFIX)]


def _folder_mtime(path) -> float | None:
    """When a folder's entries last changed; None for files and for folders removed meanwhile."""
    try:
        return path.stat().st_mtime if path.is_dir() else None
    except FileNotFoundError:
        return None
