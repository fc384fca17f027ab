"""``GET /api/v1/settlement/<contract_no>`` for the accounting system (Bearer token)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import bindparam, select

from portal import transaction
from portal.api.tokens import authenticate
from portal.errors import answer_json_under
from portal.extensions import csrf, db
from portal.finance.settlement import load_facts, settlement
from portal.projects.contract_no import is_valid_contract_no
from portal.projects.models import Project
from portal.timeutil import local_today, to_local

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
# Unknown paths, wrong methods and server errors under /api/ answer JSON like the API itself.
bp.record_once(lambda state: answer_json_under(state.app, "/api/"))


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every API request asks.
_BY_CONTRACT = select(Project).where(Project.contract_no == bindparam("contract_no"))


@bp.get("/settlement/<contract_no>")
def settlement_status(contract_no: str):
    """The settlement answer for one contract: 401 without a valid token, 404 JSON for unknown contracts."""
    token = authenticate(request.headers.get("Authorization"))
    if token is None:
        response = jsonify(error="unauthorized")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    project = db.session.scalar(_BY_CONTRACT, {"contract_no": contract_no}) if is_valid_contract_no(contract_no) else None
    if project is None:
        transaction.commit_now("the token's last use is kept for an unknown contract too")
        return jsonify(error="not_found", contract_no=contract_no[:20]), 404
    facts = load_facts([project.id])[project.id]
    result = settlement(facts, local_today())
    return jsonify(
        contract_no=project.contract_no, status=result.status, settlement_allowed=result.allowed, reason=result.reason,
        grade=facts.passed_grade, score=round(facts.overall_rate * 100, 2) if facts.overall_rate is not None else None,
        certificate_no=facts.certificate_no,
        certificate_issued_at=to_local(facts.certificate_issued_at).isoformat() if facts.certificate_issued_at else None,
        verify_url=f"{current_app.config['BASE_URL']}/verify/{facts.certificate_no}" if facts.certificate_no else None)
