"""Who may see which project, searching, and saving projects."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from portal.auth.models import User
from portal.auth.permissions import authorise, can
from portal.auth.roles import Role
from portal.extensions import db
from portal.projects.models import Project


def visible_projects(user: User) -> Select:
    """A query of the projects ``user`` may see: all for desk roles, own ones otherwise."""
    query = select(Project)
    if can(user, "projects", "view_all"):
        return query
    own = []
    if user.has_role(Role.FOREMAN):
        own.append(Project.foreman_id == user.id)
    if user.has_role(Role.PROJECT_MANAGER):
        own.append(Project.project_manager_id == user.id)
    return query.where(or_(*own)) if own else query.where(False)


def can_edit_projects(user: User) -> bool:
    """Office and engineering create and edit projects."""
    return can(user, "projects", "edit")


def get_project_or_404(project_id: int, user: User, action: str = "view") -> Project:
    """Load a project the user may see (404 otherwise, never revealing it exists).

    Any other ``action`` (e.g. ``"edit"``) must be allowed too (403: the user can see it anyway).
    """
    return authorise(user, db.session.get(Project, project_id), action)


def search_projects(user: User, text: str = "") -> Select:
    """Visible projects matching ``text`` in 档案号, address or owner, newest first."""
    query = visible_projects(user)
    text = text.strip()
    if text:
        like = f"%{_escape_like(text)}%"
        query = query.where(or_(
            Project.contract_no.ilike(like, escape="\\"),
            Project.address.ilike(like, escape="\\"),
            Project.owner_name.ilike(like, escape="\\"),
        ))
    return query.order_by(Project.created_at.desc(), Project.id.desc())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contract_no_taken(contract_no: str, except_id: int | None = None) -> bool:
    """True when another project already has ``contract_no``."""
    query = select(Project.id).where(Project.contract_no == contract_no)
    if except_id is not None:
        query = query.where(Project.id != except_id)
    return db.session.scalar(query) is not None
