"""Bearer tokens for the accounting API: created and revoked by admin, stored hashed, shown once."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from portal.auth.models import User
from portal.certificates.models import ApiToken
from portal.extensions import db
from portal.timeutil import utcnow

PREFIX = "pat_"


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
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return row


def revoke_token(row: ApiToken) -> None:
    """The token stops working at once."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
