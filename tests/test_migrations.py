"""The committed migrations build exactly the schema the models describe, and their data steps fill
what the models expect from the rows that were there before.
"""
from datetime import date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from portal import create_app
from portal.aftercare import repair_requests, services
from portal.aftercare.models import RepairAttempt, RepairRequest
from portal.certificates.models import PassCertificate
from portal.certificates.pdf import printed_facts
from portal.extensions import db
from portal.storage import get_storage
from tests.aftercare.conftest import handed_over
from tests.factories import fake_pdf, issue_certificate, make_payment, make_signed_inspection


def test_models_and_migrations_agree(app):
    with app.app_context():
        # The test's own connection: SQLite allows one writer, and the test transaction holds it.
        context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask db migrate`: the models differ from the migrations"


# --- 0011: certificates keep the facts they print -----------------------------------------------

SCHEMA = "portal_migration_check"  # PostgreSQL: the scratch database is a schema of the test database


def scratch_database_url(app, tmp_path) -> str:
    """A database of its own for a migration walk: a SQLite file, or a fresh schema on PostgreSQL."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return f"sqlite:///{tmp_path / 'migrations.db'}"
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        return engine.url.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(
            hide_password=False)


@pytest.fixture
def scratch_app(app, tmp_path):
    """A second portal on an empty database of its own, so migrations can be walked down and up."""
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": app.config["SECRET_KEY"],
           "DATABASE_URL": scratch_database_url(app, tmp_path), "UPLOAD_DIR": str(tmp_path / "uploads"),
           "BASE_URL": app.config["BASE_URL"], "COMPANY_NAME": app.config["COMPANY_NAME"],
           "RATELIMIT_STORAGE_URI": "memory://"}
    scratch = create_app(env, {"TESTING": True})
    yield scratch
    with scratch.app_context():
        db.session.remove()
        db.engine.dispose()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


def certificate_columns() -> dict:
    return {column["name"]: column for column in inspect(db.engine).get_columns("pass_certificates")}


@pytest.mark.real_commits  # on its own database: the per-test rollback must not bind the session to the shared one
def test_0011_fills_existing_certificates_from_their_project_and_goes_down_again(scratch_app):
    with scratch_app.app_context():
        upgrade()
        certificate = issue_certificate(make_signed_inspection(), render=fake_pdf)
        make_payment(certificate.project, certificate=certificate)  # a row that refers to the certificate
        number, at_issue = certificate.number, dict(certificate.facts)
        del at_issue["owner_url"]  # certificates of that time printed no owner's page
        db.session.commit()
        db.session.remove()

        downgrade(revision="0010")  # as before the facts were kept
        assert "facts" not in certificate_columns()
        with db.engine.begin() as connection:  # edited while certificates did not keep their facts
            connection.execute(text("UPDATE projects SET address = :a, owner_name = :o"),
                               {"a": "西安市新城区解放路8号楼1单元101室", "o": "后来的业主"})

        upgrade()
        assert certificate_columns()["facts"]["nullable"] is False
        certificate = db.session.scalar(select(PassCertificate).where(PassCertificate.number == number))
        # Filled from the project as it stands (the best record there is), exactly as issuing would have.
        assert certificate.facts == {**at_issue, "address": "西安市新城区解放路8号楼1单元101室", "owner": "后来的业主"}
        with scratch_app.test_request_context():
            assert certificate.facts == printed_facts(certificate)
        db.session.remove()

        downgrade(revision="0010")
        assert "facts" not in certificate_columns()
        assert db.session.scalar(text("SELECT count(*) FROM pass_certificates")) == 1
        db.session.remove()


# --- 0017: every recording of a repair kept; a repair stuck after a failed water test reopened --------

@pytest.mark.real_commits
def test_0017_keeps_recorded_repairs_and_reopens_those_whose_water_test_failed(scratch_app):
    with scratch_app.app_context():
        upgrade()
        project = make_signed_inspection().project
        stuck = repair_requests.file_repair(project, kind="waterproofing", description="漏水", source="phone")
        done = repair_requests.file_repair(project, kind="general", description="门吸", source="phone")
        db.session.commit()
        stuck_id, done_id = stuck.id, done.id
        db.session.remove()

        downgrade(revision="0016")
        with db.engine.begin() as connection:  # as record_repair left them before attempts were kept
            for repair_id, passed in ((stuck_id, False), (done_id, None)):
                connection.execute(text("UPDATE repair_requests SET status = 'repaired', work_done = :w, "
                                        "water_test_passed = :p, repaired_at = :t WHERE id = :i"),
                                   {"w": f"修理{repair_id}", "p": passed, "t": datetime(2026, 12, 1, 2), "i": repair_id})

        upgrade()
        stuck, done = db.session.get(RepairRequest, stuck_id), db.session.get(RepairRequest, done_id)
        assert (stuck.status, stuck.repaired_at) == ("open", None)
        assert (done.status, done.repaired_at) == ("repaired", datetime(2026, 12, 1, 2))
        attempts = {a.repair_id: a for a in db.session.scalars(select(RepairAttempt))}
        assert attempts[stuck_id].failed and attempts[stuck_id].work_done == f"修理{stuck_id}"
        assert attempts[done_id].water_test_passed is None and attempts[done_id].recorded_at == done.repaired_at
        db.session.remove()

        downgrade(revision="0016")
        assert "repair_attempts" not in inspect(db.engine).get_table_names()
        db.session.remove()


# --- 0018: repairs filed while the warranty's last day was taken a day early, judged again -------------

@pytest.mark.real_commits
def test_0018_judges_earlier_repairs_again_with_the_warranty_last_day(scratch_app):
    with scratch_app.app_context():
        upgrade()
        acceptance, _handover = handed_over(scratch_app, get_storage(), render=lambda _a, _url: b"%PDF-1.7 card",
                                            accepted_on=date(2024, 2, 29))
        project = acceptance.project
        repairs = {name: repair_requests.file_repair(project, kind=kind, description=name, source="phone")
                   for name, kind in (("last day", "general"), ("day after", "general"), ("leak", "waterproofing"))}
        not_handed_over = repair_requests.file_repair(make_signed_inspection().project, kind="general",
                                                      description="未交付", source="phone")
        db.session.commit()
        ids = {name: repair.id for name, repair in repairs.items()}
        none_id = not_handed_over.id
        db.session.remove()

        downgrade(revision="0017")
        with db.engine.begin() as connection:  # as they were judged with the last day one day early
            for name, received_at, last_day, covered in (
                    ("last day", datetime(2026, 2, 28, 3), date(2026, 2, 27), False),  # 11:00 on 28 Feb, Beijing
                    ("day after", datetime(2026, 2, 28, 17), date(2026, 2, 27), False),  # 01:00 on 1 Mar
                    ("leak", datetime(2026, 12, 1, 2), date(2029, 2, 27), True)):
                connection.execute(text("UPDATE repair_requests SET received_at = :r, warranty_last_day = :l, "
                                        "in_warranty = :c WHERE id = :i"),
                                   {"r": received_at, "l": last_day, "c": covered, "i": ids[name]})

        upgrade()
        judged = {name: db.session.get(RepairRequest, repair_id) for name, repair_id in ids.items()}
        assert (judged["last day"].warranty_last_day, judged["last day"].in_warranty) == (date(2026, 2, 28), True)
        assert (judged["day after"].warranty_last_day, judged["day after"].in_warranty) == (date(2026, 2, 28), False)
        assert (judged["leak"].warranty_last_day, judged["leak"].in_warranty) == (date(2029, 2, 28), True)
        untouched = db.session.get(RepairRequest, none_id)
        assert (untouched.warranty_last_day, untouched.in_warranty, untouched.warranty_months) == (None, None, None)
        db.session.remove()
