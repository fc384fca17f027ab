"""Ten office users issuing at the same moment, on PostgreSQL with real commits.

Same inspection: exactly one certificate, the year's counter one step further, no orphan PDF.
Ten inspections: ten consecutive numbers, no gap, no duplicate. The data is committed (other
connections must see it); afterwards every row the test committed is deleted again and the
counters are set back, so later tests find the database as it was.
"""
from __future__ import annotations

import itertools
import os
import threading
import time

import pytest

from tests.conftest import restore, snapshot
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.certificates import services
from portal.certificates.models import PassCertificate
from portal.certificates.pdf import render_certificate_pdf
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.numbering import NumberSequence
from portal.storage import get_storage
from portal.timeutil import local_today

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]

THREADS = 10
_contract_seq = itertools.count(1)  # committed projects stay: each gets a 档案号 of its own (Z261231NN)


def series() -> str:
    return f"YS-{local_today().year}"


def run_together(app, count, work):
    """Run ``work(i)`` in ``count`` threads, each in its own request context and session, started at once."""
    barrier = threading.Barrier(count)
    errors, results = [], {}

    def runner(i):
        with app.test_request_context():
            try:
                barrier.wait(timeout=20)
                results[i] = work(i)
            except Exception as exc:  # collected and asserted by the test
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    return errors, results


@pytest.fixture
def committed(app, storage):
    """``committed(n)``: n committed, passed, fully signed inspections and an office user, as ids.

    Afterwards everything the test committed is deleted again and the counters are set back, so
    later tests (which count equipment, inspections, certificates …) find the database as it was.
    """
    from tests.factories import make_project, make_signed_inspection, make_user

    with app.app_context():
        before = snapshot()
        db.session.remove()

    def make(n):
        with app.app_context():
            office = make_user(Role.OFFICE)
            ids = []
            for _ in range(n):
                seq = next(_contract_seq)
                project = make_project(contract_no=f"Z{261231 - seq // 99:06d}{seq % 99 + 1:02d}")
                ids.append(make_signed_inspection(storage=storage, project=project).id)
            db.session.commit()
            office_id = office.id
            db.session.remove()
            return ids, office_id

    yield make
    with app.app_context():
        restore(before)
        assert snapshot() == before
        db.session.remove()


def counter(app) -> int:
    with app.app_context():
        value = db.session.scalar(select(NumberSequence.last_value).where(NumberSequence.series == series())) or 0
        db.session.remove()
        return value


def slow_fake_pdf(certificate) -> bytes:
    """A renderer that takes a while, like WeasyPrint, so the threads overlap."""
    time.sleep(0.05)
    return b"%PDF-1.7\n% " + certificate.number.encode() + b"\n%%EOF\n"


def issue_as(office_id, inspection_id, render):
    from portal.auth.models import User

    inspection = db.session.get(Inspection, inspection_id)
    certificate, _key = services.issue(inspection, db.session.get(User, office_id), get_storage(), render)
    db.session.commit()
    return certificate.number


def test_ten_office_users_issuing_for_one_inspection_issue_one_certificate(app, committed, storage):
    (inspection_id,), office_id = committed(1)
    before = counter(app)

    errors, results = run_together(app, THREADS, lambda _i: issue_as(office_id, inspection_id,
                                                                      render_certificate_pdf))

    assert len(results) == 1, (results, errors)
    assert len(errors) == THREADS - 1
    for exc in errors:  # refused by the check, or by the unique inspection when both checked first
        assert (isinstance(exc, services.CertificateError) and exc.code == "already_certified") or \
            "uq_pass_certificates_inspection_id" in str(exc), repr(exc)
    assert counter(app) == before + 1
    (number,) = results.values()
    assert number == f"{series()}-{before + 1:06d}"
    with app.app_context():
        rows = db.session.scalars(select(PassCertificate).where(PassCertificate.inspection_id == inspection_id)).all()
        assert [row.number for row in rows] == [number]
        assert storage.exists(rows[0].pdf_key)
        db.session.remove()
    assert sorted(p.name for p in storage.root.rglob("*.pdf")) == [f"{number.lower()}.pdf"]  # no orphans


def test_ten_office_users_issuing_for_ten_inspections_get_ten_consecutive_numbers(app, committed, storage):
    inspection_ids, office_id = committed(THREADS)
    before = counter(app)

    errors, results = run_together(app, THREADS, lambda i: issue_as(office_id, inspection_ids[i], slow_fake_pdf))

    assert errors == []
    expected = [f"{series()}-{n:06d}" for n in range(before + 1, before + THREADS + 1)]
    assert sorted(results.values()) == expected
    assert counter(app) == before + THREADS
    with app.app_context():
        numbers = db.session.scalars(select(PassCertificate.number).where(
            PassCertificate.inspection_id.in_(inspection_ids))).all()
        assert sorted(numbers) == expected
        assert db.session.scalar(select(func.count()).select_from(PassCertificate).where(
            PassCertificate.number.in_(expected))) == THREADS
        db.session.remove()
    assert len(list(storage.root.rglob("*.pdf"))) == THREADS


def test_a_refused_issue_among_concurrent_ones_leaves_no_gap(app, committed, storage):
    """Half the threads fail after taking a number (the renderer crashes): the others still get 1..5."""
    inspection_ids, office_id = committed(THREADS)
    before = counter(app)

    def work(i):
        def render(certificate):
            if i % 2:
                raise RuntimeError("renderer crashed")
            return slow_fake_pdf(certificate)

        return issue_as(office_id, inspection_ids[i], render)

    errors, results = run_together(app, THREADS, work)

    assert len(errors) == THREADS // 2 and all(isinstance(e, RuntimeError) for e in errors)
    assert sorted(results.values()) == [f"{series()}-{n:06d}" for n in range(before + 1, before + THREADS // 2 + 1)]
    assert counter(app) == before + THREADS // 2
