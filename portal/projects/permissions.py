"""Who may see and edit a project (the rules of :func:`portal.auth.permissions.can` for Project)."""
from __future__ import annotations

from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role
from portal.projects.models import Project


def may_view(user, project) -> bool:
    """Desk roles and inspectors see every project; a foreman or PM only his own.

    :func:`portal.projects.services.visible_projects` is the same rule as a query, for lists.
    """
    return (permissions.can(user, "projects", "view_all")
            or (has_role(user, Role.FOREMAN) and project.foreman_id == user.id)
            or (has_role(user, Role.PROJECT_MANAGER) and project.project_manager_id == user.id))


def may_edit(user, project) -> bool:
    """Office and engineering edit every project they see (the projects area's ``edit``)."""
    return permissions.can(user, "projects", "edit")


def is_own(user, project) -> bool:
    """The user is the project's foreman or project manager (whatever his roles)."""
    return user.id in (project.foreman_id, project.project_manager_id)


def register() -> None:
    """Register the project rules (called by the app factory)."""
    permissions.register(Project, {"view": may_view, "edit": may_edit})
