"""The dashboard's number of SQL queries does not grow with the number of projects (no N+1).

Counted with a ``before_cursor_execute`` listener on the engine, rendering the dashboard (and
a report, a CSV table and the awards page) with 2 projects and then with 20.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import event

from portal.auth.roles import Role
from portal.dashboard import freshness
from portal.extensions import db
from portal.schedule.models import Award
from tests.factories import make_project_rounds, make_template, make_user

FAIL = ("插座左零右火上接地",)
PAGES = ["/dashboard/?period=month", "/dashboard/?period=week&format=csv&table=foremen",
         "/dashboard/reports/monthly", "/dashboard/awards?month=2026-10"]


@contextmanager
def counted_queries():
    """Collect the SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def add_projects(n: int, template, office) -> None:
    """``n`` projects in turn: passed the first time (and awarded), failed with an open notice and
    penalty, failed then passed on reinspection; each with its own foreman and project manager."""
    for i in range(n):
        kind = i % 3
        if kind == 0:
            (inspection,) = make_project_rounds([((), datetime(2026, 10, 10, 9))], template=template)
            db.session.add(Award(month=date(2026, 10, 1), project_id=inspection.project_id, inspection_id=inspection.id,
                                 rank=i + 1, confirmed_by_id=office.id))
        elif kind == 1:
            make_project_rounds([(FAIL, None)], template=template)
        else:
            make_project_rounds([(FAIL, None), ((), None)], template=template)
    db.session.commit()


def queries_per_page(client) -> dict[str, int]:
    """Statements per page with the figures computed (the cache emptied before each page)."""
    counts = {}
    for url in PAGES:
        freshness.forget()
        with counted_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


def test_query_count_does_not_grow_with_projects(client, login_as):
    template = make_template()
    office = login_as(Role.OFFICE)
    add_projects(2, template, office)
    queries_per_page(client)  # warm up (first-use caches)
    with_two = queries_per_page(client)

    add_projects(18, template, make_user(Role.OFFICE))
    with_twenty = queries_per_page(client)

    assert with_twenty == with_two
    assert with_two["/dashboard/?period=month"] <= 25, with_two


def test_unchanged_figures_are_not_computed_again_until_a_watched_row_changes(client, login_as):
    template = make_template()
    office = login_as(Role.OFFICE)
    add_projects(3, template, office)
    url = "/dashboard/?period=month"
    client.get(url)
    with counted_queries() as computed:
        first = client.get(url).text  # the cache is warm now: one read of the data version
    with counted_queries() as again:
        assert client.get(url).text == first
    assert len(again) == len(computed) and len(again) <= 12, again

    add_projects(1, template, office)  # a finished inspection more: the figures change
    with counted_queries() as after_change:
        changed = client.get(url).text
    assert len(after_change) > len(again) + 5
    assert changed != first
