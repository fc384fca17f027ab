"""Gzip for text responses: pages, htmx fragments, CSS, JavaScript, JSON, CSV, SVG, calendars.

A checklist page is about 170 KB of HTML and a tenth of that gzipped; on a site's mobile
connection the difference is most of the wait. Files sent with ``send_file`` (photos, PDFs,
ZIPs) stay as they are: they are compressed already, may be streamed and answer Range
requests. The portal's own static files are the exception: they are small, so each is
read and compressed once and kept in memory. ``COMPRESS_RESPONSES=0`` turns this off when a
reverse proxy compresses instead.
"""
from __future__ import annotations

import gzip
import os
from functools import lru_cache

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

COMPRESSIBLE_TYPES = frozenset({
    "text/html", "text/css", "text/plain", "text/csv", "text/calendar", "text/javascript",
    "application/javascript", "application/json", "application/xml", "image/svg+xml",
})
MIN_SIZE = 500  # below this the saving does not pay for the gzip header and the CPU
LEVEL = 6


def compress_response(response: Response) -> Response:
    """after_request: gzip ``response`` when the client accepts gzip and it is worth it."""
    if not current_app.config["COMPRESS_RESPONSES"] or response.mimetype not in COMPRESSIBLE_TYPES:
        return response
    response.vary.add("Accept-Encoding")
    if not _client_accepts_gzip():
        return response
    if response.status_code == 304:
        _weaken_etag(response)  # the same validator the compressed 200 carried
        return response
    if _may_rewrite(response):
        body = _static_gzip() if response.direct_passthrough else _body_gzip(response)
        if body is not None:
            _replace_body(response, body)
    return response


def _client_accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _may_rewrite(response: Response) -> bool:
    """Whole 200 answers without an encoding of their own; no byte ranges, no streams except static files."""
    if (response.status_code != 200 or "Content-Encoding" in response.headers
            or "Content-Range" in response.headers or response.cache_control.no_transform):
        return False
    if response.direct_passthrough:
        return request.endpoint == "static" and bool(current_app.static_folder)
    return not response.is_streamed


def _body_gzip(response: Response) -> bytes | None:
    """The compressed body, or None when it is too small to bother."""
    data = response.get_data()
    return gzip.compress(data, compresslevel=LEVEL, mtime=0) if len(data) >= MIN_SIZE else None


def _static_gzip() -> bytes | None:
    """The compressed static file of this request, from the in-memory cache."""
    path = safe_join(current_app.static_folder or "", (request.view_args or {}).get("filename", ""))
    try:
        info = os.stat(path) if path else None
    except OSError:
        return None
    if info is None or info.st_size < MIN_SIZE:
        return None
    return _compressed_file(path, info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=64)
def _compressed_file(path: str, mtime_ns: int, size: int) -> bytes:
    """mtime and size are part of the key, so an edited file is compressed again."""
    with open(path, "rb") as file:
        return gzip.compress(file.read(), compresslevel=LEVEL, mtime=0)


def _replace_body(response: Response, body: bytes) -> None:
    """Swap in the gzip body; Content-Length follows, ranges no longer apply."""
    if response.direct_passthrough:
        response.direct_passthrough = False
        getattr(response.response, "close", lambda: None)()  # the open static file
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Accept-Ranges", None)
    _weaken_etag(response)


def _weaken_etag(response: Response) -> None:
    """A strong ETag names exact bytes; the gzip variant keeps the identity's tag as a weak one.

    If-None-Match compares weakly, so conditional requests still end in 304.
    """
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def init_app(app: Flask) -> None:
    """Install the compression hook."""
    app.after_request(compress_response)
