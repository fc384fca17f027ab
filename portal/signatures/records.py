"""Which records take signatures: a registry that the features fill at start-up.

Signatures knows nothing of inspections, photos or notices. Each feature describes its
signable records as a :class:`RecordType` (who must sign, how to load the record, what its
signatures are bound to, when it may be signed) and registers it from its own ``signing.py``.
The required set of signers is a property of the record type, there and nowhere else.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.registry import Registry

SLOT_LABELS = {
    "inspector": _l("Inspector"),
    "foreman": _l("Foreman"),
    "project_manager": _l("Project manager"),
    "owner": _l("Owner"),
}


def _no_figures(_record) -> dict:
    return {}


@dataclass(frozen=True)
class RecordType:
    """A kind of record that people sign."""

    name: str
    title: object
    required: tuple[str, ...]
    optional: tuple[str, ...]
    model: type
    content: Callable[[object], dict]  # canonical content; its fingerprint is what a signature is bound to
    project: Callable[[object], object]  # the record's project (whose foreman and PM sign)
    ready: Callable[[object], bool]  # may it be signed now (e.g. the inspection is finished)?
    lock_effect: str  # what the owning feature refuses to change once every required slot is signed
    run_by: Callable[[object], int | None] | None = None  # id of the inspector who runs it: he collects alone
    figures: Callable[[object], dict] = field(default=_no_figures)  # extra figures of the record summary

    @property
    def slots(self) -> tuple[str, ...]:
        """Required slots first, then optional ones."""
        return self.required + self.optional

    def load(self, record_id: int):
        """The record, or None."""
        return db.session.get(self.model, record_id)


RECORD_TYPES: Registry[RecordType] = Registry("signable record type")


def register_record_type(rtype: RecordType) -> RecordType:
    """Make ``rtype`` signable (registering the same name again replaces it)."""
    return RECORD_TYPES.add(rtype.name, rtype)


def record_type(name: str) -> RecordType | None:
    """The record type called ``name``, or None."""
    return RECORD_TYPES.get(name)
