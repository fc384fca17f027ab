"""Sending notifications: stored in-app; also e-mailed when SMTP_HOST is set.

Texts are rendered in the recipient's language at sending time. Tests (and companies
without mail) use the in-memory outbox: ``app.extensions["mail_outbox"]``.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import bindparam, func, select

from portal.auth.models import User
from portal.extensions import db
from portal.notifications.models import Notification
from portal.timeutil import utcnow


def notify(users: list[User], kind: str, render, link: str = "", dedupe: str | None = None) -> list[Notification]:
    """Notify each user once; ``render()`` returns the text and is called in each user's language.

    With ``dedupe`` (e.g. ``"deadline-tomorrow:42"``) a user is told only once per key.
    """
    created = []
    for user in {u.id: u for u in users if u is not None and u.active}.values():
        key = f"{dedupe}:{user.id}" if dedupe else None
        if key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        with force_locale(user.locale or current_app.config["LANGUAGE"]):
            text = str(render())
        note = Notification(user_id=user.id, kind=kind, text=text, link=link, dedupe_key=key)
        db.session.add(note)
        created.append((note, user))
    db.session.flush()
    for note, user in created:
        _email(note, user)
    return [note for note, _user in created]


def _email(note: Notification, user: User) -> None:
    """Send the same message by e-mail when the user has an address and SMTP is configured."""
    address = user.email
    config = current_app.config
    if not address:
        return
    message = EmailMessage()
    message["Subject"] = note.text[:80]
    message["From"] = config["SMTP_FROM"] or "portal@localhost"
    message["To"] = address
    message.set_content(f"{note.text}\n\n{config['BASE_URL']}{note.link}")
    outbox = current_app.extensions.get("mail_outbox")
    if outbox is not None:
        outbox.append(message)
    elif config["SMTP_HOST"]:
        try:
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
                if config["SMTP_USER"]:
                    smtp.starttls()
                    smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException):
            current_app.logger.exception("notification e-mail to %s failed", address)
            return
    else:
        return
    note.emailed_at = utcnow()


def unread_count(user: User) -> int:
    """How many notifications the user has not opened."""
    return db.session.scalar(_UNREAD, {"user_id": user.id})


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every page's menu asks.
_UNREAD = select(func.count()).select_from(Notification).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
