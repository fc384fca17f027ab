"""PDF rendering with WeasyPrint: plain data in, bytes out, no network.

The URL fetcher only serves files of the portal's own store (``store:<key>``) and inline
``data:`` images the portal made itself (QR codes); everything else is refused, so a
template can never make WeasyPrint fetch an outside URL. Fonts come from the system (a
CJK font is installed by ``make run``) and are embedded as subsets (libharfbuzz-subset
makes that fast).

What does not change between renders is made once per process: the font configuration
(font discovery is slow) and each template's print stylesheet, parsed from a ``.css`` file
beside the templates (see ``stylesheet``). Templates keep to what WeasyPrint lays out fast
(docs/ARCHITECTURE.md, "PDFs"): one font family, fixed table layouts, no flex boxes.
"""
from __future__ import annotations

import mimetypes
from email.message import EmailMessage
from functools import lru_cache

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.storage import Storage, get_storage

_FONT_CONFIG: FontConfiguration | None = None
_STYLESHEETS: dict[str, tuple[CSS, object]] = {}  # name → (parsed stylesheet, the loader's "still up to date?")


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
            return URLFetcherResponse(url, data, _headers(mimetypes.guess_type(key)[0] or "image/jpeg"))
        return super().fetch(url, headers)


@lru_cache(maxsize=16)
def _headers(content_type: str) -> EmailMessage:
    """Response headers for one content type, built once: WeasyPrint only reads them, and
    building them parses the header (a notice with 40 photos fetched 40 of them per render)."""
    headers = EmailMessage()
    headers["Content-Type"] = content_type
    return headers


def font_config() -> FontConfiguration:
    """The process's WeasyPrint font configuration (font discovery is slow; one per process is enough)."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


def stylesheet(name: str) -> CSS:
    """The print stylesheet ``name`` (a file found by the template loader), parsed once per process.

    Parsed again only when the loader says the file changed (templates auto-reload in development).
    """
    cached = _STYLESHEETS.get(name)
    if cached is not None and (cached[1] is None or cached[1]()):
        return cached[0]
    source, _filename, uptodate = current_app.jinja_env.loader.get_source(current_app.jinja_env, name)
    css = CSS(string=source, font_config=font_config())
    _STYLESHEETS[name] = (css, uptodate)
    return css


def render_pdf(template: str, *, stylesheets: tuple[str, ...] = (), **context) -> bytes:
    """Render ``template`` (HTML, with its print CSS inline or named in ``stylesheets``) to PDF bytes."""
    html = render_template(template, **context)
    return HTML(string=html, url_fetcher=StoreFetcher(get_storage()), base_url="store:").write_pdf(
        stylesheets=[stylesheet(name) for name in stylesheets], font_config=font_config())
