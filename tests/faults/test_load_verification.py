"""Load with verification: after a mixed load, every answer that got a 200 is in the database
with its last value.

Against gunicorn with 2 workers, threads of this process play inspectors saving answers
(random items in random order, random outcomes and measurements, the same item changed
again and again, now and then an invalid measurement that must be refused and change
nothing) while the foreman, the office and finance read their pages. Each inspector has an
inspection of his own, started before the server comes up; two threads share it, each
owning half of its items and saving one answer after the other, so "the last answer that got
a 200" is well defined per item. Afterwards the database must hold exactly the answered
items, each with its last value, and no request may have failed.

The load runs LOAD_VERIFY_SECONDS seconds: by default 120 on PostgreSQL, and 30 on SQLite,
where the demo database serialises all writes (one transaction at a time), so a longer run
would only repeat itself.
"""
from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from portal.checklists.limits import Limit
from tests.faults.server import Client, call_in_app, standalone_app, start_gunicorn

pytestmark = pytest.mark.fault

DATABASE = "portal_loadcheck"
INSPECTORS = 3
THREADS_PER_INSPECTOR = 2
INVALID_SHARE = 0.05
READERS = {"foreman": "/notices/mine", "office": "/dashboard/", "finance": "/finance/?q=A2610"}


def load_seconds() -> float:
    """How long the load runs (LOAD_VERIFY_SECONDS; 120 s on PostgreSQL, 30 s on SQLite)."""
    default = 120 if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else 30
    return float(os.environ.get("LOAD_VERIFY_SECONDS") or default)


# --- set-up (runs inside the app, in its own process) ----------------------------------------

def start_load_inspections(count: int) -> list[dict]:
    """``count`` inspectors, each with a new project and a started inspection on the demo checklist.

    Returns per inspector his username, the inspection id and its items (id, measured, limit).
    """
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.auth.roles import Role
    from portal.auth.services import create_user
    from portal.demo import DEMO_PASSWORD
    from portal.equipment.models import Equipment
    from portal.extensions import db
    from portal.inspections.services import create_inspection, load_answers, record_start
    from portal.projects.models import Project, ProjectStatus
    from portal.timeutil import local_today

    today = local_today()
    office, foreman, pm = (db.session.scalar(select(User).where(User.username == name))
                           for name in ("office", "foreman", "pm"))
    equipment = [e for e in db.session.scalars(select(Equipment)) if e.is_valid_on(today)]
    started = []
    for n in range(1, count + 1):
        inspector = create_user(f"load{n}", f"压测验收员{n}", DEMO_PASSWORD, {Role.INSPECTOR})
        project = Project(contract_no=f"L2611{n:04d}", address=f"西安市雁塔区压测路{n}号", owner_name=f"业主{n}",
                          owner_phone="13800000000", design_studio="A 曲江设计室", designer="孙雅",
                          contract_amount=Decimal("100000.00"), start_date=today, planned_completion=today,
                          status=ProjectStatus.WORK_COMPLETE.value, foreman=foreman, project_manager=pm)
        db.session.add(project)
        inspection = create_inspection(project, today, inspector, office)
        record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                     handbook_present=True, equipment=equipment)
        items = [{"id": a.item_id, "measured": a.item.is_measured,
                  "limit": [None if v is None else str(v) for v in (a.item.limit_min, a.item.limit_max,
                                                                   a.item.nominal, a.item.tolerance)]}
                 for a in load_answers(inspection)]
        started.append({"username": inspector.username, "inspection_id": inspection.id, "items": items})
    return started


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """This module talks to its own server only; the suite's database stays untouched."""
    return standalone_app(tmp_path_factory)


@pytest.fixture(scope="module")
def loaded_server(tmp_path_factory):
    """(gunicorn with 2 workers on a fresh demo database, the load inspectors' inspections)."""
    inspections = []

    def prepare(env):
        inspections.extend(call_in_app(env, f"{__name__}:start_load_inspections", INSPECTORS))

    with start_gunicorn(tmp_path_factory.mktemp("load"), DATABASE, workers=2, prepare=prepare) as server:
        yield server, inspections


# --- the load ------------------------------------------------------------------------------

@dataclass
class Tally:
    """What one thread sent and got."""

    requests: int = 0
    saves: int = 0
    rejected: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    last: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)


def random_answer(item: dict, rng: random.Random) -> tuple[str, str, bool]:
    """(form field, value, valid) for ``item``: an outcome, a measurement, or now and then garbage."""
    if item["measured"]:
        if rng.random() < INVALID_SHARE:
            return "value", rng.choice(["abc", "1e9", "12.34567"]), False
        if rng.random() < 0.15:
            return "outcome", "na", True
        reference = next((Decimal(v) for v in (item["limit"][2], item["limit"][1], item["limit"][0]) if v), Decimal(10))
        return "value", str(round(Decimal(rng.uniform(0, float(abs(reference) * 2 + 1))), 1)), True
    return "outcome", rng.choice(["pass", "fail", "na"]), True


def answer_items(client: Client, inspection_id: int, items: list[dict], deadline: float, seed: int) -> Tally:
    """Save random answers to ``items`` (this thread's alone), one after the other, until ``deadline``."""
    rng, tally = random.Random(seed), Tally()
    while time.monotonic() < deadline:
        item = rng.choice(items)
        name, value, valid = random_answer(item, rng)
        tally.requests += 1
        try:
            response = client.post_form(f"/inspections/{inspection_id}/items/{item['id']}", {name: value},
                                        {"HX-Request": "true", "HX-Target": f"item-{item['id']}"})
        except OSError as exc:
            tally.errors.append(f"save: {exc!r}")
            continue
        if valid and response.status == 200:
            tally.saves += 1
            tally.last[(inspection_id, item["id"])] = (name, value)  # responses of one thread come in order
        elif not valid and response.status == 422:
            tally.rejected += 1
        else:
            tally.errors.append(f"save {name}={value}: {response.status}")
    return tally


def read_pages(client: Client, path: str, deadline: float) -> Tally:
    """GET ``path`` again and again until ``deadline``."""
    tally = Tally()
    while time.monotonic() < deadline:
        tally.requests += 1
        try:
            status = client.get(path).status
        except OSError as exc:
            tally.errors.append(f"GET {path}: {exc!r}")
            continue
        tally.reads += status == 200
        if status != 200:
            tally.errors.append(f"GET {path}: {status}")
    return tally


def run_threads(jobs: list, seconds: float) -> list[Tally]:
    """Run each job (a callable taking the deadline, returning a Tally) in its own thread for
    ``seconds``; their tallies."""
    results: list = [None] * len(jobs)
    deadline = time.monotonic() + seconds

    def run(index, job):
        try:
            results[index] = job(deadline)
        except BaseException as exc:  # reported below, not lost in the thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, job), name=f"load-{i}") for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 120)
    assert not any(thread.is_alive() for thread in threads), "a load thread hung"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def load_jobs(server, inspections: list[dict]) -> list:
    """The inspectors' saving threads (items split between each inspector's two) and the readers,
    logged in; each job takes the deadline."""
    jobs = []
    for n, inspection in enumerate(inspections):
        client = Client(server.url)
        client.login(inspection["username"])
        for part in range(THREADS_PER_INSPECTOR):
            # One login per user (logins are throttled per username); each thread its own cookie copy.
            own = Client(server.url, dict(client.cookies), client.csrf)
            items = inspection["items"][part::THREADS_PER_INSPECTOR]
            jobs.append(lambda deadline, c=own, i=inspection["inspection_id"], it=items, s=n * 10 + part:
                        answer_items(c, i, it, deadline, s))
    for username, path in READERS.items():
        reader = Client(server.url)
        reader.login(username)
        jobs.append(lambda deadline, c=reader, p=path: read_pages(c, p, deadline))
    return jobs


# --- the check -----------------------------------------------------------------------------

def stored_answers(server, inspection_ids: list[int]) -> dict[tuple[int, int], tuple[str, Decimal | None]]:
    """(inspection, item) → (outcome, value) of every answered item of the load inspections."""
    marks = ", ".join("?" for _ in inspection_ids)
    rows = server.query(f"SELECT inspection_id, item_id, outcome, value FROM answers "
                        f"WHERE inspection_id IN ({marks}) AND outcome IS NOT NULL", tuple(inspection_ids))
    return {(row[0], row[1]): (row[2], None if row[3] is None else Decimal(str(row[3]))) for row in rows}


def expected_answer(item: dict, name: str, value: str) -> tuple[str, Decimal | None]:
    """What the database must hold after ``name=value`` was the last save that got a 200."""
    if name == "outcome":
        return value, None  # check items have no value; N/A clears a measured item's value
    limit = Limit(*(None if v is None else Decimal(v) for v in item["limit"]))
    return ("pass" if limit.accepts(Decimal(value)) else "fail"), Decimal(value)


def test_every_answer_that_got_a_200_is_stored_with_its_last_value(loaded_server):
    server, inspections = loaded_server
    jobs = load_jobs(server, inspections)
    started = time.monotonic()
    tallies = run_threads(jobs, load_seconds())
    duration = time.monotonic() - started

    last = {key: answer for tally in tallies for key, answer in tally.last.items()}
    errors = [error for tally in tallies for error in tally.errors]
    total = {name: sum(getattr(t, name) for t in tallies) for name in ("requests", "saves", "rejected", "reads")}
    print(f"\nload: {total['requests']} requests in {duration:.0f} s — {total['saves']} saves of {len(last)} items, "
          f"{total['rejected']} invalid values refused, {total['reads']} page reads; {len(errors)} errors")

    assert not errors, f"{len(errors)} failed requests, e.g. {errors[:5]}"
    assert total["saves"] > len(last) > 0, "the load never changed an item twice"
    items = {(i["inspection_id"], item["id"]): item for i in inspections for item in i["items"]}
    stored = stored_answers(server, [i["inspection_id"] for i in inspections])
    assert len(stored) == len(last), "answered items in the database ≠ items that got a 200"
    wrong = {key: (stored.get(key), expected_answer(items[key], *answer)) for key, answer in last.items()
             if stored.get(key) != expected_answer(items[key], *answer)}
    assert not wrong, f"{len(wrong)} answers differ from their last 200 (stored, expected): {list(wrong.items())[:5]}"
