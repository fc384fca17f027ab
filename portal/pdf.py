"""PDF rendering with WeasyPrint: plain data in, bytes out, no network.

The URL fetcher only serves files of the portal's own store (``store:<key>``) and
refuses everything else, so a template can never make WeasyPrint fetch an outside URL.
Fonts come from the system (a CJK font is installed by ``make run``) and are embedded
as subsets (libharfbuzz-subset makes that fast).
"""
from __future__ import annotations

import mimetypes

from flask import render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from portal.storage import get_storage

_FONT_CONFIG = None


def render_pdf(template: str, **context) -> bytes:
    """Render ``template`` (HTML + print CSS) to PDF bytes."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:  # font discovery is slow; one per process is enough
        _FONT_CONFIG = FontConfiguration()
    html = render_template(template, **context)
    storage = get_storage()

    def fetch(url: str):
        if not url.startswith("store:"):
            raise ValueError(f"blocked URL in PDF: {url[:60]}")
        key = url[len("store:"):]
        with storage.open(key) as handle:
            data = handle.read()
        return {"string": data, "mime_type": mimetypes.guess_type(key)[0] or "application/octet-stream"}

    return HTML(string=html, url_fetcher=fetch, base_url="store:").write_pdf(font_config=_FONT_CONFIG)
