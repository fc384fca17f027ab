"""The dashboard's tables: the per-person tables on the page (who needs attention, at most 30)."""
from portal.dashboard.queries import PersonFigures, Quality
from portal.dashboard.tables import PAGE_PEOPLE, people_table


def person(n: int, *, overdue: int = 0, open_: int = 0, penalties: int = 0, first=(1, 1)) -> PersonFigures:
    passed, rounds = first
    return PersonFigures(n, f"工长{n:03d}", Quality(completed=rounds, first_rounds=rounds, first_passed=passed),
                         open_notices=open_, overdue_notices=overdue, penalties=penalties)


def test_the_reports_and_the_csv_list_everybody_by_name():
    people = [person(n) for n in range(PAGE_PEOPLE + 5)]
    table = people_table("foremen", "Per foreman", "Foreman", people)
    assert [row[0] for row in table.rows] == [p.name for p in people] and table.more == 0


def test_the_page_lists_who_needs_attention_first_and_counts_the_rest():
    calm = [person(n) for n in range(PAGE_PEOPLE + 10)]
    weak = person(900, first=(0, 2))  # no first-time pass, nothing open
    penalised = person(901, penalties=2)
    open_notice = person(902, open_=1)
    overdue = person(903, overdue=1, open_=1)
    table = people_table("foremen", "Per foreman", "Foreman", [*calm, weak, penalised, open_notice, overdue],
                         PAGE_PEOPLE)
    names = [row[0] for row in table.rows]
    assert names[:4] == ["工长903", "工长902", "工长901", "工长900"]
    assert len(names) == PAGE_PEOPLE and table.more == 14


def test_a_short_list_stays_whole_and_by_name():
    people = [person(n, overdue=n % 2) for n in range(5)]
    table = people_table("foremen", "Per foreman", "Foreman", people, PAGE_PEOPLE)
    assert [row[0] for row in table.rows] == [p.name for p in people] and table.more == 0
