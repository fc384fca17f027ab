"""Who edits checklist templates (rules of :func:`portal.auth.permissions.can` for ChecklistTemplate)."""
from __future__ import annotations

from portal.auth import permissions
from portal.checklists.models import ChecklistTemplate


def may_view(user, template) -> bool:
    """Office keeps the checklist templates (the checklists area)."""
    return permissions.can(user, "checklists", "view")


def may_edit(user, template) -> bool:
    """Office edits a family's draft (the checklists area's ``edit``)."""
    return permissions.can(user, "checklists", "edit")


def register() -> None:
    """Register the checklist rules (called by the app factory)."""
    permissions.register(ChecklistTemplate, {"view": may_view, "edit": may_edit})
