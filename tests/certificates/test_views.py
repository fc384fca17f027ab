"""Certificate pages: office issues and revokes, office and finance look and download, and the public
verification page (number form, status, masked address, PDF check, rate limit, hostile numbers).
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.certificates import services
from portal.certificates.models import PassCertificate
from portal.extensions import db
from portal.inspections.services import reopen
from portal.numbering import NumberSequence
from portal.storage import FileSystemStorage, StorageError
from portal.timeutil import local_today, to_local
from tests.factories import (
    fake_pdf, issue_certificate, make_finished_inspection, make_inspection, make_payment, make_project,
    make_signed_inspection, make_user,
)

ADDRESS = "西安市雁塔区曲江池东路曲江六号3号楼2单元1502室"
MASKED = "西安市雁塔区曲江池东路曲江六号…"
OWNER, PHONE = "周志强", "13709110001"
VALID_ZH = "有效"  # the zh catalogue's "Valid"
EXCELLENT_ZH = "优秀"


@pytest.fixture
def office(login_as):
    """An office user (English pages, so the texts can be asserted whatever the catalogue has), logged in."""
    user = make_user(Role.OFFICE)
    user.locale = "en"
    return login_as(user)


def english(client) -> None:
    """Switch an anonymous visitor's pages to English."""
    client.post("/language", data={"language": "en"})


def certificate_of(inspection) -> PassCertificate | None:
    return db.session.scalar(select(PassCertificate).where(PassCertificate.inspection_id == inspection.id))


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.get("_flashes", []))


def counter() -> int:
    return db.session.scalar(select(NumberSequence.last_value).where(
        NumberSequence.series == f"YS-{local_today().year}")) or 0


def certify(storage, **kwargs) -> PassCertificate:
    """A certificate (fake PDF) for a new signed inspection of a project at ADDRESS owned by OWNER."""
    project = make_project(address=ADDRESS, owner_name=OWNER, owner_phone=PHONE)
    inspection = make_signed_inspection(storage=storage, project=project)
    return issue_certificate(inspection, storage=storage, render=kwargs.pop("render", fake_pdf), **kwargs)


# --- issuing through the page ---------------------------------------------------------------

def test_office_issues_the_certificate(client, office, storage):
    inspection = make_signed_inspection(storage=storage)
    before = counter()
    response = client.post(f"/inspections/{inspection.id}/certificate")
    certificate = certificate_of(inspection)
    assert certificate is not None
    assert certificate.number == f"YS-{local_today().year}-{before + 1:06d}"
    assert response.status_code == 302 and response.headers["Location"] == f"/certificates/{certificate.number}"
    assert ("success", f"Certificate {certificate.number} issued.") in flashes(client)
    assert storage.exists(certificate.pdf_key)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert certificate.number in page.text and "Valid" in page.text and certificate.fingerprint in page.text
    assert f'/certificates/{certificate.number}/pdf' in page.text


@pytest.mark.parametrize("case, message", [
    ("failed", "The inspection did not pass."),
    ("unsigned", "The inspection is not fully signed (inspector, foreman and project manager)."),
    ("reopened", "The inspection is not finished (or was reopened)."),
    ("unfinished", "The inspection is not finished (or was reopened)."),
    ("certified", "A certificate was already issued for this inspection."),
])
def test_issuing_is_refused_with_the_reason(client, office, storage, case, message):
    if case == "failed":
        inspection = make_finished_inspection(outcome="fail")
    elif case == "unsigned":
        inspection = make_finished_inspection()
    elif case == "unfinished":
        inspection = make_inspection()
    else:
        inspection = make_signed_inspection(storage=storage)
        if case == "reopened":
            reopen(inspection, make_user(Role.OFFICE), "业主投诉")
        else:
            issue_certificate(inspection, storage=storage, render=fake_pdf)
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(PassCertificate))
    before = counter()
    response = client.post(f"/inspections/{inspection.id}/certificate")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/inspections/{inspection.id}/summary"
    assert ("error", message) in flashes(client)
    assert db.session.scalar(select(func.count()).select_from(PassCertificate)) == count
    assert counter() == before


def test_a_storage_failure_answers_507_and_keeps_nothing(app, client, office, storage):
    inspection = make_signed_inspection(storage=storage)
    db.session.commit()
    before = counter()

    class FullDisk(FileSystemStorage):
        def put(self, key, data):
            raise StorageError("No space left on device")

    app.extensions["portal_storage"] = FullDisk(storage.root)
    response = client.post(f"/inspections/{inspection.id}/certificate")
    app.extensions["portal_storage"] = storage
    assert response.status_code == 507
    assert certificate_of(inspection) is None and counter() == before
    assert client.post(f"/inspections/{inspection.id}/certificate").status_code == 302  # the number comes back
    assert certificate_of(inspection).number == f"YS-{local_today().year}-{before + 1:06d}"


def test_a_storage_failure_keeps_nothing_and_gives_the_number_back(app, client, office, storage, monkeypatch):
    """Whatever the status (see the 507 test above): no row, no counter step, no file."""
    inspection = make_signed_inspection(storage=storage)
    db.session.commit()
    before = counter()

    class FullDisk(FileSystemStorage):
        def put(self, key, data):
            raise StorageError("No space left on device")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    app.extensions["portal_storage"] = FullDisk(storage.root)
    response = client.post(f"/inspections/{inspection.id}/certificate")
    app.extensions["portal_storage"] = storage
    assert response.status_code >= 500
    assert certificate_of(inspection) is None and counter() == before
    assert not any(storage.root.rglob("*.pdf"))
    assert client.post(f"/inspections/{inspection.id}/certificate").status_code == 302
    assert certificate_of(inspection).number == f"YS-{local_today().year}-{before + 1:06d}"


def test_a_second_office_user_a_moment_later_is_told_it_is_issued(client, office, storage, monkeypatch):
    """Both pressed the button before either was saved: the check passed for both, the database refuses one."""
    inspection = make_signed_inspection(storage=storage)
    first = issue_certificate(inspection, storage=storage, render=fake_pdf)
    db.session.commit()
    before = counter()
    monkeypatch.setattr(services, "check_issuable", lambda _inspection: None)
    response = client.post(f"/inspections/{inspection.id}/certificate")
    assert response.status_code == 303
    assert ("error", "A certificate was already issued for this inspection.") in flashes(client)
    assert counter() == before
    assert db.session.scalars(select(PassCertificate.number).where(
        PassCertificate.inspection_id == inspection.id)).all() == [first.number]
    assert sorted(p.name for p in storage.root.rglob("*.pdf")) == [f"{first.number.lower()}.pdf"]


def test_only_office_may_issue(client, login_as, storage):
    inspection = make_signed_inspection(storage=storage)
    for role in (Role.INSPECTOR, Role.FINANCE, Role.ADMIN, Role.FOREMAN, Role.PROJECT_MANAGER):
        login_as(inspection.inspector if role == Role.INSPECTOR else make_user(role))
        assert client.post(f"/inspections/{inspection.id}/certificate").status_code == 403
    assert certificate_of(inspection) is None


def test_the_summary_of_a_passed_inspection_offers_office_the_issue_button(client, office, storage):
    inspection = make_signed_inspection(storage=storage)
    response = client.get(f"/inspections/{inspection.id}/summary")
    assert response.status_code == 200
    assert f'action="/inspections/{inspection.id}/certificate"' in response.text


# --- looking, downloading ---------------------------------------------------------------------

def test_office_and_finance_list_the_certificates(client, login_as, storage):
    valid = certify(storage)
    revoked = certify(storage)
    services.revoke(revoked, make_user(Role.OFFICE), "发现渗漏")
    db.session.commit()
    for role in (Role.OFFICE, Role.FINANCE):
        login_as(role)
        html = client.get("/certificates/").text
        assert valid.number in html and revoked.number in html  # revoked ones stay listed
        row = re.search(rf'<li class="list-item">.*?{re.escape(revoked.number)}.*?</li>', html, re.S).group(0)
        assert "badge-bad" in row
        assert html.index(revoked.number) < html.index(valid.number)  # newest first


def test_finance_sees_a_certificate_but_cannot_revoke_it(client, login_as, storage):
    certificate = certify(storage)
    login_as(Role.FINANCE)
    page = client.get(f"/certificates/{certificate.number}")
    assert page.status_code == 200 and certificate.number in page.text
    assert "/revoke" not in page.text
    assert client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "x"}).status_code == 403
    assert not certificate.is_revoked


def test_the_pdf_download_has_the_right_headers(client, office, storage):
    certificate = certify(storage)
    response = client.get(f"/certificates/{certificate.number}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{certificate.number}.pdf"'
    assert response.get_etag()[0] == certificate.pdf_sha256
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/certificates/YS-2026-999999", "/certificates/YS-2026-999999/pdf",
                                  "/certificates/not-a-number", "/certificates/not-a-number/pdf"])
def test_unknown_certificates_are_404_for_office(client, office, path):
    assert client.get(path).status_code == 404


# --- revoking through the page ----------------------------------------------------------------

def test_office_revokes_with_a_reason_and_it_stays_on_record(client, office, storage):
    certificate = certify(storage)
    db.session.commit()
    response = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "隐蔽工程发现渗漏"})
    assert response.status_code == 302 and response.headers["Location"] == f"/certificates/{certificate.number}"
    assert ("success", f"Certificate {certificate.number} revoked.") in flashes(client)
    db.session.expire_all()
    again = db.session.get(PassCertificate, certificate.id)
    assert again.is_revoked and again.revoke_reason == "隐蔽工程发现渗漏" and again.revoked_by_id == office.id
    page = client.get(f"/certificates/{certificate.number}").text
    assert "Revoked" in page and "隐蔽工程发现渗漏" in page and "Revoke the certificate" not in page
    assert client.get(f"/certificates/{certificate.number}/pdf").data == fake_pdf(certificate)


def test_revoking_without_a_reason_is_refused(client, office, storage):
    certificate = certify(storage)
    db.session.commit()
    response = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "   "})
    assert response.status_code == 422
    assert "Write the reason for revoking." in response.text
    db.session.expire_all()
    assert not db.session.get(PassCertificate, certificate.id).is_revoked


def test_revoking_a_revoked_certificate_is_refused(client, office, storage):
    certificate = certify(storage)
    services.revoke(certificate, office, "第一次")
    db.session.commit()
    response = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "第二次"})
    assert response.status_code == 422 and "The certificate is already revoked." in response.text
    db.session.expire_all()
    assert db.session.get(PassCertificate, certificate.id).revoke_reason == "第一次"


def test_after_a_payment_revoking_warns_first_and_needs_confirmation(client, office, storage):
    certificate = certify(storage)
    make_payment(certificate.project, certificate=certificate, reference="招行-20261124-01")
    db.session.commit()
    page = client.get(f"/certificates/{certificate.number}").text
    assert "招行-20261124-01" in page and 'name="confirm_paid"' in page

    warned = client.post(f"/certificates/{certificate.number}/revoke", data={"reason": "发现渗漏"})
    assert warned.status_code == 422
    assert "The settlement was already paid. Confirm that you revoke anyway." in warned.text
    assert 'name="confirm_paid"' in warned.text and "发现渗漏" in warned.text  # the reason is kept in the form
    db.session.expire_all()
    assert not db.session.get(PassCertificate, certificate.id).is_revoked

    confirmed = client.post(f"/certificates/{certificate.number}/revoke",
                            data={"reason": "发现渗漏", "confirm_paid": "1"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(PassCertificate, certificate.id).is_revoked


# --- the public verification page ---------------------------------------------------------------

def test_anybody_sees_status_grade_date_masked_address_and_fingerprint(client, storage):
    certificate = certify(storage)
    project = certificate.project
    db.session.commit()
    response = client.get(f"/verify/{certificate.number}")
    assert response.status_code == 200
    html = response.text
    assert 'data-found="yes"' in html
    assert certificate.number in html
    assert VALID_ZH in html
    assert EXCELLENT_ZH in html
    assert f"{to_local(certificate.inspection.finished_at):%Y-%m-%d}" in html
    assert MASKED in html
    assert certificate.fingerprint in html
    for secret in (OWNER, PHONE, ADDRESS, "3号楼", "2单元", "1502室", project.contract_no,
                   project.foreman.display_name, project.project_manager.display_name,
                   certificate.inspection.inspector.display_name):
        assert secret not in html, secret
    shown_address = re.search(r"<dd>([^<]*…)</dd>", html).group(1)
    assert shown_address == MASKED and "1502" not in shown_address


def test_a_logged_in_user_sees_the_same_public_page(client, login_as, storage):
    certificate = certify(storage)
    login_as(Role.FINANCE)
    html = client.get(f"/verify/{certificate.number}").text
    assert VALID_ZH in html and OWNER not in html and PHONE not in html


def test_a_revoked_certificate_shows_revoked_with_the_date(client, storage):
    certificate = certify(storage)
    services.revoke(certificate, make_user(Role.OFFICE), "业主姓名周志强投诉")  # the reason is not public either
    db.session.commit()
    english(client)
    response = client.get(f"/verify/{certificate.number}")
    assert response.status_code == 200
    assert f"Revoked on {to_local(certificate.revoked_at):%Y-%m-%d}" in response.text
    assert ">Valid<" not in response.text and OWNER not in response.text


def test_an_unknown_number_shows_no_such_certificate(client):
    english(client)
    response = client.get("/verify/YS-2026-999999")
    assert response.status_code == 404
    assert 'data-found="no"' in response.text and "No such certificate" in response.text
    assert "YS-2026-999999" in response.text


@pytest.mark.parametrize("path", [
    "/verify/YS-2026-000001' OR 1=1",
    "/verify/YS-2026-000001'%20OR%20'1'='1",
    "/verify/YS-2026-000001;DROP TABLE pass_certificates",
    "/verify/..%2F..%2Fetc%2Fpasswd",
    "/verify/../../etc/passwd",
    "/verify/..%252F..%252Fetc%252Fpasswd",
    "/verify/%00",
    "/verify/YS-2026-000001%00",
    "/verify/%FF%FE",
    "/verify/YS-２０２６-００００01",
    "/verify/" + "9" * 5000,
    "/verify/<script>alert(1)<%2Fscript>",
    "/verify/%",
    "/verify/YS-2026-00000_",
    "/verify/YS-2026-%25",
], ids=["sql-quote", "sql-or", "sql-drop", "encoded-path", "raw-path", "double-encoded-path", "nul", "nul-suffix",
        "bad-utf8", "fullwidth-digits", "very-long", "script", "lone-percent", "like-underscore", "like-percent"])
def test_malformed_numbers_get_the_not_found_page_never_500(client, storage, path):
    certify(storage)  # YS-…-000001 exists: an injection must not find it
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 404, response.text[:300]
    assert "<script>alert(1)" not in response.text
    assert 'data-found="yes"' not in response.text


def test_malformed_numbers_posted_with_a_file_get_the_not_found_page(client, storage):
    certificate = certify(storage)
    db.session.commit()
    response = client.post("/verify/YS-2026-000001' OR 1=1",
                           data={"pdf": (io.BytesIO(fake_pdf(certificate)), "x.pdf")})
    assert response.status_code == 404


def test_the_form_takes_anybody_to_the_number(client):
    page = client.get("/verify")
    assert page.status_code == 200 and 'name="number"' in page.text
    response = client.post("/verify", data={"number": "  YS-2026-000123 "})
    assert response.status_code == 302 and response.headers["Location"] == "/verify/YS-2026-000123"
    empty = client.post("/verify", data={"number": ""})
    assert empty.status_code == 302 and client.get(empty.headers["Location"]).status_code == 404


def test_the_form_keeps_hostile_input_on_this_site(client):
    for typed in ("../../etc/passwd", "//evil.example.com", "https://evil.example.com/x", "YS-1' OR 1=1--"):
        response = client.post("/verify", data={"number": typed})
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/verify/") and not location.startswith("//"), location
        final = client.get(location, follow_redirects=True)
        assert final.status_code == 404 and final.request.host == "localhost", location


# --- checking an uploaded PDF -----------------------------------------------------------------

def upload(client, number: str, data: bytes | None):
    form = {} if data is None else {"pdf": (io.BytesIO(data), "certificate.pdf")}
    return client.post(f"/verify/{number}", data=form, content_type="multipart/form-data")


def content_stream_offset(data: bytes) -> int:
    """Where the data of the first page's content stream starts in the file."""
    from pypdf import PdfReader

    contents = PdfReader(io.BytesIO(data)).pages[0].raw_get("/Contents")
    ref = contents[0] if isinstance(contents, list) else contents
    obj = re.search(rb"(?<![0-9])%d 0 obj" % ref.idnum, data)
    assert obj is not None
    return data.index(b"stream", obj.end()) + len(b"stream\n")


def resave(data: bytes) -> bytes:
    """The PDF's pages written anew by pypdf."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_issued_pdf_matches_and_a_forged_one_does_not(client, storage):
    certificate = certify(storage, render=None)  # the real PDF
    db.session.commit()
    with storage.open(certificate.pdf_key) as handle:
        issued = handle.read()
    english(client)
    ok = upload(client, certificate.number, issued)
    assert ok.status_code == 200 and "The uploaded PDF is the certificate as issued." in ok.text
    assert "does not match" not in ok.text

    # One byte changed inside the page's content stream (the text drawn on the page).
    start = content_stream_offset(issued)
    forged = bytearray(issued)
    forged[start + 40] ^= 0x01
    assert bytes(forged) != issued and len(forged) == len(issued)
    # The same pages saved again by another program: looks the same, is not the issued file.
    resaved = resave(issued)
    assert resaved != issued
    other = certify(storage, render=None)
    with storage.open(other.pdf_key) as handle:
        another = handle.read()
    for data in (bytes(forged), resaved, another, issued + b"\n", issued[:-1]):
        bad = upload(client, certificate.number, data)
        assert bad.status_code == 200
        assert "The uploaded PDF does not match the issued certificate." in bad.text
        assert "is the certificate as issued" not in bad.text


def test_no_file_or_an_empty_file_does_not_match(client, storage):
    certificate = certify(storage)
    db.session.commit()
    english(client)
    for data in (None, b""):
        response = upload(client, certificate.number, data)
        assert response.status_code == 200 and "does not match" in response.text


def test_checking_needs_the_form_token(client, storage):
    certificate = certify(storage)
    db.session.commit()
    response = client.post(f"/verify/{certificate.number}", csrf=False,
                           data={"pdf": (io.BytesIO(fake_pdf(certificate)), "c.pdf")})
    assert response.status_code == 400


# --- rate limit -------------------------------------------------------------------------------

def test_verification_is_rate_limited_per_ip(client, storage):
    certificate = certify(storage)
    db.session.commit()
    for n in range(20):
        number = certificate.number if n % 2 else "YS-2026-999999"  # unknown numbers count too
        assert client.get(f"/verify/{number}").status_code in (200, 404), n
    limited = client.get(f"/verify/{certificate.number}")
    assert limited.status_code == 429
    assert certificate.fingerprint not in limited.text
    other_ip = client.get(f"/verify/{certificate.number}", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other_ip.status_code == 200


def test_the_number_form_is_rate_limited_too(client):
    for n in range(20):
        assert client.get("/verify").status_code == 200, n
    assert client.get("/verify").status_code == 429
    assert client.get("/verify", environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 200


def test_uploads_count_against_the_limit(client, storage):
    certificate = certify(storage)
    db.session.commit()
    for n in range(20):
        assert upload(client, certificate.number, b"%PDF-1.7 not it").status_code == 200, n
    assert upload(client, certificate.number, b"%PDF-1.7 not it").status_code == 429


# --- language -----------------------------------------------------------------------------------

PUBLIC_TEXTS = ["Certificate verification", "No such certificate", "Revoked on %(d)s", "Verify a certificate",
                "Certificate number", "Check", "Check a PDF copy", "Check the file", "Check another number",
                "The uploaded PDF is the certificate as issued.",
                "The uploaded PDF does not match the issued certificate.", "Fingerprint (SHA-256)",
                "Inspection date", "Grade"]


def test_the_chinese_page_says_there_is_no_such_certificate(app, client):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        expected = gettext("No such certificate")
    response = client.get("/verify/YS-2026-999999")
    assert response.status_code == 404 and expected in response.text


def test_the_public_verification_texts_are_translated_into_chinese(app):
    """The public page is read by owners and finance clerks: no English on it."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        untranslated = [text for text in PUBLIC_TEXTS if gettext(text) == text]
    assert not untranslated
