"""How penalties show in the packages below them. Registered at start-up by :func:`register`."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from portal.auth.models import User
from portal.auth.roles import Role
from portal.penalties.services import active_order_stops
from portal.projects.forms import ASSIGNEE_LABELS


def order_stop_labels(role: Role, users: list[User], today: date) -> dict[int, str]:
    """Foremen under an order stop (停单, round 3 failed) are offered flagged with its end date."""
    if role != Role.FOREMAN:
        return {}
    stops = active_order_stops(today)
    return {u.id: _l("%(name)s — no new orders until %(date)s", name=u.display_name, date=stops[u.id].isoformat())
            for u in users if u.id in stops}


def register() -> None:
    """Flag foremen under an order stop in the project form."""
    ASSIGNEE_LABELS.add("order_stop", order_stop_labels)
