"""Who may change the weekly list and move inspections (rules of :func:`portal.auth.permissions.can`)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role
from portal.inspections.models import Inspection
from portal.schedule.models import SubmissionEntry


def may_view_entry(user, entry) -> bool:
    """Engineering keeps the weekly list; office reads it to plan the week."""
    return permissions.can(user, "weekly_list", "view")


def may_remove_entry(user, entry) -> bool:
    """Engineering takes projects off its list (the service refuses once scheduled)."""
    return permissions.can(user, "weekly_list", "edit")


def may_schedule_entry(user, entry) -> bool:
    """Office turns a listed project into an inspection."""
    return has_role(user, Role.OFFICE)


def may_reschedule(user, inspection) -> bool:
    """Office moves inspections (the service refuses one that has started)."""
    return has_role(user, Role.OFFICE)


def register() -> None:
    """Register the schedule's rules, including moving an inspection (called by the app factory)."""
    permissions.register(SubmissionEntry, {"view": may_view_entry, "remove": may_remove_entry,
                                           "schedule": may_schedule_entry})
    permissions.register(Inspection, {"reschedule": may_reschedule})
