"""Receiving a field action: its times, and the answer given once for every copy of it.

Every field POST (start, answer, note, photo, signature, refusal, finish) may carry

- ``client_id``: the UUID the phone gave the action when the inspector did it;
- ``captured_at``: the phone's clock at that moment (ISO 8601 with zone);
- the header ``X-Phone-Clock``: the phone's clock when this copy was sent.

:func:`field_action` wraps such a view: the times are read into ``g.field_time`` (see
:func:`field_time`), and an action whose client id the server already carried out for this
user gets the stored answer again, without running the view.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import g, make_response, request
from flask_login import current_user
from sqlalchemy import bindparam, insert, select

from portal.extensions import db
from portal.fieldsync.clock import clock_is_off, clock_offset, corrected_capture, parse_phone_time
from portal.fieldsync.models import FieldAction
from portal.fieldsync.signals import phone_clock_read
from portal.timeutil import utcnow

PHONE_CLOCK_HEADER = "X-Phone-Clock"
REPLAYED_HEADER = "X-Replayed"
# Sent by the outbox (fetch follows redirects, and the page behind it would take the flash
# message): a redirect is answered as 200 naming its target in REDIRECT_HEADER instead.
OUTBOX_HEADER = "X-Outbox"
REDIRECT_HEADER = "X-Redirect-To"
# The headers of a stored answer that a replay gives again (the body and status are kept too).
KEPT_HEADERS = ("Content-Type", "Location", "X-Answer-Version", "HX-Trigger", "HX-Redirect")


@dataclass(frozen=True)
class FieldTime:
    """The times of the action being received (naive UTC)."""

    captured_at: datetime | None
    phone_clock_at: datetime | None
    received_at: datetime

    @property
    def offset(self) -> timedelta | None:
        """Server time − the phone's clock at send; None when the phone did not say."""
        return clock_offset(self.received_at, self.phone_clock_at)

    @property
    def clock_off(self) -> bool:
        """The phone's clock is off by more than the threshold."""
        return clock_is_off(self.offset)

    @property
    def happened_at(self) -> datetime:
        """When it happened on the phone, corrected for its clock (see :mod:`portal.fieldsync.clock`)."""
        return corrected_capture(self.captured_at, self.offset, self.received_at)


def field_time() -> FieldTime:
    """The times of the current request (read once per request)."""
    if "field_time" not in g:
        g.field_time = FieldTime(parse_phone_time(request.form.get("captured_at")),
                                 parse_phone_time(request.headers.get(PHONE_CLOCK_HEADER)), utcnow())
    return g.field_time


def report_phone_clock(subject) -> None:
    """Tell the feature that owns ``subject`` (signal ``phone_clock_read``) how far off the clock of
    the phone that sent this action is; nothing when the phone did not send its clock."""
    offset = field_time().offset
    if offset is not None and current_user.is_authenticated:
        phone_clock_read.send(subject, user=current_user._get_current_object(),
                              offset_seconds=int(offset.total_seconds()))


def client_id() -> str | None:
    """The action's client UUID (canonical text), or None when absent or not a UUID."""
    try:
        return str(uuid.UUID(request.form.get("client_id", "")))
    except ValueError:
        return None


def field_action(view):
    """Run a field view once per client id and user; copies get the stored answer."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        action_id = client_id()
        times = field_time()
        if action_id is None or not current_user.is_authenticated:
            return _for_outbox(make_response(view(*args, **kwargs)))
        done = db.session.scalar(_DONE, {"user_id": current_user.id, "client_id": action_id})
        if done is not None:
            return _for_outbox(_replay(done))
        response = make_response(view(*args, **kwargs))
        if response.status_code < 400:
            # A plain INSERT (every tap): cheaper than the ORM's unit of work for a new object.
            db.session.execute(_RECORD, _record(action_id, response, times))
        return _for_outbox(response)
    return wrapper


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every field action asks.
_DONE = select(FieldAction).where(FieldAction.user_id == bindparam("user_id"),
                                  FieldAction.client_id == bindparam("client_id"))


def _for_outbox(response):
    """A redirect as 200 + its target, for the outbox (see OUTBOX_HEADER); anything else as it is."""
    if not request.headers.get(OUTBOX_HEADER) or not 300 <= response.status_code < 400:
        return response
    target = response.headers.get("Location", "")
    converted = make_response("", 200)
    converted.headers[REDIRECT_HEADER] = target
    for name in (REPLAYED_HEADER, "X-Answer-Version"):
        if name in response.headers:
            converted.headers[name] = response.headers[name]
    return converted


def _record(action_id: str, response, times: FieldTime) -> dict:
    """The ``field_actions`` row of an action carried out, with the answer it got."""
    offset = times.offset
    return {
        "user_id": current_user.id, "client_id": action_id, "endpoint": (request.endpoint or "")[:80],
        "status": response.status_code, "body": response.get_data(as_text=True) if not response.is_streamed else "",
        "headers": {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers},
        "captured_at": times.captured_at, "phone_clock_at": times.phone_clock_at, "received_at": times.received_at,
        "clock_offset_seconds": None if offset is None else int(offset.total_seconds())}


_RECORD = insert(FieldAction.__table__)


def _replay(done: FieldAction):
    response = make_response(done.body, done.status)
    for name, value in (done.headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "1"
    return response
