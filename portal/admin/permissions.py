"""Who administers accounts (rules of :func:`portal.auth.permissions.can` for User)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.models import User


def may_administer(user, account) -> bool:
    """Administrators see and change every account (the users area)."""
    return permissions.can(user, "users", "view")


def register() -> None:
    """Register the account rules (called by the app factory)."""
    permissions.register(User, {"view": may_administer, "edit": may_administer})
