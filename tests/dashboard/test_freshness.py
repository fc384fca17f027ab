"""The dashboard's figures are kept until a row they are computed from changes (portal.dashboard.freshness)."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event, update

from portal.dashboard import freshness, queries
from portal.dashboard.periods import Period
from portal.extensions import db
from portal.inspections.services import load_answers, save_answer
from portal.rectification.models import RectificationNotice
from tests.factories import make_failed_inspection, make_inspection

TABLE_RE = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_]+)", re.IGNORECASE)


def test_every_table_the_figures_read_is_watched():
    """A figure read from a table nobody watches would stay as it was when that table changes."""
    make_failed_inspection()
    tables: set[str] = set()

    def note(_conn, _cursor, statement, *_args):
        tables.update(TABLE_RE.findall(statement))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        queries.collect(Period(date(2025, 12, 1), date(2026, 12, 31)), queries.Filters(), date(2026, 12, 7))
        queries.filter_choices()  # kept under the same version
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert {"inspections", "answers", "rectification_notices", "penalties"} <= tables
    assert tables <= freshness.WATCHED_TABLES | freshness.UNWATCHED_READS, tables - freshness.WATCHED_TABLES


def test_finishing_and_bulk_changes_give_a_new_version_answers_do_not():
    inspection = make_inspection()
    db.session.commit()
    before = freshness.current_version()

    row = load_answers(inspection)[0]
    save_answer(row, inspection.inspector, outcome="pass") if not row.item.is_measured \
        else save_answer(row, inspection.inspector, raw_value="10")
    db.session.commit()
    assert freshness.current_version() == before  # a tap writes no version row

    _inspection, notice = make_failed_inspection()
    db.session.commit()
    after_finish = freshness.current_version()
    assert after_finish != before

    db.session.execute(update(RectificationNotice).where(RectificationNotice.id == notice.id)
                       .values(deadline=date(2030, 1, 1)))
    db.session.commit()
    assert freshness.current_version() != after_finish


def test_a_rolled_back_change_leaves_the_version_as_it_was():
    make_inspection()
    db.session.commit()
    before = freshness.current_version()
    make_inspection()
    db.session.flush()
    assert freshness.current_version() == before  # written just before the commit, not at each flush
    db.session.rollback()
    assert freshness.current_version() == before


def test_cached_computes_once_per_key_and_version():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert freshness.cached("k", compute) == 1
    assert freshness.cached("k", compute) == 1
    assert freshness.cached("other", compute) == 2
    make_inspection()
    db.session.commit()
    assert freshness.cached("k", compute) == 3


def test_without_a_version_row_nothing_is_kept():
    from sqlalchemy import delete

    from portal.dashboard.models import FiguresVersion

    db.session.execute(delete(FiguresVersion))
    calls = []
    freshness.cached("k", lambda: calls.append(1))
    freshness.cached("k", lambda: calls.append(1))
    assert len(calls) == 2
