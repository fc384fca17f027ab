"""Account operations: authenticate, create users, change roles and passwords."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from portal.auth.models import User, UserRole, UserSession
from portal.auth.roles import Role
from portal.extensions import db
from portal.timeutil import utcnow

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
    end_sessions_of(user, "password")
    db.session.flush()


def update_account(user: User, *, display_name: str, phone: str | None, email: str | None, active: bool,
                   roles: set[Role]) -> None:
    """Save an account's details; a deactivation or a change of roles ends the user's sessions,
    so no device keeps rights the user no longer has."""
    if user.ends_sessions_when_changed(roles, active):
        end_sessions_of(user, "roles" if active else "deactivated")
    user.display_name, user.phone, user.email, user.active = display_name, phone or None, email or None, active
    user.set_roles(roles)
    db.session.flush()


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, ip: str | None, user_agent: str | None) -> str:
    """Record a new login of ``user``; returns the token the session cookie carries."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=token_hash(token), user_id=user.id, ip=(ip or "")[:45],
                               user_agent=(user_agent or "")[:200]))
    db.session.flush()
    return token


def user_of_open_session(user_id: int, token: str | None) -> User | None:
    """The user ``user_id`` when ``token`` is a login of his that has not ended, with his roles.

    One query: every request asks, and every page checks the roles (the menu at least), so
    they come in the same round trip rather than a second one.
    """
    if not token:
        return None
    return db.session.scalars(_OPEN_SESSION_USER, {"user_id": user_id, "token_hash": token_hash(token)}).unique().first()


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every request asks.
_OPEN_SESSION_USER = select(User).join(UserSession, UserSession.user_id == User.id).where(
    User.id == bindparam("user_id"), UserSession.token_hash == bindparam("token_hash"),
    UserSession.ended_at.is_(None)).options(joinedload(User.role_rows))


def end_session(token: str | None, reason: str) -> None:
    """End one login (logout)."""
    if token:
        db.session.execute(update(UserSession).where(
            UserSession.token_hash == token_hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason))


def end_sessions_of(user: User, reason: str) -> None:
    """End every login of ``user`` on every device."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(ended_at=utcnow(), end_reason=reason))


def users_with_role(role: Role, active_only: bool = True) -> list[User]:
    """Users holding ``role``, by name (for assignment drop-downs)."""
    query = select(User).join(UserRole).where(UserRole.role == str(role))
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.display_name)))
