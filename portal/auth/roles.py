"""The roles a user may hold, and where each one lands after login."""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    """A role in the company; a user may hold several."""

    INSPECTOR = "inspector"
    FOREMAN = "foreman"
    PROJECT_MANAGER = "project_manager"
    ENGINEERING = "engineering"
    OFFICE = "office"
    FINANCE = "finance"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name in the user's language."""
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.INSPECTOR: _l("Inspector"),
    Role.FOREMAN: _l("Foreman"),
    Role.PROJECT_MANAGER: _l("Project manager"),
    Role.ENGINEERING: _l("Engineering department"),
    Role.OFFICE: _l("Quality office"),
    Role.FINANCE: _l("Finance"),
    Role.ADMIN: _l("Administrator"),
}

# Each role's home page (endpoint). A user with several roles lands on the first of his
# roles in this order: the desk roles whose day starts with an overview come first.
ROLE_HOMES: list[tuple[Role, str]] = [
    (Role.OFFICE, "dashboard.index"),
    (Role.ENGINEERING, "schedule.submissions"),
    (Role.INSPECTOR, "inspections.today"),
    (Role.FOREMAN, "rectification.my_notices"),
    (Role.PROJECT_MANAGER, "rectification.my_notices"),
    (Role.FINANCE, "finance.lookup"),
    (Role.ADMIN, "admin.users"),
]

# Roles that see every project; foremen and project managers see only their own.
ALL_PROJECT_ROLES = frozenset({Role.OFFICE, Role.ENGINEERING, Role.INSPECTOR, Role.FINANCE, Role.ADMIN})
PROJECT_EDITOR_ROLES = frozenset({Role.OFFICE, Role.ENGINEERING})


def home_endpoint(roles: set[Role]) -> str | None:
    """The endpoint a user holding ``roles`` lands on, or None without any role."""
    for role, endpoint in ROLE_HOMES:
        if role in roles:
            return endpoint
    return None
