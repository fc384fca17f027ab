"""Security headers and the session cookie's Secure flag."""
from __future__ import annotations

from flask import Flask, abort, request
from flask.sessions import SecureCookieSessionInterface

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


class PortalSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured or when this request is HTTPS (also behind a proxy)."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def save_session(self, app: Flask, session, response) -> None:
        """Not for static files: they do not depend on the session, and a ``Vary: Cookie`` or a
        refreshed cookie on them would make browsers ask again for files cached for a year."""
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def set_security_headers(response):
    """Add CSP and friends to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def reject_nul_bytes():
    """NUL characters never belong in form or query input (PostgreSQL refuses them in text): 400."""
    for values in (request.args, request.form):
        for value in values.values():
            if "\x00" in value:
                abort(400)


def init_app(app: Flask) -> None:
    """Install the session interface and the header hook."""
    app.session_interface = PortalSessionInterface()
    app.before_request(reject_nul_bytes)
    app.after_request(set_security_headers)
