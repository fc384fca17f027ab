"""Account operations: authenticate, create users, change roles and passwords."""
from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from portal.auth.models import User, UserRole
from portal.auth.roles import Role
from portal.extensions import db

# A fixed hash to compare against when the username is unknown, so that a wrong username
# takes as long as a wrong password and the two cannot be told apart.
_DUMMY_HASH = "scrypt:32768:8:1$0000000000000000$" + "0" * 128


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively and without surrounding blanks."""
    return username.strip().lower()


def find_user(username: str) -> User | None:
    """The user with ``username`` (case-insensitive), or None."""
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def authenticate(username: str, password: str) -> User | None:
    """The active user matching the credentials, or None (same answer for every failure)."""
    user = find_user(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(username: str, display_name: str, password: str, roles: set[Role],
                phone: str | None = None) -> User:
    """Create a user; raises ValueError when the username is taken."""
    username = normalise_username(username)
    if db.session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise ValueError("username taken")
    user = User(username=username, display_name=display_name.strip(), phone=phone or None)
    user.set_password(password)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    return user


def reset_password(user: User, password: str) -> None:
    """Set a new password and end the user's existing sessions."""
    user.set_password(password)
    user.session_version += 1
    db.session.flush()


def users_with_role(role: Role, active_only: bool = True) -> list[User]:
    """Users holding ``role``, by name (for assignment drop-downs)."""
    query = select(User).join(UserRole).where(UserRole.role == str(role))
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.display_name)))
