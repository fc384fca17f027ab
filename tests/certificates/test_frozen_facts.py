"""A certificate keeps the facts it prints, frozen at issue: when the project's address, owner or
people change later, the PDF data, the public verification page, the office and finance pages and
the finance ready list still say what was certified; only the project's own keys stay current.
"""
from __future__ import annotations

import csv
import io
import re

import pytest

from portal.auth.roles import Role
from portal.certificates.pdf import certificate_data, printed_facts
from portal.extensions import db
from portal.timeutil import local_today, to_local
from tests.factories import (
    fake_pdf, issue_certificate, make_api_token, make_project, make_signed_inspection, make_user,
)

ADDRESS = "西安市雁塔区曲江池东路曲江六号3号楼2单元1502室"
MASKED = "西安市雁塔区曲江池东路曲江六号…"
NEW_ADDRESS = "西安市新城区解放路改过小区8号楼1单元101室"
NEW_MASKED = "西安市新城区解放路改过小区…"
OWNER, NEW_OWNER = "周志强", "改名的业主"


def issued(storage, render=fake_pdf):
    """A certificate of a project at ADDRESS owned by OWNER, with named foreman and project manager."""
    foreman = make_user(Role.FOREMAN, display_name="李师傅")
    manager = make_user(Role.PROJECT_MANAGER, display_name="张项目")
    project = make_project(address=ADDRESS, owner_name=OWNER, foreman=foreman, project_manager=manager)
    inspection = make_signed_inspection(storage=storage, project=project,
                                        inspector=make_user(Role.INSPECTOR, display_name="王建国"))
    return issue_certificate(inspection, storage=storage, render=render)


def edit_project(certificate) -> None:
    """The office edits the project after issue: new address, new owner, another foreman, renamed manager."""
    project = certificate.project
    project.address, project.owner_name = NEW_ADDRESS, NEW_OWNER
    project.foreman = make_user(Role.FOREMAN, display_name="赵新工长")
    project.project_manager.display_name = "张项目（改名）"
    db.session.commit()


@pytest.fixture
def english_login(login_as):
    """Log in a user of ``role`` reading English pages."""
    def _login(role: Role):
        user = make_user(role)
        user.locale = "en"
        return login_as(user)
    return _login


# --- what is frozen -----------------------------------------------------------------------------

def test_issuing_stores_every_fact_the_pdf_prints(storage):
    certificate = issued(storage)
    inspection = certificate.inspection
    assert certificate.facts == {
        "contract_no": certificate.project.contract_no, "address": ADDRESS, "owner": OWNER,
        "foreman": "李师傅", "project_manager": "张项目", "inspector": "王建国",
        "inspection_date": f"{to_local(inspection.finished_at):%Y-%m-%d}", "round": 1, "grade": "excellent",
        "score": "100.0%", "issued": local_today().isoformat(), "owner_url": certificate.facts["owner_url"],
    }
    assert certificate.facts["owner_url"].startswith("https://portal.test/owner/")
    assert printed_facts(certificate, owner_url=certificate.facts["owner_url"]) == certificate.facts  # the same function


def test_the_pdf_data_comes_from_the_frozen_facts(app, storage):
    certificate = issued(storage)
    edit_project(certificate)
    with app.test_request_context():
        data = certificate_data(certificate)
    assert (data["address"], data["owner"], data["foreman"], data["project_manager"]) == \
        (ADDRESS, OWNER, "李师傅", "张项目")
    assert data["grade"] == "优秀" and data["score"] == "100.0%" and data["inspector"] == "王建国"
    assert data["number"] == certificate.number and data["fingerprint"] == certificate.fingerprint


def test_editing_the_project_changes_neither_the_facts_nor_the_fingerprint(storage):
    certificate = issued(storage)
    facts, fingerprint, sha = dict(certificate.facts), certificate.fingerprint, certificate.pdf_sha256
    edit_project(certificate)
    db.session.expire_all()
    assert (certificate.facts, certificate.fingerprint, certificate.pdf_sha256) == (facts, fingerprint, sha)


# --- the public verification page ---------------------------------------------------------------

def test_the_verify_page_shows_the_address_at_issue_still_masked(client, storage):
    certificate = issued(storage)
    edit_project(certificate)
    html = client.get(f"/verify/{certificate.number}").text
    assert MASKED in html
    assert NEW_MASKED not in html and "改过" not in html and "解放路" not in html
    for secret in (ADDRESS, OWNER, NEW_OWNER, "1502室", "李师傅", "赵新工长"):
        assert secret not in html, secret
    assert f"<dd>{certificate.facts['inspection_date']}</dd>" in html and "优秀" in html


def test_the_uploaded_pdf_check_still_works_after_the_project_changed(client, storage):
    certificate = issued(storage, render=None)  # the real PDF
    with storage.open(certificate.pdf_key) as handle:
        pdf = handle.read()
    edit_project(certificate)
    client.post("/language", data={"language": "en"})

    def check(data: bytes) -> str:
        return client.post(f"/verify/{certificate.number}", data={"pdf": (io.BytesIO(data), "c.pdf")},
                           content_type="multipart/form-data").text

    assert "The uploaded PDF is the certificate as issued." in check(pdf)
    assert "does not match the issued certificate" in check(pdf.replace(b"%%EOF", b"%%EOF\n%", 1))
    assert MASKED in check(pdf)


# --- office and finance pages -----------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.OFFICE, Role.FINANCE])
def test_the_detail_page_shows_the_facts_at_issue_and_notes_the_present_record(client, english_login, storage,
                                                                               role):
    certificate = issued(storage)
    english_login(role)
    before = client.get(f"/certificates/{certificate.number}").text
    assert "The project record now reads" not in before
    edit_project(certificate)
    html = client.get(f"/certificates/{certificate.number}").text
    facts = re.search(r'<dl class="facts card">(.*?)</dl>', html, re.S).group(1)
    for fact in (ADDRESS, OWNER, "李师傅", "张项目", "王建国", certificate.facts["inspection_date"], "Round 1",
                 "Excellent", "100.0%"):
        assert fact in facts, fact
    assert NEW_OWNER not in html and "赵新工长" not in html and "张项目（改名）" not in html
    note = re.search(r'<span class="muted project-now">([^<]*)</span>', html).group(1)
    assert note == f"The project record now reads: {certificate.project.contract_no} · {NEW_ADDRESS}"


def test_the_certificate_list_shows_the_address_at_issue(client, english_login, storage):
    certificate = issued(storage)
    edit_project(certificate)
    english_login(Role.OFFICE)
    html = client.get("/certificates/").text
    assert ADDRESS in html and NEW_ADDRESS not in html


def test_the_api_answer_does_not_change_when_the_project_is_edited(client, storage):
    certificate = issued(storage)
    _row, token = make_api_token()
    db.session.commit()
    url, headers = f"/api/v1/settlement/{certificate.project.contract_no}", {"Authorization": f"Bearer {token}"}
    before = client.get(url, headers=headers).get_json()
    edit_project(certificate)
    after = client.get(url, headers=headers).get_json()
    assert after == before and after["certificate_no"] == certificate.number


# --- the finance ready list -----------------------------------------------------------------------

def test_the_ready_list_and_csv_describe_the_certificate_as_issued(client, english_login, storage):
    certificate = issued(storage)
    edit_project(certificate)
    english_login(Role.FINANCE)
    today = local_today().isoformat()
    html = client.get("/finance/ready", query_string={"from": today, "to": today}).text
    assert ADDRESS in html and NEW_ADDRESS not in html
    response = client.get("/finance/ready", query_string={"from": today, "to": today, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    row = next(r for r in rows if r[5] == certificate.number)
    project = certificate.project
    # The project's keys stay current (accounting pays against them); the rest is as printed.
    assert row == [project.contract_no, ADDRESS, OWNER, "李师傅", "Excellent", certificate.number, today,
                   f"{project.contract_amount:.2f}", ""]
