"""Inspectors' calendar feeds: a secret, revocable ICS URL per inspector (only its hash is stored)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.auth.permissions import can
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionEvent
from portal.projects.models import Project
from portal.schedule import ics, rules
from portal.schedule.models import CalendarToken
from portal.timeutil import utcnow
from portal.web import path_for

TOKEN_MAX = 100
FEED_PAST_DAYS = 60
FEED_LIMIT = 500


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_calendar_token(user: User) -> CalendarToken | None:
    """The user's feed token in force, if any (only its hash is known)."""
    return db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                         CalendarToken.revoked_at.is_(None)))


def create_calendar_token(user: User) -> str:
    """A new secret feed token for ``user`` (older ones stop working). Returned once, stored hashed."""
    revoke_calendar_tokens(user)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarToken(user_id=user.id, token_hash=_token_hash(token)))
    db.session.flush()
    return token


def revoke_calendar_tokens(user: User) -> int:
    """Stop every feed URL of ``user``; returns how many were in force."""
    tokens = db.session.scalars(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                            CalendarToken.revoked_at.is_(None))).all()
    for row in tokens:
        row.revoked_at = utcnow()
    db.session.flush()
    return len(tokens)


def calendar_owner(token: str) -> User | None:
    """The active inspector whose feed token this is; None for unknown, revoked or deactivated."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = db.session.get(User, row.user_id)
    # The feed is the inspector's week: it works while its owner may still open that week.
    if user is None or not user.active or not can(user, "my_week", "view"):
        return None
    return user


def calendar_text(user: User, today: date, stamp: datetime | None = None) -> str:
    """The inspector's feed: his inspections from two months back on, one VEVENT each."""
    inspections = db.session.scalars(
        select(Inspection).where(Inspection.inspector_id == user.id,
                                 Inspection.scheduled_date >= today - timedelta(days=FEED_PAST_DAYS))
        .options(selectinload(Inspection.project).selectinload(Project.foreman),
                 selectinload(Inspection.project).selectinload(Project.project_manager))
        .order_by(Inspection.scheduled_date, Inspection.id).limit(FEED_LIMIT)).all()
    reschedules = _reschedule_counts([i.id for i in inspections])
    with force_locale(user.locale or current_app.config["LANGUAGE"]):
        events = [_calendar_event(i, reschedules.get(i.id, 0)) for i in inspections]
        name = _("Pre-acceptance — %(name)s", name=user.display_name)
    return ics.render_calendar(events, name=name, stamp=stamp or datetime.now(timezone.utc))


def _calendar_event(inspection: Inspection, sequence: int) -> ics.CalendarEvent:
    project = inspection.project
    if inspection.scheduled_time is None:
        start, end = ics.all_day(inspection.scheduled_date)
    else:
        start = rules.slot_start(inspection.scheduled_date, inspection.scheduled_time)
        end = start + rules.SLOT_LENGTH
    summary = (_("Reinspection %(no)s, round %(round)s", no=project.contract_no, round=inspection.round)
               if inspection.round > 1 else
               _("Pre-acceptance %(no)s, round %(round)s", no=project.contract_no, round=inspection.round))
    lines = [_("Foreman: %(name)s", name=project.foreman.display_name if project.foreman else "—"),
             _("Project manager: %(name)s", name=project.project_manager.display_name if project.project_manager else "—")]
    if inspection.late_change:
        lines.append(_("Late change"))
    base = current_app.config["BASE_URL"].rstrip("/")
    return ics.CalendarEvent(
        uid=f"inspection-{inspection.id}@{_uid_domain(base)}", start=start, end=end, summary=summary,
        location=project.address, description="\n".join(lines), sequence=sequence,
        url=base + path_for("inspections.detail", inspection_id=inspection.id))


def _uid_domain(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0] or "portal"


def _reschedule_counts(inspection_ids: list[int]) -> dict[int, int]:
    """How often each inspection moved: the event's SEQUENCE, so calendars take the new time."""
    counts: dict[int, int] = {}
    if inspection_ids:
        for inspection_id in db.session.scalars(select(InspectionEvent.inspection_id).where(
                InspectionEvent.inspection_id.in_(inspection_ids), InspectionEvent.kind == "rescheduled")):
            counts[inspection_id] = counts.get(inspection_id, 0) + 1
    return counts
