"""Security headers, the session cookie's Secure flag, and clean text on input."""
from __future__ import annotations

import unicodedata

from flask import Flask, Request, abort, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from portal.timeutil import utcnow

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",  # the photo compressor runs in a web worker
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Photos come in through a file input (which needs no permission); nothing else is used.
PERMISSIONS_POLICY = ", ".join([
    "camera=(self)", "microphone=()", "geolocation=()", "payment=()", "usb=()", "serial=()", "bluetooth=()",
    "interest-cohort=()",
])

# Bidirectional controls reorder what is displayed ("abc\u202egpj.exe" shows as "abcexe.jpg"):
# a name, address or note never needs them, so they are dropped on input.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def clean_text(value: str) -> str:
    """``value`` in Unicode NFC, without bidirectional control characters."""
    return unicodedata.normalize("NFC", value).translate(BIDI_CONTROLS)


def _clean_values(values: MultiDict) -> MultiDict:
    """A copy of form or query values with clean text; passwords stay byte for byte (their hashes)."""
    return values.__class__(
        (key, value if "password" in key else clean_text(value)) for key, value in values.items(multi=True))


class PortalRequest(Request):
    """Form fields and query values arrive as clean text (NFC, no bidirectional controls)."""

    @cached_property
    def args(self) -> MultiDict:  # type: ignore[override]
        """The query string's values, cleaned."""
        return _clean_values(super().args)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _clean_values(self.__dict__["form"])


# The day (UTC) a login's cookie was last sent, with a new expiry (see PortalSessionInterface).
SESSION_REFRESHED_KEY = "_refreshed"


class PortalSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured (production) or when this request is HTTPS (also behind a proxy)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def save_session(self, app: Flask, session, response) -> None:
        """Not for static files: they do not depend on the session, and a ``Vary: Cookie`` or a
        refreshed cookie on them would make browsers ask again for files cached for a year.

        A login's cookie is sent again when the session changed, and once a day to push its expiry
        on (``SESSION_REFRESH_EACH_REQUEST`` is off): a login in daily use does not expire, and an
        inspector's taps do not each carry a new signed cookie over a weak connection.
        """
        if request.endpoint == "static":
            return
        if session.permanent:
            today = utcnow().date().isoformat()
            if session.get(SESSION_REFRESHED_KEY) != today:
                session[SESSION_REFRESHED_KEY] = today
        super().save_session(app, session, response)


def set_security_headers(response):
    """Add CSP and friends to every response, and keep personal pages out of every cache."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        hsts = "max-age=31536000"
        if current_app.config.get("HSTS_INCLUDE_SUBDOMAINS"):
            hsts += "; includeSubDomains"
        headers.setdefault("Strict-Transport-Security", hsts)
    if _is_personal(response):
        # A shared phone's back button or a proxy must not show one person's page to the next.
        headers["Cache-Control"] = "no-store"
    return response


def _is_personal(response) -> bool:
    """JSON (the token API), or anything answered to a logged-in user (pages, PDF reports,
    exports), unless the response has a cache policy of its own (private photos, static files)."""
    if "Cache-Control" in response.headers:
        return False
    if response.mimetype == "application/json":
        return True
    # The session's login marker, not current_user: loading the user would query the database,
    # and this also runs on the 503 page answered while the database is down.
    return "_user_id" in session


def reject_nul_bytes():
    """NUL characters never belong in form or query input (PostgreSQL refuses them in text): 400."""
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)


def init_app(app: Flask) -> None:
    """Install the request class, the session interface and the header hook."""
    app.request_class = PortalRequest
    app.session_interface = PortalSessionInterface()
    app.before_request(reject_nul_bytes)
    app.after_request(set_security_headers)
