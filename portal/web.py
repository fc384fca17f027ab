"""Small helpers shared by views: page-or-fragment rendering and safe redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, make_response, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import IntegerConverter

from portal.extensions import htmx
from portal.transaction import savepoint


def wants_fragment(target_id: str) -> bool:
    """True when htmx asks to swap the element ``target_id`` itself.

    Boosted links and history restores send HX-Request too, so the target decides.
    """
    return bool(htmx) and htmx.target == target_id and not htmx.history_restore_request


def render_page_or_fragment(page_template: str, fragment_template: str, target_id: str, status: int = 200,
                            **context):
    """Render the fragment for htmx requests aimed at ``target_id``, else the full page."""
    template = fragment_template if wants_fragment(target_id) else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def link_args(*leave_out: str) -> dict[str, str]:
    """This request's query string, to carry into a link built with ``url_for`` (a CSV export of the
    same filter): without the names in ``leave_out``, which the link sets itself, and without the
    names ``url_for`` takes as its own options (``endpoint``, ``_external``, ``_scheme``…), which
    would break building the link (a 500) instead of being passed on."""
    return {name: value for name, value in request.args.items()
            if name not in leave_out and name != "endpoint" and not name.startswith("_")}


def is_htmx_request() -> bool:
    """True for any htmx request (used by error pages to answer with a fragment)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def path_for(endpoint: str, **values) -> str:
    """The URL path of ``endpoint``, also outside a request (CLI reminders, background work)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def save_or_field_error(change, field, message: str) -> bool:
    """Make ``change()`` in a savepoint; when a unique value was taken by another request meanwhile,
    only the change is undone and ``message`` goes on ``field`` (False)."""
    try:
        with savepoint():
            change()
    except IntegrityError:
        field.errors = [message]
        return False
    return True


# Database ids fit a 32-bit signed integer; larger numbers typed into a URL or form are not
# ids at all (and would make PostgreSQL refuse the query).
MAX_ID = 2**31 - 1


def db_id(value) -> int:
    """``value`` as a database id; ValueError for anything else (use as ``type=``/``coerce=``)."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("not an id")
    return number


def install_id_converter(app) -> None:
    """``<int:…>`` in routes accepts only numbers that can be ids; bigger ones are a plain 404."""
    class IdConverter(IntegerConverter):
        def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
            super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = IdConverter
