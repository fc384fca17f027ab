"""The owner's archive of concealed-works photos: a ZIP streamed chunk by chunk.

It replaces the disc burned at warranty handover (刻录隐蔽工程照片): originals, plus an
index.html to browse them and a CSV (UTF-8 with BOM, opens in Excel) with system, room,
time, note and SHA-256. Memory stays flat: each original is copied from the store into the
ZIP stream in small pieces.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from html import escape

from portal.csvexport import safe_cell
from portal.photos.models import Photo
from portal.storage import Storage
from portal.timeutil import to_local

CHUNK = 256 * 1024


class _Pipe(io.RawIOBase):
    """A write-only, non-seekable stream whose written bytes the generator drains."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def archive_name(photo: Photo, index: int) -> str:
    """Path inside the ZIP: system/location/NNN_time.ext (ASCII-safe apart from the Chinese room name)."""
    when = to_local(photo.captured_at or photo.uploaded_at)
    ext = photo.original_key.rsplit(".", 1)[-1]
    return f"{folder_name(photo.system_label)}/{folder_name(photo.location)}/{index:03d}_{when:%Y%m%d_%H%M%S}.{ext}"


def marked_name(name: str) -> str:
    """The archive name of a photo's marked display version, beside its original."""
    return f"{name.rsplit('.', 1)[0]}_marked.jpg"


def folder_name(text: str | None) -> str:
    """User text as one harmless folder name: no separators, control characters or leading dots
    (``..`` would climb out of the folder when the owner unpacks the archive); ``-`` when empty."""
    cleaned = "".join("_" if char in "/\\:" or ord(char) < 32 or ord(char) == 127 else char
                      for char in (text or ""))[:40]
    cleaned = cleaned.strip().lstrip(".").strip()
    return cleaned or "-"


def stream_archive(photos: list[Photo], storage: Storage, title: str,
                   marked: dict[int, str] | None = None) -> Iterator[bytes]:
    """Yield the ZIP file: originals (stored, they are compressed already), index.html, photos.csv.

    ``marked`` maps a photo id to the key of its display version with the markup burned in;
    such a photo gets that version too, beside its original (``…_marked.jpg``).
    """
    marked = marked or {}
    pipe = _Pipe()
    names = []
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for index, photo in enumerate(photos, start=1):
            name = archive_name(photo, index)
            names.append(name)
            info = zipfile.ZipInfo(name, date_time=to_local(photo.captured_at or photo.uploaded_at).timetuple()[:6])
            with storage.open(photo.original_key) as source, archive.open(info, mode="w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield pipe.drain()
            if photo.id in marked:
                with storage.open(marked[photo.id]) as source:
                    archive.writestr(marked_name(name), source.read())
                yield pipe.drain()
        archive.writestr("photos.csv", _csv(photos, names), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("index.html", _index(photos, names, title, marked), compress_type=zipfile.ZIP_DEFLATED)
    yield pipe.drain()


def _csv(photos: list[Photo], names: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "system", "location", "stage", "captured_at", "uploaded_at", "note", "sha256", "bytes",
                     "width", "height", "device"])
    for photo, name in zip(photos, names):
        # Location, note and device are typed or sent by people: no formula may come alive in Excel.
        writer.writerow([safe_cell(value) for value in (
            name, photo.system_label, photo.location, photo.stage or "", _time(photo.captured_at),
            _time(photo.uploaded_at), photo.note, photo.sha256, photo.size_bytes, photo.width, photo.height,
            photo.device_model or "")])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _index(photos: list[Photo], names: list[str], title: str, marked: dict[int, str]) -> str:
    rows = "\n".join(
        f'<figure><a href="{escape(name)}"><img src="{escape(marked_name(name) if photo.id in marked else name)}" '
        'loading="lazy" alt=""></a>'
        f"<figcaption>{escape(photo.system_label)} · {escape(photo.location)} · {_time(photo.captured_at)}"
        f"<br>{escape(photo.note)}<br><small>SHA-256 {photo.sha256}</small></figcaption></figure>"
        for photo, name in zip(photos, names))
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{escape(title)}</title>'
            "<style>body{font-family:sans-serif}figure{display:inline-block;width:320px;vertical-align:top}"
            "img{max-width:100%}</style>"
            f"<h1>{escape(title)}</h1>{rows}</html>")


def _time(value) -> str:
    local = to_local(value)
    return f"{local:%Y-%m-%d %H:%M:%S}" if local else ""
