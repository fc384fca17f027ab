"""The menu: one entry per area, shown to whoever :func:`~portal.auth.permissions.can` open it."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.auth.permissions import can


@dataclass(frozen=True)
class NavEntry:
    """A menu link: the page it opens, its label, and the area (and action) that guards that page."""

    endpoint: str
    label: object
    area: str
    action: str = "view"
    shows_unread: bool = False  # the unread-notifications count follows the label


# In menu order. The guarded views use permission_required with the same area and action.
NAV: tuple[NavEntry, ...] = (
    NavEntry("dashboard.index", _l("Dashboard"), "dashboard"),
    NavEntry("dashboard.awards", _l("Monthly awards"), "awards"),
    NavEntry("inspections.today", _l("Inspections"), "inspections"),
    NavEntry("checklists.index", _l("Checklist templates"), "checklists"),
    NavEntry("equipment.index", _l("Equipment"), "equipment"),
    NavEntry("rectification.my_notices", _l("My rectification notices"), "my_notices"),
    NavEntry("dashboard.my_awards", _l("My awards"), "my_awards"),
    NavEntry("schedule.submissions", _l("Weekly list"), "weekly_list"),
    NavEntry("schedule.week", _l("Week schedule"), "week_schedule"),
    NavEntry("schedule.mine", _l("My week"), "my_week"),
    NavEntry("finance.lookup", _l("Settlement lookup"), "settlement"),
    NavEntry("rectification.index", _l("Rectification notices"), "notices"),
    NavEntry("penalties.index", _l("Penalties"), "penalties"),
    NavEntry("projects.index", _l("Projects"), "projects"),
    NavEntry("notifications.index", _l("Notifications"), "notifications", shows_unread=True),
    NavEntry("certificates.index", _l("Pass certificates"), "certificates"),
    NavEntry("aftercare.repairs", _l("After-sales"), "repairs"),  # repairs, with links to complaints
    NavEntry("aftercare.my_repairs", _l("My repairs"), "my_repairs"),
    NavEntry("aftercare.deductions", _l("Repair deductions"), "repair_deductions"),
    NavEntry("admin.users", _l("Users"), "users"),
    NavEntry("admin.api_tokens", _l("API tokens"), "api_tokens"),
)


def nav_entries(user) -> list[NavEntry]:
    """The menu entries ``user`` may open, in menu order."""
    return [entry for entry in NAV if can(user, entry.area, entry.action)]


def init_app(app: Flask) -> None:
    """The base layout renders the menu from :func:`nav_entries`."""
    app.add_template_global(nav_entries, "nav_entries")
