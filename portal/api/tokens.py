"""Bearer tokens for the accounting API: created and revoked by admin, stored hashed, shown once."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from portal.auth.models import User
from portal.api.models import ApiToken
from portal.extensions import db
from portal.timeutil import utcnow

PREFIX = "pat_"
# "Last used" is kept to the minute: writing it on every call would make all calls with one
# token queue on that row's lock and cost a commit each (the accounting system asks in bursts).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, user: User) -> tuple[ApiToken, str]:
    """A new token; the plain token is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name.strip()[:100] or "accounting", token_hash=_hash(token), prefix=token[:10],
                   created_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row, token


def authenticate(header: str | None) -> ApiToken | None:
    """The active token of an ``Authorization: Bearer …`` header, or None."""
    scheme, _sep, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":  # the scheme is case-insensitive (RFC 7235)
        return None
    token = token.strip()
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = db.session.scalar(_BY_HASH, {"token_hash": _hash(token)})
    if row is None or row.revoked_at is not None:
        return None
    mark_used(row, utcnow())
    return row


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every API request asks.
_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


def mark_used(row: ApiToken, now: datetime) -> None:
    """Record the use unless it was recorded less than LAST_USED_RESOLUTION ago."""
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now


def revoke_token(row: ApiToken) -> None:
    """The token stops working at once."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
