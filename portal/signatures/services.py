"""Signing, refusing, links, matching and locking. Services flush; the request commits."""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from portal.auth.models import User
from portal.auth.permissions import can
from portal.extensions import db
from portal.signatures.content import fingerprint
from portal.signatures import permissions
from portal.signatures.models import Signature, SigningLink
from portal.signatures.permissions import Signable
from portal.signatures.records import RecordType
from portal.storage import Storage
from portal.timeutil import utcnow

LINK_LIFETIME = timedelta(hours=72)
MAX_PNG_BYTES = 400 * 1024
MAX_PNG_SIDE = 4000
MAX_STROKE_JSON = 512 * 1024
MAX_POINTS = 20000


class SignatureError(Exception):
    """A signature that cannot be accepted; ``code`` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class SlotStatus:
    """One role slot of a record: its signature (if any) and whether it matches the content now."""

    slot: str
    required: bool
    signature: Signature | None
    matches: bool


@dataclass
class RecordSignatures:
    """The signature state of a record."""

    fingerprint: str
    slots: list[SlotStatus]
    voided: list[Signature]

    @property
    def locked(self) -> bool:
        """All required slots carry a signature that matches the current content."""
        return all(s.signature is not None and s.matches for s in self.slots if s.required)

    @property
    def missing(self) -> list[str]:
        """Required slots still to sign (or to sign again after a change)."""
        return [s.slot for s in self.slots if s.required and not (s.signature and s.matches)]


def current_fingerprint(rtype: RecordType, record) -> str:
    """The fingerprint of the record's content right now."""
    return fingerprint(rtype.content(record))


def record_signatures(rtype: RecordType, record) -> RecordSignatures:
    """Every slot with its latest valid signature, plus voided ones for the history."""
    rows = _signature_rows(rtype, record)
    now_fp = current_fingerprint(rtype, record)
    latest = {row.slot: row for row in rows if not row.is_void}
    slots = [SlotStatus(slot, slot in rtype.required, latest.get(slot),
                        latest.get(slot) is not None and latest[slot].fingerprint == now_fp) for slot in rtype.slots]
    return RecordSignatures(now_fp, slots, [row for row in rows if row.is_void])


def latest_signatures(rtype: RecordType, record) -> dict[str, Signature]:
    """Slot → its latest signature that is not voided: what a printed record shows. Unlike
    ``record_signatures`` it does not work out the record's content (a certificate PDF needs
    only the signatures, and the content of an inspection is all its answers)."""
    return {row.slot: row for row in _signature_rows(rtype, record) if not row.is_void}


def _signature_rows(rtype: RecordType, record) -> list[Signature]:
    return db.session.scalars(select(Signature).where(Signature.record_type == rtype.name,
                                                      Signature.record_id == record.id).order_by(Signature.id)).all()


def is_locked(rtype: RecordType, record) -> bool:
    """True when the record is fully signed and may no longer change."""
    return record_signatures(rtype, record).locked


# --- who may do what ----------------------------------------------------------------------

def signable(rtype: RecordType, record) -> Signable:
    """The record with what its access rule reads: its project and the inspectors assigned to that project."""
    project = rtype.project(record)
    return Signable(type_name=rtype.name, slots=rtype.slots, record=record, project=project,
                    run_by=rtype.run_by(record) if rtype.run_by is not None else None,
                    inspector_ids=frozenset(inspection.inspector_id for inspection in project.inspections))


def may_collect(rtype: RecordType, record, user: User) -> bool:
    """The person who runs the record on site (or office) collects everybody's signatures on his phone."""
    return can(user, signable(rtype, record), "collect")


def own_slots(rtype: RecordType, record, user: User) -> set[str]:
    """The slots that are this user's own on this record."""
    return permissions.own_slots(user, signable(rtype, record))


def may_sign(rtype: RecordType, record, user: User, slot: str) -> bool:
    """A logged-in user signs his own slot, or collects any slot on his phone if he runs the record."""
    return slot in own_slots(rtype, record, user) or may_collect(rtype, record, user)


# --- validating the pad's output ----------------------------------------------------------

def parse_signature_png(data_url: str) -> bytes:
    """The pad's PNG, checked (real PNG, sane size, not empty) and trimmed to the ink."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix) or len(data_url) > MAX_PNG_BYTES * 4 // 3 + 100:
        raise SignatureError("bad_image")
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("bad_image") from exc
    try:
        image = Image.open(io.BytesIO(raw), formats=["PNG"])
        if image.width > MAX_PNG_SIDE or image.height > MAX_PNG_SIDE:
            raise SignatureError("bad_image")
        image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise SignatureError("bad_image") from exc
    box = image.getchannel("A").getbbox()
    if box is None:
        raise SignatureError("empty")
    left, top, right, bottom = box
    margin = 8
    trimmed = image.crop((max(0, left - margin), max(0, top - margin),
                          min(image.width, right + margin), min(image.height, bottom + margin)))
    out = io.BytesIO()
    trimmed.save(out, "PNG", optimize=True)
    return out.getvalue()


def parse_strokes(raw: str) -> str:
    """signature_pad's stroke data (points with timestamps), checked and re-serialised compactly."""
    if not raw or len(raw) > MAX_STROKE_JSON:
        raise SignatureError("empty" if not raw else "bad_strokes")
    try:
        strokes = json.loads(raw)
    except ValueError as exc:
        raise SignatureError("bad_strokes") from exc
    if not isinstance(strokes, list):
        raise SignatureError("bad_strokes")
    points = 0
    for stroke in strokes:
        if not isinstance(stroke, dict) or not isinstance(stroke.get("points"), list):
            raise SignatureError("bad_strokes")
        for point in stroke["points"]:
            if not isinstance(point, dict) or not all(isinstance(point.get(k), (int, float)) for k in ("x", "y", "time")):
                raise SignatureError("bad_strokes")
        points += len(stroke["points"])
    if points == 0:
        raise SignatureError("empty")
    if points > MAX_POINTS:
        raise SignatureError("bad_strokes")
    return json.dumps(strokes, separators=(",", ":"))


# --- signing ------------------------------------------------------------------------------

@dataclass
class SignatureInput:
    """What the pad and the form sent."""

    slot: str
    signer_name: str
    png: bytes
    strokes: str
    seen_fingerprint: str
    ip: str = ""
    user_agent: str = ""
    refusal_reason: str = ""
    witness_name: str = ""
    witness_relation: str = ""
    captured_at: datetime | None = None  # when it was signed on the phone (clock corrected)


def sign(rtype: RecordType, record, data: SignatureInput, storage: Storage, *, user: User | None = None,
         link: SigningLink | None = None) -> tuple[Signature, str]:
    """Store a signature (or a witnessed refusal); returns (signature, image key written)."""
    if not rtype.ready(record):
        raise SignatureError("not_ready")
    if data.slot not in rtype.slots:
        raise SignatureError("bad_slot")
    name = data.signer_name.strip()
    if not name or len(name) > 100:
        raise SignatureError("name_required")
    refused = bool(data.refusal_reason.strip())
    if refused and not (data.witness_name.strip() and data.witness_relation.strip()):
        raise SignatureError("witness_required")
    state = record_signatures(rtype, record)
    if data.seen_fingerprint != state.fingerprint:
        raise SignatureError("changed")
    slot_state = next(s for s in state.slots if s.slot == data.slot)
    if slot_state.signature is not None and slot_state.matches:
        raise SignatureError("already_signed")
    key = f"signatures/{rtype.name}/{record.id}/{secrets.token_hex(12)}.png"
    storage.put(key, data.png)
    signature = Signature(
        record_type=rtype.name, record_id=record.id, slot=data.slot, signer_name=name,
        signer_user_id=user.id if user is not None and data.slot in own_slots(rtype, record, user) else None,
        collected_by_id=user.id if user is not None and data.slot not in own_slots(rtype, record, user) else None,
        fingerprint=state.fingerprint, image_key=key, strokes=data.strokes, ip=data.ip[:64],
        user_agent=data.user_agent[:300], refused=refused, refusal_reason=data.refusal_reason.strip()[:1000],
        witness_name=data.witness_name.strip()[:100], witness_relation=data.witness_relation.strip()[:100],
        link_id=link.id if link else None, captured_at=data.captured_at)
    db.session.add(signature)
    if link is not None:
        link.used_at = utcnow()
    try:
        db.session.flush()
    except Exception:
        storage.delete(key)
        raise
    return signature, key


def void_signatures(record_type: str, record_id: int, user: User, reason: str) -> int:
    """Void every valid signature of a record (office reopened it); returns how many."""
    rows = db.session.scalars(select(Signature).where(Signature.record_type == record_type,
                                                      Signature.record_id == record_id,
                                                      Signature.voided_at.is_(None))).all()
    for row in rows:
        row.voided_at, row.voided_by_id, row.void_reason = utcnow(), user.id, reason[:1000]
    db.session.flush()
    return len(rows)


# --- single-use links ---------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="signing-link")


def create_link(rtype: RecordType, record, slot: str, signer_name: str, user: User,
                now: datetime | None = None) -> tuple[SigningLink, str]:
    """A link for one named signer; returns (link, token). Only the token's hash is stored."""
    if slot not in rtype.slots:
        raise SignatureError("bad_slot")
    if not signer_name.strip():
        raise SignatureError("name_required")
    nonce = secrets.token_urlsafe(24)
    created = now or utcnow()
    link = SigningLink(record_type=rtype.name, record_id=record.id, slot=slot, signer_name=signer_name.strip()[:100],
                       nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(), created_by_id=user.id,
                       created_at=created, expires_at=created + LINK_LIFETIME)
    db.session.add(link)
    db.session.flush()
    return link, _serializer().dumps({"l": link.id, "n": nonce})


def resolve_link(token: str, now: datetime | None = None, lock: bool = False) -> tuple[SigningLink | None, str]:
    """(link, state) for a token: state active / used / revoked / expired / invalid.

    ``lock`` reads the link FOR UPDATE, so two submissions of the same link run one after the
    other and the second finds it used.
    """
    try:
        payload = _serializer().loads(token)
        link_id, nonce = int(payload["l"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, "invalid"
    query = select(SigningLink).where(SigningLink.id == link_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    link = db.session.scalar(query)
    if link is None or not secrets.compare_digest(link.nonce_hash, hashlib.sha256(nonce.encode()).hexdigest()):
        return None, "invalid"
    return link, link.state(now or utcnow())


def revoke_link(link: SigningLink) -> None:
    """Kill a link that has not been used."""
    if link.used_at is None and link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.flush()
