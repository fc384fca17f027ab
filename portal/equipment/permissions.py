"""Who keeps the equipment register (rules of :func:`portal.auth.permissions.can` for Equipment)."""
from __future__ import annotations

from portal.auth import permissions
from portal.equipment.models import Equipment


def may_manage(user, equipment) -> bool:
    """Office keeps the register (the equipment area)."""
    return permissions.can(user, "equipment", "view")


def register() -> None:
    """Register the equipment rules (called by the app factory)."""
    permissions.register(Equipment, {"view": may_manage, "edit": may_manage})
