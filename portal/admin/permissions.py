"""Who administers accounts (rules of :func:`portal.auth.permissions.can` for User)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.models import User


def may_see(user, account) -> bool:
    """Administrators see every account (the users area)."""
    return permissions.can(user, "users", "view")


def may_change(user, account) -> bool:
    """Administrators change every account (the users area's ``edit``)."""
    return permissions.can(user, "users", "edit")


def register() -> None:
    """Register the account rules (called by the app factory)."""
    permissions.register(User, {"view": may_see, "edit": may_change})
