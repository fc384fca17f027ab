"""Recording a payment: the form's parsing (plain functions) and the finance service's rule."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.finance.models import SettlementPayment
from portal.extensions import db
from portal.finance import services
from portal.finance.forms import parse_amount, parse_date, reference_text
from portal.finance.settlement import load_facts
from portal.timeutil import local_today
from tests.factories import fake_pdf, issue_certificate, make_finished_inspection, make_signed_inspection, make_user


def payments_of(project) -> list[SettlementPayment]:
    return db.session.scalars(select(SettlementPayment).where(SettlementPayment.project_id == project.id)).all()


@pytest.mark.parametrize("text, expected", [
    ("2026-11-26", date(2026, 11, 26)), ("", None), ("2026-02-30", None), ("26.11.2026", None), ("tomorrow", None),
])
def test_payment_dates_are_iso_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("186,500.00", Decimal("186500.00")), ("0.5", Decimal("0.50")), ("99999999.99", Decimal("99999999.99")),
    ("12.345", Decimal("12.34")), ("", None), ("abc", None), ("0", None), ("-100", None), ("NaN", None),
    ("Infinity", None), ("1e12", None), ("100000000", None),
])
def test_amounts_are_positive_yuan_to_the_fen(text, expected):
    assert parse_amount(text) == expected


def test_references_are_stripped_and_cut():
    assert reference_text("  招行回单 0001 ") == "招行回单 0001"
    assert reference_text(None) == "" and len(reference_text("x" * 300)) == 100


def test_the_service_records_a_payment_against_the_valid_certificate():
    certificate = issue_certificate(make_signed_inspection(), render=fake_pdf)
    project, finance = certificate.project, make_user()
    payment = services.record_payment(project, load_facts([project.id])[project.id], finance, paid_on=local_today(),
                                      amount=Decimal("1000.00"), reference="BANK-1")
    assert payment.id and payment.certificate_id == certificate.id and payment.recorded_by_id == finance.id
    assert payments_of(project) == [payment]


def test_the_service_refuses_when_settlement_is_not_allowed():
    project = make_finished_inspection().project
    with pytest.raises(services.PaymentRefused) as refused:
        services.record_payment(project, load_facts([project.id])[project.id], make_user(), paid_on=local_today(),
                                amount=Decimal("1000.00"), reference="BANK-1")
    assert refused.value.reason == "certificate_not_issued"
    assert payments_of(project) == []
