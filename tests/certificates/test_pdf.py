"""The certificate PDF: one A4 page in Chinese with an embedded CJK font, every fact of the inspection,
signatures, a QR code pointing at the public verification page and the record's fingerprint in full.
The issued PDF is stored and served byte for byte, whatever changes later.
"""
from __future__ import annotations

import hashlib
import io
import re
from datetime import timezone

import pytest
import segno
from pypdf import PdfReader
from sqlalchemy import select

from portal.auth.roles import Role
from portal.certificates.models import PassCertificate
from portal.certificates.pdf import certificate_data, render_certificate_pdf
from portal.extensions import db
from portal.signatures.content import fingerprint
from portal.signatures.records import RECORD_TYPES
from portal.timeutil import local_today
from tests.factories import (
    issue_certificate, make_finished_inspection, make_project, make_signature, make_signed_inspection, make_user,
    sign_fully,
)

A4 = (595.28, 841.89)  # points
CJK_FONT = re.compile(r"WenQuanYi|Noto|CJK|SourceHan|Droid", re.I)
BASE_URL = "https://portal.test"  # the test app's BASE_URL (tests/conftest.py)
COMPANY = "测试装饰工程有限公司"  # the test app's COMPANY_NAME
ADDRESS = "西安市雁塔区曲江池东路曲江六号3号楼2单元1502室"
GRADES = {"excellent": "优秀", "good": "良好", "pass": "合格"}  # the zh catalogue's Excellent / Good / Pass


def people() -> dict:
    """A project with named people, so the PDF can be searched for each of them."""
    foreman = make_user(Role.FOREMAN, display_name="李师傅")
    manager = make_user(Role.PROJECT_MANAGER, display_name="张项目")
    project = make_project(foreman=foreman, project_manager=manager, address=ADDRESS, owner_name="周志强",
                           owner_phone="13709110001")
    return {"project": project, "inspector": make_user(Role.INSPECTOR, display_name="王建国")}


def stored_pdf(storage, certificate) -> bytes:
    with storage.open(certificate.pdf_key) as handle:
        return handle.read()


def reader_of(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(page) -> list[str]:
    """BaseFont names of the page's fonts whose program is embedded (FontFile, FontFile2 or FontFile3)."""
    names = []
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        for described in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
            descriptor = described.get("/FontDescriptor")
            if descriptor is not None and any(k in descriptor.get_object()
                                               for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.append(str(described["/BaseFont"]))
    return names


def qr_matrix(image) -> list[list[int]] | None:
    """The modules of a QR code image (dark = 1), found by the finder patterns' bounding box."""
    gray = image.convert("L")
    dark = gray.point(lambda v: 255 if v < 128 else 0)
    box = dark.getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    # The top-left finder pattern is 7 modules wide: its first dark run gives the module size.
    run = 0
    while left + run < right and gray.getpixel((left + run, top)) < 128:
        run += 1
    module = run / 7
    if module < 1:
        return None
    n = round((right - left) / module)
    return [[1 if gray.getpixel((int(left + (c + 0.5) * module), int(top + (r + 0.5) * module))) < 128 else 0
             for c in range(n)] for r in range(n)]


def qr_points_to(image, url: str) -> bool:
    """True when the QR code in ``image`` has exactly the modules of a QR code of ``url``."""
    modules = qr_matrix(image)
    return any(modules == [list(row) for row in segno.make(url, error=level, micro=False).matrix]
               for level in ("l", "m", "q", "h"))


def graded_template(items: int = 20):
    """One category of ``items`` check items, so that failing 0 / 2 / 3 gives excellent / good / pass."""
    from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate
    from tests.factories import _seq

    template = ChecklistTemplate(family=f"graded{next(_seq)}", version=1, name="评分检查表", name_en="Graded",
                                 status="published")
    category = ChecklistCategory(position=1, code="tiling", title="板块铺贴", title_en="Tiling")
    template.categories.append(category)
    for pos in range(1, items + 1):
        category.items.append(ChecklistItem(template=template, position=pos, code=f"tiling.{pos}", kind="check",
                                            text=f"检查项{pos}", text_en=f"Item {pos}"))
    db.session.add(template)
    db.session.flush()
    return template


def graded_inspection(failing: int, storage):
    """A finished, fully signed inspection of the graded template with ``failing`` failed items."""
    from portal.inspections.services import answers_version, finish, load_answers, save_answer
    from tests.factories import make_inspection

    inspection = make_inspection(template=graded_template())
    for n, row in enumerate(load_answers(inspection)):
        save_answer(row, inspection.inspector, outcome="fail" if n < failing else "pass")
    finish(inspection, inspection.inspector, answers_version(inspection))
    sign_fully(inspection, storage=storage)
    return inspection


# --- one page, every fact -------------------------------------------------------------------

def test_one_a4_page_with_every_fact_in_extractable_chinese(storage):
    who = people()
    inspection = make_finished_inspection(project=who["project"], inspector=who["inspector"])
    signatures = sign_fully(inspection, storage=storage,
                            names={"inspector": "王建国", "foreman": "李师傅", "project_manager": "张项目"})
    certificate = issue_certificate(inspection, storage=storage)
    reader = reader_of(stored_pdf(storage, certificate))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (round(A4[0], 1), round(A4[1], 1))

    text = text_of(reader)
    compact = re.sub(r"\s+", "", text)
    project = who["project"]
    today = local_today().isoformat()
    assert "预验收合格证书" in text
    assert COMPANY in text
    assert certificate.number in text
    assert ADDRESS in compact
    assert project.contract_no in text and "档案号" in text
    assert "周志强" in text                                   # owner
    assert "李师傅" in text and "张项目" in text and "王建国" in text  # foreman, project manager, inspector
    assert today in text                                      # inspection date (and issue date)
    assert "第1次" in compact                                 # round
    assert GRADES["excellent"] in text
    assert "100.0%" in text                                   # overall score
    for title in ("分项electrical", "分项carpentry"):          # every category with its rate
        assert re.search(re.escape(title) + r"\s*100\.0%", text), title
    for label, name in (("预验收员", "王建国"), ("工长", "李师傅"), ("项目经理", "张项目")):
        assert f"{label}：{name}" in compact                   # each signature under its role
    assert f"{BASE_URL}/verify/{certificate.number}" in compact
    expected_fp = fingerprint(RECORD_TYPES["inspection"].content(inspection))
    assert certificate.fingerprint == expected_fp == signatures["inspector"].fingerprint
    assert expected_fp in compact                             # in full, all 64 hex digits


@pytest.mark.parametrize("failing, grade, score", [(0, "excellent", "100.0%"), (2, "good", "90.0%"),
                                                   (3, "pass", "85.0%")])
def test_the_grade_and_score_are_printed_in_chinese(storage, failing, grade, score):
    inspection = graded_inspection(failing, storage)
    assert inspection.passed and inspection.grade == grade
    certificate = issue_certificate(inspection, storage=storage)
    text = text_of(reader_of(stored_pdf(storage, certificate)))
    assert GRADES[grade] in text
    assert re.search(r"总合格率\s*" + re.escape(score), text), text
    assert re.search(r"板块铺贴\s*" + re.escape(score), text)
    assert set(re.findall(r"优秀|良好|合格(?!证书|率)", text)) == {GRADES[grade]}


def test_the_pdf_embeds_a_cjk_font(storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    page = reader_of(stored_pdf(storage, certificate)).pages[0]
    fonts = embedded_fonts(page)
    assert any(CJK_FONT.search(name) for name in fonts), fonts


def test_the_signatures_and_the_qr_code_are_images_on_the_page(storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    page = reader_of(stored_pdf(storage, certificate)).pages[0]
    images = [image.image for image in page.images]
    square = [image for image in images if image.width == image.height]
    assert len(square) == 2                        # the QR codes: verification and the owner's page
    assert len(images) - len(square) >= 3          # inspector, foreman, project manager


def test_the_qr_code_points_to_the_public_verification_page(storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    page = reader_of(stored_pdf(storage, certificate)).pages[0]
    qr = next(image.image for image in page.images if image.image.width == image.image.height)
    assert qr_points_to(qr, f"{BASE_URL}/verify/{certificate.number}")
    assert not qr_points_to(qr, f"{BASE_URL}/verify/YS-1999-000001")  # the check can tell URLs apart


def test_the_second_qr_code_points_to_the_owners_page_in_the_frozen_facts(storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    reader = reader_of(stored_pdf(storage, certificate))
    owner_url = certificate.facts["owner_url"]
    assert owner_url.startswith(f"{BASE_URL}/owner/")
    codes = [image.image for image in reader.pages[0].images if image.image.width == image.image.height]
    assert [qr_points_to(qr, owner_url) for qr in codes] == [False, True]
    assert qr_points_to(codes[0], f"{BASE_URL}/verify/{certificate.number}")
    text = re.sub(r"\s+", "", text_of(reader))
    assert "业主服务页（扫码查看验收结果、隐蔽工程照片、保修与报修）" in text and "核验真伪" in text


def test_a_reprint_from_the_frozen_facts_is_the_same_pdf(app, storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    with app.test_request_context():
        first, again = certificate_data(certificate), certificate_data(certificate)
    assert first == again and first["owner_url"] == certificate.facts["owner_url"] and first["owner_qr"]


def test_a_certificate_without_an_owners_page_prints_only_the_verification_code(app, storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    certificate.facts = {k: v for k, v in certificate.facts.items() if k != "owner_url"}  # issued before it
    with app.test_request_context():
        reader = reader_of(render_certificate_pdf(certificate))
    assert len([i for i in reader.pages[0].images if i.image.width == i.image.height]) == 1
    assert "业主服务页" not in text_of(reader)


def test_a_witnessed_refusal_is_printed_with_the_witness(storage):
    inspection = make_finished_inspection()
    make_signature("inspection", inspection, "inspector", user=inspection.inspector, storage=storage)
    make_signature("inspection", inspection, "project_manager", user=inspection.inspector, storage=storage)
    make_signature("inspection", inspection, "foreman", user=inspection.inspector, storage=storage,
                   signer_name="李工长", refusal_reason="不同意扣分", witness_name="王五", witness_relation="邻居")
    certificate = issue_certificate(inspection, storage=storage)
    compact = re.sub(r"\s+", "", text_of(reader_of(stored_pdf(storage, certificate))))
    assert "工长：李工长拒签" in compact and "王五" in compact


def test_the_pdf_is_chinese_whatever_the_office_users_language(client, login_as, storage):
    inspection = make_signed_inspection(storage=storage)
    office = make_user(Role.OFFICE)
    office.locale = "en"
    login_as(office)
    response = client.post(f"/inspections/{inspection.id}/certificate")
    assert response.status_code == 302
    certificate = db.session.scalar(select(PassCertificate).where(PassCertificate.inspection_id == inspection.id))
    text = re.sub(r"\s+", "", text_of(reader_of(stored_pdf(storage, certificate))))
    assert GRADES["excellent"] in text and "预验收员：" in text and "工长：" in text and "项目经理：" in text
    assert "Excellent" not in text and "Inspector" not in text and "Foreman" not in text


# --- stored once, served as issued ------------------------------------------------------------

def test_the_download_is_the_stored_pdf_byte_for_byte_even_after_the_project_changes(client, login_as, storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    issued = stored_pdf(storage, certificate)
    login_as(Role.OFFICE)
    url = f"/certificates/{certificate.number}/pdf"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf"
    assert certificate.number in first.headers["Content-Disposition"]
    assert first.data == second.data == issued
    assert hashlib.sha256(first.data).hexdigest() == certificate.pdf_sha256

    old_address = certificate.project.address
    certificate.project.address = "西安市新城区改过的地址88号楼1室"
    certificate.project.owner_name = "改名的业主"
    db.session.commit()
    later = client.get(url)
    assert later.data == issued
    text = re.sub(r"\s+", "", text_of(reader_of(later.data)))
    assert re.sub(r"\s+", "", old_address) in text and "改过的地址" not in text and "改名的业主" not in text


def test_finance_downloads_the_same_bytes(client, login_as, storage):
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage)
    login_as(Role.FINANCE)
    response = client.get(f"/certificates/{certificate.number}/pdf")
    assert response.status_code == 200 and response.data == stored_pdf(storage, certificate)


def test_the_pdf_and_the_public_page_give_the_same_inspection_date(client, storage):
    from datetime import datetime, timedelta

    from portal.timeutil import COMPANY_TZ, to_local

    inspection = make_signed_inspection(storage=storage)
    midnight = datetime.combine(local_today(), datetime.min.time(), tzinfo=COMPANY_TZ)
    inspection.started_at = (midnight - timedelta(minutes=40)).astimezone(timezone.utc).replace(tzinfo=None)
    inspection.finished_at = (midnight + timedelta(minutes=20)).astimezone(timezone.utc).replace(tzinfo=None)
    certificate = issue_certificate(inspection, storage=storage)
    db.session.commit()
    pdf_text = text_of(reader_of(stored_pdf(storage, certificate)))
    pdf_date = re.search(r"预验收日期\s*(\d{4}-\d{2}-\d{2})", pdf_text).group(1)
    page = client.get(f"/verify/{certificate.number}").text
    page_date = re.search(r"<dd>(\d{4}-\d{2}-\d{2})</dd>", page).group(1)
    assert page_date == f"{to_local(inspection.finished_at):%Y-%m-%d}"
    assert pdf_date == page_date
