"""The story generator (pure): seeded, scored by the portal's rules, every state of the year present,
and at the benchmark's size the dataset sizes ``make bench`` states. Also the clock the demo moves."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from portal.checklists.checklist_file import read_checklist
from portal.checklists.limits import Limit
from portal.demo.story import (
    DEMO_SIZE, OPEN, OVERDUE, REQUESTED, SCHEDULED, ItemSpec, make_story, measured_value,
)
from portal.inspections.scoring import evaluate
from portal.timeutil import clock_at, local_today, utcnow

TODAY = date(2026, 12, 6)


def default_items() -> list[ItemSpec]:
    """The built-in checklist as the story sees it (ids by position)."""
    specs = []
    for category in read_checklist()["categories"]:
        for item in category["items"]:
            limit = Limit(*(None if item.get(k) is None else Decimal(item[k])
                            for k in ("limit_min", "limit_max", "nominal", "tolerance")))
            specs.append(ItemSpec(len(specs) + 1, category["code"], item["kind"] == "measured",
                                  limit if item["kind"] == "measured" else None))
    return specs


def merged_answers(project):
    """Per round, the answers that count: carried ones and the round's own."""
    answers = {}
    for rnd in project.rounds:
        answers = {**answers, **rnd.answers}
        yield rnd, dict(answers)


def test_the_same_seed_tells_the_same_year():
    items = default_items()
    first, second = make_story(TODAY, items), make_story(TODAY, items)
    assert [(p.contract_no, [(r.day, r.answers) for r in p.rounds]) for p in first.projects] == \
           [(p.contract_no, [(r.day, r.answers) for r in p.rounds]) for p in second.projects]
    other = make_story(TODAY, items, seed=7)
    assert [p.contract_no for p in other.projects] != [p.contract_no for p in first.projects]


def test_every_round_is_what_the_scoring_rules_make_of_its_answers():
    items = default_items()
    by_id = {item.id: item for item in items}
    story = make_story(TODAY, items)
    for project in story.projects:
        for rnd, answers in merged_answers(project):
            assert set(answers) == set(by_id)  # every item answered once, or carried
            expected = evaluate(((by_id[i].category, a.outcome) for i, a in answers.items()), has_valid_equipment=True)
            assert rnd.evaluation == expected
            for item_id, answer in rnd.answers.items():
                item = by_id[item_id]
                if item.measured and answer.outcome != "na":  # the typed value gives the outcome
                    assert item.limit.accepts(Decimal(answer.value)) == (answer.outcome == "pass"), (item, answer)
        assert all(not r.passed for r in project.rounds[:-1])  # only the last round may pass
        assert project.passed == (project.ending is None)


def test_the_demo_year_has_every_state_and_stays_inside_the_year():
    story = make_story(TODAY, default_items())
    assert len(story.projects) == DEMO_SIZE.projects
    assert sum(len(p.rounds) for p in story.projects) == DEMO_SIZE.inspections
    assert {p.ending for p in story.projects} == {None, OPEN, OVERDUE, REQUESTED, SCHEDULED}
    days = [r.day for p in story.projects for r in p.rounds]
    assert TODAY - timedelta(days=365) < min(days) and max(days) <= TODAY
    months = {(d.year, d.month) for d in days}
    assert len(months) >= 12  # every month of the year has inspections
    assert any(p.paid for p in story.projects)
    assert max(len(p.rounds) for p in story.projects) >= 3  # third rounds: replacement and fine
    assert len({p.contract_no for p in story.projects + story.upcoming}) == len(story.projects) + len(story.upcoming)


def test_at_the_bench_size_the_dataset_has_the_sizes_make_bench_states():
    """benchmarks/dataset.py: 2,000 projects, 5,000 inspections (20 left open for the load test), 89 answers
    each, about 3,000 notices with 30,000 items and 1,800 certificates (README, Performance)."""
    import benchmarks.dataset as dataset

    story = make_story(TODAY, default_items(), dataset.bench_size())
    rounds = [r for p in story.projects for r in p.rounds]
    assert len(story.projects) == dataset.PROJECTS == 2000
    assert len(rounds) + dataset.INSPECTORS == dataset.INSPECTIONS == 5000
    assert (len(rounds) + dataset.INSPECTORS) * len(default_items()) == 445_000
    failed = [r for r in rounds if not r.passed]
    assert 2_800 <= len(failed) <= 3_400
    assert 25_000 <= sum(len(r.failed_items) for r in failed) <= 35_000
    assert 1_700 <= len(rounds) - len(failed) <= 1_900  # one certificate per passed round


def test_measured_values_fall_inside_or_outside_every_kind_of_limit():
    limits = [Limit(maximum=Decimal("12")), Limit(minimum=Decimal("250")), Limit(nominal=Decimal("0"), tolerance=Decimal("2")),
              Limit(minimum=Decimal("8"), maximum=Decimal("12")), Limit(maximum=Decimal("0.05"))]
    for limit in limits:
        for n in range(10):
            assert limit.accepts(measured_value(limit, False, n / 10))
            assert not limit.accepts(measured_value(limit, True, n / 10))


def test_clock_at_moves_every_now_for_the_block_only():
    real = utcnow()
    with clock_at(datetime(2026, 3, 5, 9, 30)):  # company time
        assert utcnow().replace(microsecond=0, second=0) == datetime(2026, 3, 5, 1, 30)
        assert local_today() == date(2026, 3, 5)
        later = utcnow()
        assert later >= datetime(2026, 3, 5, 1, 30)  # the clock goes on ticking
    assert abs((utcnow() - real).total_seconds()) < 60
