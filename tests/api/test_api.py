"""The accounting system's API: ``GET /api/v1/settlement/<contract_no>`` with a Bearer token that admin
creates (shown once, stored hashed) and revokes; JSON for every answer, 401 without detail.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.api import tokens
from portal.auth.roles import Role
from portal.certificates import services
from portal.api.models import ApiToken
from portal.extensions import db
from portal.timeutil import to_local
from tests.factories import (
    fake_pdf, issue_certificate, make_api_token, make_failed_inspection, make_finished_inspection, make_inspection,
    make_project, make_signed_inspection, make_user,
)

BASE_URL = "https://portal.test"
FIELDS = {"contract_no", "status", "settlement_allowed", "reason", "grade", "score", "certificate_no",
          "certificate_issued_at", "verify_url"}
TOKEN_RE = re.compile(r"pat_[A-Za-z0-9_-]{20,}")


def call(client, contract_no: str, token: str | None = None, *, header: str | None = None):
    headers = {}
    if header is not None:
        headers["Authorization"] = header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(f"/api/v1/settlement/{contract_no}", headers=headers)


@pytest.fixture
def token() -> str:
    _row, plain = make_api_token()
    db.session.commit()
    return plain


def certified():
    return issue_certificate(make_signed_inspection(), render=fake_pdf)


# --- answers --------------------------------------------------------------------------------

def test_a_certified_project(client, token):
    certificate = certified()
    db.session.commit()
    response = call(client, certificate.project.contract_no, token)
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == FIELDS
    assert body == {
        "contract_no": certificate.project.contract_no, "status": "passed", "settlement_allowed": True,
        "reason": "valid_certificate", "grade": "excellent", "score": 100.0, "certificate_no": certificate.number,
        "certificate_issued_at": to_local(certificate.issued_at).isoformat(),
        "verify_url": f"{BASE_URL}/verify/{certificate.number}",
    }
    issued = datetime.fromisoformat(body["certificate_issued_at"])
    assert issued.utcoffset() == timedelta(hours=8)  # China Standard Time, with its offset


def test_a_revoked_certificate(client, token):
    certificate = certified()
    services.revoke(certificate, make_user(Role.OFFICE), "发现渗漏")
    db.session.commit()
    body = call(client, certificate.project.contract_no, token).get_json()
    assert (body["status"], body["settlement_allowed"], body["reason"]) == ("certificate_revoked", False,
                                                                            "certificate_revoked")
    assert body["certificate_no"] == certificate.number


@pytest.mark.parametrize("state, status, reason", [
    ("nothing", "not_inspected", "no_inspection"),
    ("running", "in_progress", "not_passed_yet"),
    ("failed", "in_rectification", "rectification_open"),
    ("passed", "certificate_pending", "certificate_not_issued"),
])
def test_projects_whose_settlement_is_not_allowed(client, token, state, status, reason):
    project = {"nothing": lambda: make_project(), "running": lambda: make_inspection().project,
               "failed": lambda: make_failed_inspection()[0].project,
               "passed": lambda: make_finished_inspection().project}[state]()
    db.session.commit()
    response = call(client, project.contract_no, token)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == FIELDS
    assert (body["status"], body["settlement_allowed"], body["reason"]) == (status, False, reason)
    assert body["certificate_no"] is None and body["certificate_issued_at"] is None and body["verify_url"] is None
    if state == "passed":
        assert body["grade"] == "excellent" and body["score"] == 100.0
    else:
        assert body["grade"] is None and body["score"] is None


def test_the_score_is_a_percentage_with_two_decimals(client, token):
    inspection = make_signed_inspection()
    inspection.overall_rate = Decimal("0.9123")  # not part of the signed content
    certificate = issue_certificate(inspection, render=fake_pdf)
    db.session.commit()
    assert call(client, certificate.project.contract_no, token).get_json()["score"] == 91.23


@pytest.mark.parametrize("contract_no", ["Z99123199", "A26023001", "not-a-contract", "A2610120", "a26101201",
                                         "A26101201' OR '1'='1", "%25", "A２6101201"])
def test_unknown_or_malformed_contracts_are_404_json(client, token, contract_no):
    make_project(contract_no="A26101201")
    db.session.commit()
    response = call(client, contract_no, token)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["error"] == "not_found"


# --- tokens: no token, no answer --------------------------------------------------------------

def unauthorized(response) -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": "unauthorized"}  # no hint why
    assert response.headers["WWW-Authenticate"] == "Bearer"


BAD_HEADERS = {
    "missing": None, "empty": "", "scheme-only": "Bearer", "scheme-space": "Bearer ", "wrong": "Bearer pat_wrong",
    "basic": "Basic {token}", "no-scheme": "{token}", "suffix": "Bearer {token}x", "prefix": "Bearer x{token}",
    "overlong": "Bearer pat_" + "A" * 200, "token-scheme": "Token {token}",
}


@pytest.mark.parametrize("header", list(BAD_HEADERS.values()), ids=list(BAD_HEADERS))
def test_missing_or_bad_tokens_are_401_without_detail(client, token, header):
    certificate = certified()
    db.session.commit()
    if header is None:
        response = call(client, certificate.project.contract_no)
    else:
        response = call(client, certificate.project.contract_no, header=header.format(token=token))
    unauthorized(response)


def test_unknown_contracts_without_a_token_are_401_too(client):
    unauthorized(call(client, "Z99123199"))
    unauthorized(call(client, "not-a-contract"))


def test_a_revoked_token_is_401_at_once(client, token):
    certificate = certified()
    db.session.commit()
    assert call(client, certificate.project.contract_no, token).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()))
    tokens.revoke_token(row)
    db.session.commit()
    unauthorized(call(client, certificate.project.contract_no, token))


@pytest.mark.parametrize("role", list(Role))
def test_the_api_ignores_the_session(client, login_as, role):
    certificate = certified()
    login_as(role)
    unauthorized(call(client, certificate.project.contract_no))


def test_a_used_token_records_when(client, token):
    certificate = certified()
    db.session.commit()
    call(client, certificate.project.contract_no, token)
    db.session.expire_all()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()))
    assert row.last_used_at is not None


def test_last_use_is_recorded_to_the_minute():
    """Calls within a minute of the recorded use do not write the token row again."""
    from datetime import datetime, timedelta

    from portal.api.tokens import mark_used

    row = ApiToken(name="t", token_hash="x" * 64, prefix="pat_x", created_by_id=1)
    first = datetime(2026, 11, 24, 9, 0, 0)
    mark_used(row, first)
    mark_used(row, first + timedelta(seconds=59))
    assert row.last_used_at == first
    mark_used(row, first + timedelta(seconds=60))
    assert row.last_used_at == first + timedelta(seconds=60)


# --- tokens: admin creates (shown once, stored hashed) and revokes --------------------------------

def test_admin_creates_a_token_that_is_shown_once_and_stored_hashed(client, login_as):
    admin = login_as(Role.ADMIN)
    page = client.post("/admin/api-tokens", data={"name": "用友 U8 财务"})
    assert page.status_code == 200
    shown = re.search(r'<p class="mono link-url" id="new-token">([^<]+)</p>', page.text).group(1)
    assert TOKEN_RE.fullmatch(shown)

    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "用友 U8 财务"))
    assert row.created_by_id == admin.id and row.revoked_at is None
    assert row.token_hash == hashlib.sha256(shown.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in ApiToken.__table__.columns]
    assert not any(shown in value for value in stored)                 # the token is nowhere in the row
    assert shown.startswith(row.prefix) and len(row.prefix) < len(shown) // 3

    listing = client.get("/admin/api-tokens")
    assert listing.status_code == 200
    assert shown not in listing.text and 'id="new-token"' not in listing.text  # never shown again
    assert "用友 U8 财务" in listing.text and row.prefix in listing.text

    certificate = certified()
    db.session.commit()
    assert call(client, certificate.project.contract_no, shown).status_code == 200


def test_two_tokens_are_different(client, login_as):
    login_as(Role.ADMIN)
    first = client.post("/admin/api-tokens", data={"name": "a"}).text
    second = client.post("/admin/api-tokens", data={"name": "b"}).text
    new = [re.search(r'id="new-token">([^<]+)<', html).group(1) for html in (first, second)]
    assert new[0] != new[1]


def test_a_token_without_a_name_is_called_accounting(client, login_as):
    login_as(Role.ADMIN)
    assert client.post("/admin/api-tokens", data={"name": "  "}).status_code == 200
    assert db.session.scalar(select(ApiToken.name).order_by(ApiToken.id.desc()).limit(1)) == "accounting"


def test_admin_revokes_a_token(client, login_as):
    login_as(Role.ADMIN)
    shown = re.search(r'id="new-token">([^<]+)<', client.post("/admin/api-tokens", data={"name": "x"}).text).group(1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hashlib.sha256(shown.encode()).hexdigest()))
    certificate = certified()
    db.session.commit()
    assert call(client, certificate.project.contract_no, shown).status_code == 200

    response = client.post(f"/admin/api-tokens/{row.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/api-tokens"
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    unauthorized(call(client, certificate.project.contract_no, shown))
    listing = client.get("/admin/api-tokens").text
    assert f"/admin/api-tokens/{row.id}/revoke" not in listing  # no revoke button any more
    assert client.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 302  # again: nothing changes


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_admin_manages_tokens(client, login_as, role):
    row, _plain = make_api_token()
    login_as(role)
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data={"name": "x"}).status_code == 403
    assert client.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 403
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.name == "x")) is None


def test_the_service_refuses_tokens_it_did_not_make():
    row, plain = make_api_token()
    assert tokens.authenticate(f"Bearer {plain}").id == row.id
    assert tokens.authenticate(f"Bearer {plain[:-1]}") is None
    assert tokens.authenticate(None) is None
    assert tokens.authenticate(f"Bearer {hashlib.sha256(plain.encode()).hexdigest()}") is None  # the stored hash
    assert tokens.authenticate(f"Bearer pat_{row.token_hash}") is None


@pytest.mark.parametrize("method, path, status, error", [
    ("GET", "/api/v1/nothing-here", 404, "not_found"),
    ("GET", "/api/v2/settlement/A26101201", 404, "not_found"),
    ("GET", "/api/", 404, "not_found"),
    ("POST", "/api/v1/settlement/A26101201", 405, "method_not_allowed"),
    ("DELETE", "/api/v1/settlement/A26101201", 405, "method_not_allowed"),
])
def test_api_errors_are_json_on_any_path(client, method, path, status, error):
    response = client.open(path, method=method, csrf=False)
    assert response.status_code == status and response.is_json
    assert response.get_json() == {"error": error}
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_outside_the_api_keep_html_errors(client):
    response = client.get("/apiary")
    assert response.status_code == 404 and response.mimetype == "text/html"
