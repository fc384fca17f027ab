"""Who may see and work on a rectification notice (rules of :func:`portal.auth.permissions.can`)."""
from __future__ import annotations

from portal.auth import permissions
from portal.projects.permissions import is_own
from portal.rectification.models import RectificationNotice


def may_view(user, notice) -> bool:
    """Whoever sees the notice's project sees the notice."""
    return permissions.can(user, notice.project, "view")


def may_rework(user, notice) -> bool:
    """The project's foreman and project manager mark items rectified and ask for reinspection."""
    return is_own(user, notice.project)


def may_schedule_reinspection(user, notice) -> bool:
    """Office schedules the next round (the notices area's ``schedule_reinspection``)."""
    return permissions.can(user, "notices", "schedule_reinspection")


def register() -> None:
    """Register the notice rules (called by the app factory)."""
    permissions.register(RectificationNotice, {"view": may_view, "rework": may_rework,
                                               "schedule_reinspection": may_schedule_reinspection})
