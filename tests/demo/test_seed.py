"""The demo as ``flask seed-demo`` loads it: a year of one company's work, played through the services.

One seeded database for the module (its own SQLite file, or its own database under TEST_DATABASE_URL):
every demo login lands on live work, the dashboard's figures are what the scoring rules make of the
seeded answers, a second run changes nothing, a later day keeps today's work on today, and
production refuses the command.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from portal import create_app
from portal.auth.models import User
from portal.certificates.models import PassCertificate
from portal.dashboard.periods import first_of_month
from portal.dashboard.periods import report_month, report_week
from portal.dashboard.queries import Filters, collect, trend
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.finance.models import SettlementPayment
from portal.inspections.models import Answer, Inspection
from portal.inspections.scoring import evaluate
from portal.checklists.models import ChecklistCategory, ChecklistItem
from portal.notifications.models import Notification
from portal.penalties.models import Penalty
from portal.photos.models import ClosureTest, Photo
from portal.projects.models import Project
from portal.rectification.models import RectificationNotice
from portal.schedule.models import WeeklySubmission
from portal.schedule.rules import next_week_start
from portal.signatures.models import Signature
from portal.timeutil import clock_at, local_now, local_today, to_local
from tests.browser.conftest import ROLE_HOMES
from tests.conftest import TEST_SECRET, PortalClient, log_in_client
from tests.live import postgres_urls, recreate_postgres_database

DB_NAME = "portal_demo_seed"
SEED_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """A fresh database, migrated and seeded once (the seeding time is kept for the report)."""
    tmp = tmp_path_factory.mktemp("demo_seed")
    postgres = postgres_urls(DB_NAME)
    if postgres:
        recreate_postgres_database(postgres[0], DB_NAME)
    app = create_app({"PORTAL_ENV": "testing", "SECRET_KEY": TEST_SECRET,
                      "DATABASE_URL": postgres[1] if postgres else f"sqlite:///{tmp / 'demo.db'}",
                      "UPLOAD_DIR": str(tmp / "uploads"), "BASE_URL": "https://portal.test",
                      "COMPANY_NAME": "测试装饰工程有限公司", "LANGUAGE": "zh_CN", "RATELIMIT_STORAGE_URI": "memory://"},
                     {"TESTING": True})
    app.test_client_class = PortalClient
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        assert seed_demo() is True
        app.extensions["sqlalchemy"].session.commit()
        SEED_SECONDS["seed"] = time.perf_counter() - started
        print(f"\ndemo seeded in {SEED_SECONDS['seed']:.1f} s")
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    if postgres:
        recreate_postgres_database(postgres[0], DB_NAME, drop_only=True)


def session(app):
    return app.extensions["sqlalchemy"].session


def user(app, username: str) -> User:
    return session(app).scalar(select(User).where(User.username == username))


def client_for(app, username: str) -> PortalClient:
    """A client logged in as ``username``; this context's session is closed so that requests may write."""
    client = app.test_client()
    log_in_client(client, user(app, username))
    session(app).remove()
    return client


def row_counts(app) -> dict[str, int]:
    db = app.extensions["sqlalchemy"]
    return {table.name: session(app).execute(text(f"SELECT count(*) FROM {table.name}")).scalar_one()
            for table in db.metadata.sorted_tables}


# --- the year -----------------------------------------------------------------------------------

def test_a_year_of_work_through_the_services(demo_app):
    with demo_app.app_context():
        s = session(demo_app)
        today = local_today()
        finished = s.scalars(select(Inspection).where(Inspection.status == "completed")).all()
        assert 115 <= len(finished) <= 135
        assert s.scalar(select(func.count()).select_from(Project)) >= 55
        assert min(to_local(i.finished_at).date() for i in finished) > today - timedelta(days=366)
        assert {i.round for i in finished} >= {1, 2, 3}
        assert {i.grade for i in finished if i.passed} >= {"excellent", "good"}
        # Notices in every state; the overdue one with the escalation penalties of its round.
        notices = s.scalars(select(RectificationNotice)).all()
        states = Counter(n.status for n in notices)
        assert {"open", "requested", "scheduled", "closed", "superseded"} <= set(states)
        overdue = [n for n in notices if n.status == "open" and n.deadline < today]
        assert overdue and any(n.project.foreman.username == "foreman" for n in overdue)
        for notice in overdue:
            assert s.scalar(select(func.count()).select_from(Penalty).where(Penalty.inspection_id == notice.inspection_id))
        assert s.scalar(select(func.count()).select_from(Penalty).where(Penalty.kind == "replacement", Penalty.amount == 500))
        # Evidence: photos by system and room, a closure test running, signatures with one witnessed refusal.
        systems = set(s.scalars(select(Photo.system).where(Photo.record_id.is_not(None))))
        assert {"water_supply", "electrical", "waterproofing"} <= systems
        assert s.scalar(select(func.count()).select_from(Photo).where(Photo.notice_item_id.is_not(None)))
        running = s.scalars(select(ClosureTest).where(ClosureTest.ended_at.is_(None))).all()
        assert len(running) == 1
        refusals = s.scalars(select(Signature).where(Signature.refused.is_(True))).all()
        assert len(refusals) == 1 and refusals[0].witness_name
        # Certificates for the passed projects, one revoked; payments.
        certificates = s.scalars(select(PassCertificate)).all()
        assert len(certificates) == len([i for i in finished if i.passed])
        assert len([c for c in certificates if c.revoked_at]) == 1
        assert s.scalar(select(func.count()).select_from(SettlementPayment))


def test_the_dashboard_figures_are_what_the_scoring_rules_make_of_the_seeded_answers(demo_app):
    with demo_app.app_context(), demo_app.test_request_context():
        s = session(demo_app)
        rows = s.execute(select(Answer.inspection_id, ChecklistCategory.code, Answer.outcome)
                         .join(ChecklistItem, Answer.item_id == ChecklistItem.id)
                         .join(ChecklistCategory, ChecklistItem.category_id == ChecklistCategory.id))
        answers = defaultdict(list)
        for inspection_id, code, outcome in rows:
            answers[inspection_id].append((code, outcome))
        expected: dict[date, Counter] = defaultdict(Counter)
        for inspection in s.scalars(select(Inspection).where(Inspection.status == "completed")):
            result = evaluate(answers[inspection.id], has_valid_equipment=True)
            month = first_of_month(to_local(inspection.finished_at).date())
            counts = expected[month]
            counts["completed"] += 1
            counts["first_rounds"] += inspection.round == 1
            counts["first_passed"] += inspection.round == 1 and result.passed
            counts[result.grade.value if result.passed else "failed"] += 1
        months = trend(local_today(), Filters())
        assert len(months) == 12
        for month in months:
            q = month.quality
            want = expected[month.month]
            assert q.completed > 0, month.month  # figures in every month
            assert (q.completed, q.first_rounds, q.first_passed) == \
                   (want["completed"], want["first_rounds"], want["first_passed"]), month.month
            assert q.grades == {g: want[g] for g in ("excellent", "good", "pass", "failed")}, month.month
        rates = {m.quality.first_time_pass_rate for m in months}
        assert len(rates) > 3  # the first-time pass rate varies by month


# --- every login lands on live work ----------------------------------------------------------------

EMPTY_STATE = re.compile(r'class="empty-state"')


@pytest.mark.parametrize("username", [u for u in ROLE_HOMES if u != "finance"])
def test_each_demo_login_lands_on_live_work(demo_app, username):
    path = ROLE_HOMES[username][0]
    with demo_app.app_context():
        page = client_for(demo_app, username).get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert not EMPTY_STATE.search(html), username
    assert re.search(r'<li class="list-item|<tr', html), username


def test_finance_finds_ready_blocked_and_paid_projects(demo_app):
    """Finance's home is the settlement search; its "ready" list has this month's certificates."""
    with demo_app.app_context():
        client = client_for(demo_app, "finance")
        ready = client.get("/finance/ready").get_data(as_text=True)
        assert not EMPTY_STATE.search(ready) and 'class="list-item' in ready
        s = session(demo_app)
        paid = s.scalar(select(Project).join(SettlementPayment, SettlementPayment.project_id == Project.id))
        blocked = s.scalar(select(Project).join(RectificationNotice).where(RectificationNotice.status == "open"))
        s.remove()
        for project in (paid, blocked):
            page = client.get(f"/finance/?q={project.contract_no}").get_data(as_text=True)
            assert project.contract_no in page
        assert "不能办理结算" in client.get(f"/finance/?q={blocked.contract_no}").get_data(as_text=True)


def test_the_inspector_has_today_an_inspection_and_a_reinspection(demo_app):
    with demo_app.app_context():
        s = session(demo_app)
        inspector = user(demo_app, "inspector")
        todays = s.scalars(select(Inspection).where(Inspection.inspector_id == inspector.id,
                                                    Inspection.scheduled_date == local_today(),
                                                    Inspection.status == "scheduled")).all()
        assert "A26101201" in {i.project.contract_no for i in todays}
        assert any(i.round > 1 for i in todays)


def test_the_foreman_has_an_overdue_notice_and_unread_messages(demo_app):
    with demo_app.app_context():
        foreman_id = user(demo_app, "foreman").id
        page = client_for(demo_app, "foreman").get("/notices/mine").get_data(as_text=True)
        assert 'class="list-item overdue' in page
        assert session(demo_app).scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == foreman_id, Notification.read_at.is_(None)))


def test_engineering_fills_next_weeks_list_and_this_week_is_scheduled(demo_app):
    with demo_app.app_context():
        s = session(demo_app)
        upcoming = s.scalar(select(WeeklySubmission).where(WeeklySubmission.week_start == next_week_start(local_today())))
        assert upcoming is not None and upcoming.entries and upcoming.submitted_at is None
        this_week = next_week_start(local_today()) - timedelta(days=7)
        current = s.scalar(select(WeeklySubmission).where(WeeklySubmission.week_start == this_week))
        assert current.submitted_at is not None and any(e.inspection_id for e in current.entries)


@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_the_reports_of_this_week_and_month_have_figures(demo_app, kind):
    with demo_app.app_context(), demo_app.test_request_context():
        client = client_for(demo_app, "office")
        period = {"weekly": report_week, "monthly": report_month}[kind](local_today())
        figures = collect(period, Filters(), local_today())
        assert figures.quality.completed and figures.quality.first_rounds and figures.items
        assert figures.notices.open and figures.notices.overdue
        session(demo_app).remove()
        pdf = client.get(f"/dashboard/reports/{kind}/pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and len(pdf.data) > 10_000


def test_demo_logins_use_the_demo_password(demo_app):
    with demo_app.app_context():
        assert user(demo_app, "foreman2").check_password(DEMO_PASSWORD)


# --- idempotent, current, never in production --------------------------------------------------

def test_seeding_again_the_same_day_changes_nothing(demo_app):
    with demo_app.app_context():
        before = row_counts(demo_app)
        result = demo_app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0 and "nothing changed" in result.output
        assert row_counts(demo_app) == before


def test_seeding_on_a_later_day_keeps_todays_work_on_today(demo_app):
    with demo_app.app_context():
        s = session(demo_app)
        before = row_counts(demo_app)
        later = local_now().replace(tzinfo=None) + timedelta(days=3)
        try:
            with clock_at(later):
                seed_demo()
                inspector = user(demo_app, "inspector")
                todays = s.scalars(select(Inspection).where(Inspection.inspector_id == inspector.id,
                                                            Inspection.scheduled_date == later.date())).all()
                assert "A26101201" in {i.project.contract_no for i in todays}
                assert any(i.round > 1 for i in todays)
                after = row_counts(demo_app)
                assert after["notifications"] >= before["notifications"]  # that day's deadline reminders
                after["notifications"] = before["notifications"]
                assert after == before  # moved, not made again
        finally:
            s.rollback()


def test_the_demo_seed_never_runs_in_production(tmp_path):
    app = create_app({"PORTAL_ENV": "production", "SECRET_KEY": TEST_SECRET + "-production-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}", "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "BASE_URL": "https://portal.example", "LANGUAGE": "zh_CN", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code != 0 and "production" in result.output
        assert app.extensions["sqlalchemy"].session.scalar(select(func.count()).select_from(User)) == 0
        app.extensions["sqlalchemy"].engine.dispose()
