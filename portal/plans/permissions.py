"""Who may see plans and add them (rules of :func:`portal.auth.permissions.can`)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role
from portal.plans.models import FloorPlan
from portal.projects.models import Project


def may_view(user, plan) -> bool:
    """Whoever sees the plan's project sees its plans (a foreman of another project does not)."""
    return permissions.can(user, plan.project, "view")


def may_upload_plan(user, project) -> bool:
    """Office, engineering (for the designers) and inspectors add plans to a project they see."""
    return permissions.can(user, project, "view") and has_role(user, Role.OFFICE, Role.ENGINEERING, Role.INSPECTOR)


def may_pin(user, project) -> bool:
    """Inspectors and office pin failed items; the project's foreman and PM pin their own concealed-works photos."""
    return has_role(user, Role.OFFICE, Role.INSPECTOR) or user.id in (project.foreman_id, project.project_manager_id)


def register() -> None:
    """Register the plan rules (called by the app factory, after the project rules)."""
    permissions.register(FloorPlan, {"view": may_view})
    permissions.register(Project, {"upload_plan": may_upload_plan, "pin": may_pin})
