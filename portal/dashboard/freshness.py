"""The dashboard's figures, computed again only when what they are computed from has changed.

The 12-month figures read every inspection finished in the year, every failed or N/A answer of
them (about 45,000 rows a year for a company of 2,000 flats, four times that for one four times
larger), the open notices, the penalties, the projects and people: the heaviest request of the
portal, and one whose answer changes only when an inspection is scheduled, started, finished or
reopened, a notice or a penalty changes, a project, checklist or person is edited. So:

- a transaction that writes a row of those tables (:data:`WATCHED_TABLES`; also by UPDATE or
  DELETE statements run without loading the rows) sets a new random ``figures_versions.value``
  just before it commits;
- the dashboard reads that value (one small query) and takes the figures from this process's
  cache when they were computed at that value for the same period, filters, day and language;
  otherwise it computes them and keeps them.

Several app servers each keep their own cache and all read the one value in the database, so
none can show figures older than the data. A random value rather than a counter: a rolled-back
transaction takes its value back, and the next change must not meet a cache entry made under it.

Answers are deliberately not watched: only answers of finished inspections are counted, and those
cannot change without the inspection being reopened (which is watched). Watching them would
write the version row on every tap, making every inspector's save wait for the others'.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from portal.dashboard.models import FiguresVersion
from portal.extensions import db

# Tables the dashboard's figures are computed from (portal.dashboard.queries.collect); a test
# checks that this covers every table collect() reads, except answers (see above).
WATCHED_TABLES = frozenset({
    "inspections", "projects", "rectification_notices", "penalties", "users", "user_roles",
    "checklist_items", "checklist_categories", "checklist_templates",
})
UNWATCHED_READS = frozenset({"answers"})
CACHE_SIZE = 64  # entries per process (period × filters × language); each is a few KB

T = TypeVar("T")
_cache: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()
_PENDING = "portal.figures_changed"


def current_version() -> int | None:
    """The version of the data the figures are computed from (one primary-key read); None when the
    database has no version row (a schema not made by the migrations): then nothing is kept."""
    return db.session.scalar(select(FiguresVersion.value).where(FiguresVersion.id == 1))


_CURRENT = object()


def cached(key: Hashable, compute: Callable[[], T], version: int | None | object = _CURRENT) -> T:
    """``compute()``'s result for ``key`` at the current data version: from the cache when known.

    ``version``: the data version read earlier in the same request (one read for several keys).
    """
    if version is _CURRENT:
        version = current_version()
    if version is None:
        return compute()
    full_key = (version, key)
    with _lock:
        if full_key in _cache:
            _cache.move_to_end(full_key)
            return _cache[full_key]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _cache[full_key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def forget() -> None:
    """Empty this process's cache (tests that write rows behind the ORM's back)."""
    with _lock:
        _cache.clear()


def _writes_watched_rows(session: Session) -> bool:
    """True when the flush inserts, changes or deletes a row of a watched table."""
    changed = list(session.new) + list(session.deleted) + [obj for obj in session.dirty if session.is_modified(obj)]
    return any(getattr(getattr(obj, "__table__", None), "name", None) in WATCHED_TABLES for obj in changed)


def _before_flush(session: Session, _context, _instances) -> None:
    if _writes_watched_rows(session):
        session.info[_PENDING] = True


def _on_statement(state) -> None:
    """UPDATE / DELETE / INSERT statements on watched tables (bulk changes without loaded rows)."""
    if state.is_update or state.is_delete or state.is_insert:
        if getattr(getattr(state.statement, "table", None), "name", None) in WATCHED_TABLES:
            state.session.info[_PENDING] = True


def _before_commit(session: Session) -> None:
    """Write the new version as the transaction's last statement before COMMIT.

    The rows are flushed first, so the version row is the last lock the transaction takes and
    holds it only for the commit: two transactions can never wait for each other through it.
    """
    if session.in_nested_transaction():
        return  # a savepoint: the transaction goes on
    session.flush()
    if session.info.pop(_PENDING, False):
        session.connection().execute(update(FiguresVersion).where(FiguresVersion.id == 1)
                                     .values(value=secrets.randbits(62)))


def _committed(session: Session) -> None:
    # Only a commit settles it: after a rollback a flag left over costs one needless new version,
    # a flag cleared too early (a savepoint rolled back) would keep figures that changed.
    session.info.pop(_PENDING, None)


def register() -> None:
    """Watch every session's writes (idempotent)."""
    for name, listener in (("before_flush", _before_flush), ("do_orm_execute", _on_statement),
                           ("before_commit", _before_commit), ("after_commit", _committed)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
