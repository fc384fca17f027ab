"""Who administers accounts: administrators see and change every account (the users area)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.models import User


def register() -> None:
    """Register the account rules (called by the app factory)."""
    permissions.register(User, permissions.area_rules("users", "view", "edit"))
