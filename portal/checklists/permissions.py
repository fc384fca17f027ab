"""Who keeps checklist templates: office sees them and edits a family's draft (the checklists area)."""
from __future__ import annotations

from portal.auth import permissions
from portal.checklists.models import ChecklistTemplate


def register() -> None:
    """Register the checklist rules (called by the app factory)."""
    permissions.register(ChecklistTemplate, permissions.area_rules("checklists", "view", "edit"))
