"""The pass certificate on phones: office issues it from the inspection's summary, anybody who scans
the QR code (no login, a fresh browser) sees that it is valid, and finance, searching the 档案号,
sees that the settlement may be paid.

The live server is shared by the whole session and every demo project is taken by another browser
test, so SETUP_SCRIPT makes a project of its own (CONTRACT_NO, with a foreman and a project manager
of its own, so the demo users' pages do not change) and a finished, passed inspection of it by the
demo inspector, signed by inspector, foreman and project manager through the services.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import login
from tests.live import COMMAND_TIMEOUT, REPO_ROOT

CONTRACT_NO = "Y26112601"
ADDRESS = "西安市雁塔区曲江池南路证书测试小区8号楼3单元1202室"
OWNER = "证书业主"
OWNER_PHONE = "13700000099"
VALID_ZH = "有效"  # the zh catalogue's "Valid"
NUMBER_RE = re.compile(r"YS-\d{4}-\d{6}")

SETUP_SCRIPT = r"""
import base64, io, json, sys
from decimal import Decimal
from PIL import Image, ImageDraw
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import create_user
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import (answers_version, create_inspection, finish, load_answers, record_start,
                                         save_answer)
from portal.projects.models import Project
from portal.signatures import services as sig
from portal.signatures.records import RECORD_TYPES
from portal.storage import get_storage
from portal.timeutil import local_today

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    today = local_today()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    office = db.session.scalar(select(User).where(User.username == "office"))
    foreman = create_user("cert_foreman", "证书工长", "demo1234", {Role.FOREMAN})
    manager = create_user("cert_pm", "证书项目经理", "demo1234", {Role.PROJECT_MANAGER})
    project = Project(contract_no=args["contract_no"], address=args["address"], owner_name=args["owner"],
                      owner_phone=args["owner_phone"], design_studio="Y 测试设计室", designer="测试",
                      contract_amount=Decimal("150000.00"), start_date=today, planned_completion=today,
                      foreman=foreman, project_manager=manager)
    db.session.add(project)
    db.session.flush()
    inspection = create_inspection(project, today, inspector, office)
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-KC-001")).all()
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=list(equipment))
    for answer in load_answers(inspection):
        item = answer.item
        if item.is_measured:
            limit = item.limit
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            save_answer(answer, inspector, raw_value=format(value.normalize(), "f"))
        else:
            save_answer(answer, inspector, outcome="pass")
    finish(inspection, inspector, answers_version(inspection))

    canvas = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(100, 100), (300, 120), (450, 90)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    data_url = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    strokes = json.dumps([{"points": [{"x": 100 + i, "y": 100 + i, "time": 1000 + i} for i in range(5)]}])
    rtype = RECORD_TYPES["inspection"]
    for slot, user in (("inspector", inspector), ("foreman", foreman), ("project_manager", manager)):
        data = sig.SignatureInput(slot=slot, signer_name=user.display_name, png=sig.parse_signature_png(data_url),
                                  strokes=sig.parse_strokes(strokes),
                                  seen_fingerprint=sig.current_fingerprint(rtype, inspection))
        sig.sign(rtype, inspection, data, get_storage(), user=user)
    locked = sig.is_locked(rtype, inspection)
    db.session.commit()
    print(json.dumps({"id": inspection.id, "completed": inspection.is_completed, "passed": inspection.passed,
                      "grade": inspection.grade, "locked": locked}))
"""

# The certificate number of an inspection; issued through the service if office has not issued it
# (so the verification and finance tests do not depend on the issuing test).
CERTIFICATE_SCRIPT = r"""
import json, sys
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.certificates import services
from portal.certificates.models import PassCertificate
from portal.certificates.pdf import render_certificate_pdf
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.storage import get_storage

inspection_id = int(sys.argv[1])
app = create_app()
with app.test_request_context():
    certificate = db.session.scalar(select(PassCertificate).where(PassCertificate.inspection_id == inspection_id))
    issued_here = certificate is None
    if issued_here:
        office = db.session.scalar(select(User).where(User.username == "office"))
        certificate, _key = services.issue(db.session.get(Inspection, inspection_id), office, get_storage(),
                                           render_certificate_pdf)
        db.session.commit()
    print(json.dumps({"number": certificate.number, "issued_here": issued_here}))
"""


def run_script(live_server, script: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO_ROOT, env=live_server.env,
                            capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"script exited with {result.returncode}\n--- stdout ---\n{result.stdout}\n"
                    f"--- stderr ---\n{result.stderr}", pytrace=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def signed(live_server) -> dict:
    """{id, …} of the finished, passed, fully signed inspection of CONTRACT_NO."""
    data = run_script(live_server, SETUP_SCRIPT, json.dumps({"contract_no": CONTRACT_NO, "address": ADDRESS,
                                                             "owner": OWNER, "owner_phone": OWNER_PHONE}))
    if not (data["completed"] and data["passed"] and data["locked"]):
        pytest.fail(f"the setup did not give a passed, fully signed inspection: {data}", pytrace=False)
    return data


@pytest.fixture(scope="module")
def certificate_number(live_server, signed) -> str:
    """The certificate number of the signed inspection (issued by the first test, else here)."""
    return run_script(live_server, CERTIFICATE_SCRIPT, str(signed["id"]))["number"]


def test_office_issues_the_certificate_from_the_summary(page: Page, live_server, signed):
    login(page, "office")
    page.goto(f"/inspections/{signed['id']}/summary")
    button = page.locator(f"form[action$='/inspections/{signed['id']}/certificate'] button[type=submit]")
    expect(button).to_be_visible()
    with page.expect_navigation():
        button.click()
    page.wait_for_url(re.compile(r"/certificates/YS-\d{4}-\d{6}$"))
    number = page.url.rsplit("/", 1)[1]
    assert NUMBER_RE.fullmatch(number)
    expect(page.locator("h1")).to_contain_text(number)
    expect(page.locator("#flash .flash-success")).to_contain_text(number)
    expect(page.locator("dl.facts .badge-ok")).to_have_text(VALID_ZH)
    expect(page.locator("dl.facts")).to_contain_text(CONTRACT_NO)
    pdf = page.request.get(f"/certificates/{number}/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")


def test_the_qr_target_shows_valid_to_anybody(page: Page, live_server, browser, browser_context_args,
                                              certificate_number):
    # The URL printed under the QR code, read from the PDF as office downloads it.
    login(page, "office")
    pdf = page.request.get(f"/certificates/{certificate_number}/pdf")
    assert pdf.status == 200
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(pdf.body())).pages[0].extract_text())
    url = f"{live_server.url}/verify/{certificate_number}"
    assert url in text, text

    # A stranger's phone: a fresh browser context, no login.
    context = browser.new_context(**browser_context_args)
    try:
        phone = context.new_page()
        response = phone.goto(url)
        assert response.status == 200
        result = phone.locator("section.verify-result")
        expect(result).to_have_attribute("data-found", "yes")
        expect(result.locator(".result-pass")).to_have_text(VALID_ZH)
        expect(result).to_contain_text(certificate_number)
        expect(result).to_contain_text("优秀")
        expect(result).to_contain_text("西安市雁塔区曲江池南路证书测试小区…")
        body = phone.content()
        for secret in (OWNER, OWNER_PHONE, ADDRESS, "8号楼", "1202室", CONTRACT_NO, "证书工长", "证书项目经理"):
            assert secret not in body, secret
        expect(phone.locator("details.menu")).to_have_count(0)  # not logged in: no account menu
    finally:
        context.close()


def test_finance_searches_the_contract_and_may_settle(page: Page, live_server, certificate_number):
    login(page, "finance")
    assert page.url == f"{live_server.url}/finance/"
    page.locator("#q").press_sequentially(CONTRACT_NO, delay=30)
    row = page.locator("#finance-results .list-item", has_text=CONTRACT_NO)
    expect(row).to_have_count(1)
    badge = row.locator(".settlement")
    expect(badge).to_have_attribute("data-allowed", "yes")
    expect(badge).to_be_visible()
    expect(row).to_contain_text(certificate_number)
    expect(row.locator(f"a[href='/verify/{certificate_number}']")).to_be_visible()
    expect(row.locator("form[action$='/payment'] button[type=submit]")).to_be_visible()
