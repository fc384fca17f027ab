"""Who keeps the equipment register: office sees, corrects and recalibrates every instrument (the equipment area)."""
from __future__ import annotations

from portal.auth import permissions
from portal.equipment.models import Equipment


def register() -> None:
    """Register the equipment rules (called by the app factory)."""
    permissions.register(Equipment, permissions.area_rules("equipment", "view", "edit"))
