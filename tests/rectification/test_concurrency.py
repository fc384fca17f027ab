"""Notices numbered at the same moment, on PostgreSQL with real commits."""
import os

import pytest
from sqlalchemy import and_, func, select

from portal.extensions import db
from portal.inspections.models import Inspection
from portal.inspections.services import answers_version, finish
from portal.numbering import NumberSequence
from portal.rectification.models import RectificationNotice
from portal.timeutil import local_today
from tests.inspections.test_concurrency import run_together

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]

SOCKET = "插座左零右火上接地"


@pytest.fixture(autouse=True)
def put_back(app):
    """Afterwards, delete the rows the test committed and restore the rows it changed (e.g. the
    day's number counter), so later tests of the session find the database as it was."""
    with app.app_context():
        tables = db.metadata.sorted_tables
        with db.engine.connect() as conn:
            before = {table.name: {_key(table, row): dict(row._mapping) for row in conn.execute(table.select())}
                      for table in tables}
    yield
    with app.app_context():
        with db.engine.begin() as conn:
            for table in reversed(tables):  # children first
                for row in conn.execute(table.select()).all():
                    key = _key(table, row)
                    old = before[table.name].get(key)
                    where = and_(*(column == value for column, value in zip(table.primary_key.columns, key)))
                    if old is None:
                        conn.execute(table.delete().where(where))
                    elif old != dict(row._mapping):
                        conn.execute(table.update().where(where).values(**old))
        db.engine.dispose()


def _key(table, row) -> tuple:
    return tuple(row._mapping[column.name] for column in table.primary_key.columns)


def committed_failing_inspections(app, count: int) -> list[int]:
    """``count`` started inspections of different projects, answered with one failed item, committed."""
    from tests.factories import answer_items, make_inspection, make_template, set_default_fixes

    with app.app_context():
        ids = []
        for _ in range(count):
            template = make_template()
            set_default_fixes(template)
            inspection = make_inspection(template=template)
            answer_items(inspection, fail=(SOCKET,))
            ids.append(inspection.id)
        db.session.commit()
        db.session.remove()
    return ids


def last_number(app, series: str) -> int:
    with app.app_context():
        value = db.session.scalar(select(NumberSequence.last_value).where(NumberSequence.series == series)) or 0
        db.session.remove()
    return value


def finish_one(inspection_id: int) -> None:
    inspection = db.session.get(Inspection, inspection_id)
    finish(inspection, inspection.inspector, answers_version(inspection))
    db.session.commit()


def test_ten_inspections_failing_at_once_get_consecutive_unique_numbers(app):
    ids = committed_failing_inspections(app, 10)
    series = f"ZG-{local_today():%Y%m%d}"
    before = last_number(app, series)  # 0 on a fresh test database

    errors = run_together(app, 10, lambda i: finish_one(ids[i]))

    assert errors == []
    with app.app_context():
        notices = db.session.scalars(select(RectificationNotice).where(RectificationNotice.inspection_id.in_(ids))).all()
        assert sorted(n.inspection_id for n in notices) == sorted(ids)  # one notice each
        numbers = sorted(n.number for n in notices)
        assert numbers == [f"{series}-{n:03d}" for n in range(before + 1, before + 11)]  # 001..010: no gap, no duplicate
        assert all(len(n.items) == 1 and n.items[0].item_text == SOCKET for n in notices)
        db.session.remove()
    assert last_number(app, series) == before + 10


def test_ten_phones_finishing_the_same_failing_inspection_issue_one_notice(app):
    (inspection_id,) = committed_failing_inspections(app, 1)
    series = f"ZG-{local_today():%Y%m%d}"
    before = last_number(app, series)

    errors = run_together(app, 10, lambda _i: finish_one(inspection_id))

    assert errors == []
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(RectificationNotice)
                                  .where(RectificationNotice.inspection_id == inspection_id))
        assert count == 1
        db.session.remove()
    assert last_number(app, series) == before + 1
