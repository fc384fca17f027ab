"""The monthly excellent-site award: rounding and ranking rules (pure), proposal and confirmation."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from itertools import count

import pytest
from sqlalchemy import select

from portal.auth.roles import Role
from portal.dashboard import awards
from portal.dashboard.awards import AwardError, Candidate, award_count, proposal, rank_candidates
from portal.extensions import db
from portal.notifications.models import Notification
from portal.schedule.models import Award
from tests.factories import make_graded_template, make_project_rounds, make_user

OCTOBER = date(2026, 10, 1)
_ids = count(1)
IN_NOVEMBER = date(2026, 11, 24)


# --- pure rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("completed, awarded", [(0, 0), (1, 1), (9, 1), (10, 1), (19, 1), (20, 2), (35, 3)])
def test_award_count(completed, awarded):
    assert award_count(completed) == awarded


@pytest.mark.parametrize("completed, awarded", [(-1, 0), (29, 2), (30, 3), (500, 3)])
def test_award_count_edges(completed, awarded):
    assert award_count(completed) == awarded


def candidate(no: str, passed: int, applicable: int = 24, round_: int = 1, finished=datetime(2026, 10, 10, 2),
              project_id: int | None = None) -> Candidate:
    """A candidate whose final score is passed / applicable."""
    return Candidate(inspection_id=next(_ids), project_id=project_id or int(no[1:]), contract_no=no,
                     address="", foreman="", passed_count=passed, applicable_count=applicable,
                     overall_rate=(Decimal(passed) / applicable).quantize(Decimal("0.0001"), ROUND_DOWN), round=round_,
                     finished_at=finished)


def numbers(ranked: list[Candidate]) -> list[str]:
    return [c.contract_no for c in ranked]


def test_higher_score_first():
    ranked = rank_candidates([candidate("P1", 22), candidate("P2", 24), candidate("P3", 23)])
    assert numbers(ranked) == ["P2", "P3", "P1"]


def test_tie_on_score_goes_to_fewer_rounds():
    ranked = rank_candidates([candidate("P1", 24, round_=2), candidate("P2", 24, round_=1)])
    assert numbers(ranked) == ["P2", "P1"]


def test_tie_on_score_and_rounds_goes_to_the_earlier_pass():
    ranked = rank_candidates([candidate("P1", 23, finished=datetime(2026, 10, 20, 2)),
                              candidate("P2", 23, finished=datetime(2026, 10, 5, 2)),
                              candidate("P3", 23, round_=2, finished=datetime(2026, 10, 1, 2))])
    assert numbers(ranked) == ["P2", "P1", "P3"]


def test_score_is_exact_not_the_rounded_rate():
    # 2/3 and 6666/10000 are both stored as 0.6666 (rounded down); the exact score tells them apart.
    exact = candidate("P1", 2, applicable=3)
    lower = candidate("P2", 6666, applicable=10000, finished=datetime(2026, 10, 1, 2))
    assert exact.overall_rate == lower.overall_rate
    assert numbers(rank_candidates([lower, exact])) == ["P1", "P2"]


def test_one_entry_per_project():
    ranked = rank_candidates([candidate("P1", 20, project_id=7), candidate("P9", 24, project_id=7)])
    assert numbers(ranked) == ["P9"]


def test_proposal_is_the_top_of_the_ranking():
    ranked = rank_candidates([candidate(f"P{i}", 24 - i % 5, finished=datetime(2026, 10, 1 + i, 2))
                              for i in range(1, 21)])
    assert numbers(proposal(ranked)) == numbers(ranked[:2])
    assert proposal([]) == []


# --- proposal and confirmation ------------------------------------------------------------------

@pytest.fixture
def october_passes():
    """Three projects that passed in October and one in November; the ranking is P-a, P-b, P-c."""
    template = make_graded_template()
    made = {
        "a": make_project_rounds([((), datetime(2026, 10, 20, 9))], template=template),           # 100 %, round 1
        "b": make_project_rounds([(("木作01",), datetime(2026, 10, 2, 9)), ((), datetime(2026, 10, 5, 9))],
                                 template=template),                                              # 100 %, round 2
        "c": make_project_rounds([(("电气01",), datetime(2026, 10, 1, 0, 5))], template=template),  # 95.8 %
        "nov": make_project_rounds([((), datetime(2026, 11, 1, 0, 5))], template=template),
    }
    return {key: inspections[-1] for key, inspections in made.items()}


def test_candidates_are_the_month_passes_ranked(october_passes):
    ranked = rank_candidates(awards.candidates(OCTOBER))
    expected = [october_passes[k] for k in ("a", "b", "c")]
    assert [c.inspection_id for c in ranked] == [i.id for i in expected]
    assert ranked[2].passed_on == date(2026, 10, 1)  # 00:05 local, 30 Sep in UTC
    assert [c.inspection_id for c in proposal(ranked)] == [october_passes["a"].id]


def test_confirm_keeps_the_proposal_and_tells_the_foreman(october_passes):
    office = make_user(Role.OFFICE)
    winner = october_passes["a"]
    (award,) = awards.confirm(OCTOBER, [winner.id], office, IN_NOVEMBER)
    assert (award.month, award.project_id, award.inspection_id, award.rank, award.confirmed_by_id) == \
        (OCTOBER, winner.project_id, winner.id, 1, office.id)
    rows = awards.confirmed(date(2026, 10, 17))
    assert [(r.rank, r.contract_no) for r in rows] == [(1, winner.project.contract_no)]
    assert awards.awards_of_foreman(winner.project.foreman_id) == rows
    assert awards.latest_confirmed(IN_NOVEMBER) == rows and awards.latest_confirmed(date(2026, 9, 30)) == []
    note = db.session.scalar(select(Notification).where(Notification.user_id == winner.project.foreman_id,
                                                        Notification.kind == "award"))
    assert note is not None and winner.project.contract_no in note.text


@pytest.mark.parametrize("month, seen, today, code", [
    (date(2026, 11, 1), None, IN_NOVEMBER, "month_not_over"),
    (date(2026, 9, 1), [], IN_NOVEMBER, "nothing_to_award"),
    (OCTOBER, "b", IN_NOVEMBER, "changed"),
])
def test_confirm_refusals(october_passes, month, seen, today, code):
    ids = [october_passes[seen].id] if isinstance(seen, str) else seen or []
    with pytest.raises(AwardError) as info:
        awards.confirm(month, ids, make_user(Role.OFFICE), today)
    assert info.value.code == code
    assert db.session.scalar(select(Award.id)) is None


def test_confirm_twice_is_refused(october_passes):
    office = make_user(Role.OFFICE)
    awards.confirm(OCTOBER, [october_passes["a"].id], office, IN_NOVEMBER)
    with pytest.raises(AwardError) as info:
        awards.confirm(OCTOBER, [october_passes["a"].id], office, IN_NOVEMBER)
    assert info.value.code == "already_confirmed"
    assert len(awards.confirmed(OCTOBER)) == 1
