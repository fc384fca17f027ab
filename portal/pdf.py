"""PDF rendering with WeasyPrint: plain data in, bytes out, no network.

The URL fetcher only serves files of the portal's own store (``store:<key>``) and inline
``data:`` images the portal made itself (QR codes); everything else is refused, so a
template can never make WeasyPrint fetch an outside URL. Fonts come from the system (a
CJK font is installed by ``make run``) and are embedded as subsets (libharfbuzz-subset
makes that fast).
"""
from __future__ import annotations

import mimetypes

from flask import render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.storage import Storage, get_storage

_FONT_CONFIG = None


class StoreFetcher(URLFetcher):
    """Serves ``store:`` keys from the portal's storage and ``data:`` URLs; refuses the rest."""

    def __init__(self, storage: Storage):
        super().__init__(allowed_protocols=("data",))
        self.storage = storage

    def fetch(self, url, headers=None):
        """Answer from the store, or let WeasyPrint decode a data: URL; anything else raises."""
        if url.startswith("store:"):
            key = url[len("store:"):]
            with self.storage.open(key) as handle:
                data = handle.read()
            return URLFetcherResponse(url, data, {"Content-Type": mimetypes.guess_type(key)[0] or "image/jpeg"})
        return super().fetch(url, headers)


def render_pdf(template: str, **context) -> bytes:
    """Render ``template`` (HTML + print CSS) to PDF bytes."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:  # font discovery is slow; one per process is enough
        _FONT_CONFIG = FontConfiguration()
    html = render_template(template, **context)
    return HTML(string=html, url_fetcher=StoreFetcher(get_storage()), base_url="store:").write_pdf(
        font_config=_FONT_CONFIG)
