"""The version of the data the dashboard's figures are computed from (see :mod:`portal.dashboard.freshness`)."""
from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class FiguresVersion(db.Model):
    """One row (id 1): a new random value whenever a row the figures are computed from changes."""

    __tablename__ = "figures_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
