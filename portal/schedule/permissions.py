"""Who may change the weekly list and move inspections (rules of :func:`portal.auth.permissions.can`)."""
from __future__ import annotations

from portal.auth import permissions
from portal.inspections.models import Inspection
from portal.schedule.models import SubmissionEntry


def may_view_entry(user, entry) -> bool:
    """Engineering keeps the weekly list; office reads it to plan the week."""
    return permissions.can(user, "weekly_list", "view")


def may_remove_entry(user, entry) -> bool:
    """Engineering takes projects off its list (the service refuses once scheduled)."""
    return permissions.can(user, "weekly_list", "edit")


def may_schedule_entry(user, entry) -> bool:
    """Office turns a listed project into an inspection (the week schedule's ``schedule``)."""
    return permissions.can(user, "week_schedule", "schedule")


def may_reschedule(user, inspection) -> bool:
    """Office moves inspections (the week schedule's ``reschedule``; the service refuses one that has started)."""
    return permissions.can(user, "week_schedule", "reschedule")


def register() -> None:
    """Register the schedule's rules, including moving an inspection (called by the app factory)."""
    permissions.register(SubmissionEntry, {"view": may_view_entry, "remove": may_remove_entry,
                                           "schedule": may_schedule_entry})
    permissions.register(Inspection, {"reschedule": may_reschedule})
