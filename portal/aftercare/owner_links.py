"""The owner's link: a signed, revocable address for the owner's page (no account), and the
certificate it is printed on."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from portal.aftercare.models import OwnerLink
from portal.auth.models import User
from portal.certificates.models import PassCertificate
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


# The owner's link outlives the longest warranty (five years for waterproofing) by a year.
OWNER_LINK_LIFETIME = timedelta(days=6 * 366)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="owner-link")


def owner_url(token: str) -> str:
    """The owner's page (printed as QR code on the warranty card)."""
    return f"{current_app.config['BASE_URL']}/owner/{token}"


def create_owner_link(project: Project, user: User, now: datetime | None = None) -> tuple[OwnerLink, str]:
    """A new link for the owner; returns (link, token). Only the secret's hash is stored, as for signing links."""
    nonce = secrets.token_urlsafe(24)
    created = now or utcnow()
    link = OwnerLink(project_id=project.id, nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(),
                     created_by_id=user.id, created_at=created, expires_at=created + OWNER_LINK_LIFETIME)
    db.session.add(link)
    db.session.flush()
    return link, _serializer().dumps({"o": link.id, "n": nonce})


def resolve_owner_link(token: str, now: datetime | None = None) -> tuple[OwnerLink | None, str]:
    """(link, state) for a token: active / revoked / expired / invalid."""
    try:
        payload = _serializer().loads(token)
        link_id, nonce = int(payload["o"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, "invalid"
    link = db.session.get(OwnerLink, link_id)
    if link is None or not secrets.compare_digest(link.nonce_hash, hashlib.sha256(nonce.encode()).hexdigest()):
        return None, "invalid"
    return link, link.state(now or utcnow())


def active_links(project: Project) -> list[OwnerLink]:
    """The project's links that still open the page."""
    now = utcnow()
    return [link for link in db.session.scalars(select(OwnerLink).where(OwnerLink.project_id == project.id))
            if link.state(now) == "active"]


def printed_owner_link(project: Project) -> tuple[OwnerLink, str] | None:
    """(link, token) of the owner's link printed on one of the project's pass certificates that still
    opens the page, newest certificate first; None when there is none (never printed, or revoked).

    Only the secret's hash is kept with the link, so the token is read back from the certificate's
    frozen facts, where it is printed anyway.
    """
    for facts in db.session.scalars(select(PassCertificate.facts).where(PassCertificate.project_id == project.id)
                                    .order_by(PassCertificate.id.desc())):
        _base, found, token = str((facts or {}).get("owner_url") or "").rpartition("/owner/")
        if not found or not token:
            continue
        link, state = resolve_owner_link(token)
        if link is not None and link.project_id == project.id and state == "active":
            return link, token
    return None


def owner_url_for_certificate(project: Project, user: User) -> str:
    """The owner's page printed on a new pass certificate: the project's printed link while it works,
    else a new link (the owner's page exists from the pass on; handover reuses it)."""
    _link, token = printed_owner_link(project) or create_owner_link(project, user)
    return owner_url(token)


def revoke_owner_link(link: OwnerLink) -> None:
    """Kill a link (lost phone, changed owner)."""
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.flush()


def valid_certificate(project: Project) -> PassCertificate | None:
    """The project's valid pass certificate, if any."""
    return db.session.scalar(select(PassCertificate).where(PassCertificate.project_id == project.id,
                                                           PassCertificate.revoked_at.is_(None)))
