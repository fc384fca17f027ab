"""Plain factories for test data: each returns a flushed object with sensible defaults."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import count

from werkzeug.security import generate_password_hash

from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from portal.projects.models import Project, ProjectStatus

_seq = count(1)


def make_user(role: Role | None = None, *, roles: set[Role] | None = None, username: str | None = None,
              password: str = "secret-pass-1", active: bool = True, display_name: str | None = None) -> User:
    """Create a user holding ``role`` (or ``roles``)."""
    n = next(_seq)
    user = User(username=username or f"user{n}", display_name=display_name or f"测试用户{n}", active=active)
    user.password_hash = _password_hash(password)
    user.set_roles(roles if roles is not None else ({role} if role else set()))
    db.session.add(user)
    db.session.flush()
    return user


@lru_cache(maxsize=8)
def _password_hash(password: str) -> str:
    """scrypt is slow on purpose; hash each test password once per run."""
    return generate_password_hash(password, method="scrypt")


def make_project(*, foreman: User | None = None, project_manager: User | None = None, contract_no: str | None = None,
                 status: ProjectStatus = ProjectStatus.WORK_COMPLETE, **fields) -> Project:
    """Create a project in Xi'an, with a new foreman and project manager unless given."""
    n = next(_seq)
    project = Project(
        contract_no=contract_no or f"T{26}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{(n % 99) + 1:02d}",
        address=fields.pop("address", f"西安市雁塔区测试路{n}号{n}01室"),
        owner_name=fields.pop("owner_name", f"业主{n}"),
        owner_phone=fields.pop("owner_phone", "13800000000"),
        design_studio=fields.pop("design_studio", "T 测试设计室"),
        designer=fields.pop("designer", "设计师"),
        contract_amount=fields.pop("contract_amount", Decimal("100000.00")),
        start_date=fields.pop("start_date", date(2026, 9, 1)),
        planned_completion=fields.pop("planned_completion", date(2026, 11, 30)),
        status=status.value,
        foreman=foreman or make_user(Role.FOREMAN),
        project_manager=project_manager or make_user(Role.PROJECT_MANAGER),
        **fields,
    )
    db.session.add(project)
    db.session.flush()
    return project
