"""The equipment register: calibration state, order of the register, loading instruments."""
from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.permissions import authorise
from portal.equipment.models import Equipment
from portal.extensions import db

# An instrument whose calibration ends within this many days is flagged, so the office
# can send it for recalibration before inspectors lose it (000, 3.1.5).
EXPIRY_WARNING_DAYS = 30


class CalibrationState(StrEnum):
    """Where an instrument stands with its calibration on a given day."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        """The state in the user's language."""
        return str(STATE_LABELS[self])

STATE_LABELS = {
    CalibrationState.VALID: _l("Valid"),
    CalibrationState.EXPIRING: _l("Expires within %(days)d days", days=EXPIRY_WARNING_DAYS),
    CalibrationState.EXPIRED: _l("Expired"),
    CalibrationState.RETIRED: _l("Retired"),
}

# Problems first, retired instruments last.
_REGISTER_ORDER = [CalibrationState.EXPIRED, CalibrationState.EXPIRING, CalibrationState.VALID,
                   CalibrationState.RETIRED]


def calibration_state(equipment: Equipment, today: date) -> CalibrationState:
    """The calibration state of ``equipment`` on ``today``.

    Validity includes ``valid_until`` itself; ``today + EXPIRY_WARNING_DAYS`` is "expiring".
    A calibration dated after ``today`` does not make the instrument usable yet
    (``Equipment.is_valid_on`` says the same), so it counts as expired rather than valid.
    """
    if equipment.retired:
        return CalibrationState.RETIRED
    if not equipment.calibrated_on <= today <= equipment.valid_until:
        return CalibrationState.EXPIRED
    if equipment.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return CalibrationState.EXPIRING
    return CalibrationState.VALID


class RegisterEntry(NamedTuple):
    """One line of the register: an instrument and its calibration state today."""

    equipment: Equipment
    state: CalibrationState


def sort_register(entries: list[RegisterEntry]) -> list[RegisterEntry]:
    """Expired, then expiring, then valid, then retired; soonest expiry first within each."""
    return sorted(entries, key=lambda e: (_REGISTER_ORDER.index(e.state), e.equipment.valid_until,
                                          e.equipment.name, e.equipment.serial_no))


def equipment_register(today: date) -> list[RegisterEntry]:
    """Every instrument with its state on ``today``, problems first."""
    entries = [RegisterEntry(e, calibration_state(e, today)) for e in db.session.scalars(select(Equipment))]
    return sort_register(entries)


def get_equipment_or_404(equipment_id: int, user, action: str = "view") -> Equipment:
    """An instrument ``user`` may ``action`` (404 when there is none or he may not see it; 403 otherwise)."""
    return authorise(user, db.session.get(Equipment, equipment_id), action)


def serial_no_taken(serial_no: str, except_id: int | None = None) -> bool:
    """True when another instrument already has ``serial_no``."""
    query = select(Equipment.id).where(Equipment.serial_no == serial_no)
    if except_id is not None:
        query = query.where(Equipment.id != except_id)
    return db.session.scalar(query) is not None
