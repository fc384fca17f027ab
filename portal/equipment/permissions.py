"""Who keeps the equipment register (rules of :func:`portal.auth.permissions.can` for Equipment)."""
from __future__ import annotations

from portal.auth import permissions
from portal.equipment.models import Equipment


def may_view(user, equipment) -> bool:
    """Office keeps the register (the equipment area)."""
    return permissions.can(user, "equipment", "view")


def may_edit(user, equipment) -> bool:
    """Office corrects and recalibrates instruments (the equipment area's ``edit``)."""
    return permissions.can(user, "equipment", "edit")


def register() -> None:
    """Register the equipment rules (called by the app factory)."""
    permissions.register(Equipment, {"view": may_view, "edit": may_edit})
