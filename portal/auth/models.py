"""User accounts and their roles."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.auth.roles import Role
from portal.extensions import db
from portal.timeutil import utcnow


class User(UserMixin, db.Model):
    """A person who logs in. Never deleted: records keep pointing at people."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Bumped on password reset, so that sessions opened with the old password end.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        """The roles this user holds."""
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[Role]) -> None:
        """Replace the user's roles."""
        keep = [row for row in self.role_rows if Role(row.role) in roles]
        have = {row.role for row in keep}
        self.role_rows = keep + [UserRole(role=str(r)) for r in sorted(roles) if str(r) not in have]

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` (scrypt)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Deactivated users cannot log in or keep a session."""
        return self.active

    def get_id(self) -> str:
        """Session id: changes when the password is reset, which ends old sessions."""
        return f"{self.id}:{self.session_version}"

    def ends_sessions_when_changed(self, roles: set[Role], active: bool) -> bool:
        """True when setting ``roles`` and ``active`` changes what this user may do (sessions end)."""
        return roles != self.roles or active != self.active

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(db.Model):
    """One role held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(db.Model):
    """One login on one device. The cookie holds a random token, the database its SHA-256 only;
    ending the row (logout, password reset, deactivation, role change) ends the session on every
    app server, even for a copy of the cookie kept elsewhere."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(20), default="")
