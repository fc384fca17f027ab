"""Gapless, unique document numbers (rectification notices, certificates), safe under concurrency.

A counter row per series is incremented inside the caller's transaction. On PostgreSQL the
row is created with INSERT … ON CONFLICT DO NOTHING and then locked by the UPDATE, so two
requests finishing at the same moment get consecutive numbers, and a rolled-back request
gives its number back (no gaps). SQLite serialises writers anyway.
"""
from __future__ import annotations

from sqlalchemy import String, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class NumberSequence(db.Model):
    """The last number issued in one series (e.g. ``ZG-20261122`` or ``YS-2026``)."""

    __tablename__ = "number_sequences"

    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_number(series: str) -> int:
    """The next number of ``series`` (1, 2, 3, …), reserved in the current transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(pg_insert(NumberSequence).values(series=series, last_value=0)
                           .on_conflict_do_nothing(index_elements=["series"]))
    elif db.session.scalar(select(NumberSequence.series).where(NumberSequence.series == series)) is None:
        db.session.execute(insert(NumberSequence).values(series=series, last_value=0))
    return db.session.execute(
        update(NumberSequence).where(NumberSequence.series == series)
        .values(last_value=NumberSequence.last_value + 1).returning(NumberSequence.last_value)).scalar_one()
