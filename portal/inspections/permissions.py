"""Who may see and act on an inspection (the rules of :func:`portal.auth.permissions.can` for Inspection)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role
from portal.inspections.models import Inspection, InspectionStatus


def may_view(user, inspection) -> bool:
    """Office sees every inspection (the inspections area's ``view_all``); an inspector only his own."""
    return permissions.can(user, "inspections", "view_all") or inspection.inspector_id == user.id


def may_conduct(user, inspection) -> bool:
    """Only the assigned inspector starts, answers and finishes (the services refuse what the state forbids)."""
    return inspection.inspector_id == user.id


def may_answer(user, inspection) -> bool:
    """The assigned inspector, while the inspection is in progress: the checklist is editable."""
    return may_conduct(user, inspection) and inspection.status == InspectionStatus.IN_PROGRESS.value


def may_reopen(user, inspection) -> bool:
    """Office reopens (the service refuses an inspection that is not finished)."""
    return has_role(user, Role.OFFICE)


def register() -> None:
    """Register the inspection rules (called by the app factory)."""
    permissions.register(Inspection, {"view": may_view, "conduct": may_conduct, "answer": may_answer,
                                      "reopen": may_reopen})
