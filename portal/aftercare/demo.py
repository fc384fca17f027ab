"""Demo rows of after-sales service: call :func:`seed_aftercare_demo` after the demo has certified projects.

It picks the oldest project with a valid pass certificate and no completion acceptance, records
its completion acceptance (signed by owner, foreman and inspector with drawn signatures), hands it
over (warranty card, owner's link), and adds two repair requests (one overdue on its contact
clock, one planned), a closed complaint and, when its warranty has reached a new quarter, this
quarter's return call, not reached yet. Idempotent: once a handed-over project exists, it
changes nothing. Returns the owner's page URL it created, or None.
"""
from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from portal.aftercare import complaint_handling, owner_links, repair_requests, return_calls, services
from portal.aftercare.card import render_card_pdf
from portal.aftercare.models import CompletionAcceptance
from portal.aftercare.signing import COMPLETION_RECORD
from portal.auth.models import User, UserRole
from portal.auth.roles import Role
from portal.certificates.models import PassCertificate
from portal.extensions import db
from portal.signatures import services as signatures
from portal.storage import get_storage
from portal.timeutil import local_day_start_utc, local_today, to_local, utcnow


def seed_aftercare_demo() -> str | None:
    """Hand over one certified demo project and give it repairs and a complaint (see the module)."""
    if db.session.scalar(select(CompletionAcceptance.id).where(CompletionAcceptance.handed_over_at.is_not(None))):
        return None
    certificate = db.session.scalar(
        select(PassCertificate).where(PassCertificate.revoked_at.is_(None),
                                      PassCertificate.project_id.not_in(select(CompletionAcceptance.project_id)))
        .order_by(PassCertificate.issued_at).limit(1))
    office = db.session.scalar(select(User).join(UserRole).where(UserRole.role == Role.OFFICE.value).limit(1))
    if certificate is None or office is None:
        return None
    project, inspector = certificate.project, certificate.inspection.inspector
    accepted_on = min(local_today(), to_local(certificate.issued_at).date() + timedelta(days=3))  # 003 流程24
    acceptance = services.record_acceptance(project, inspector, accepted_on=accepted_on,
                                            quality=5, service=5, timeliness=4, comment="施工认真，工地整洁。",
                                            warranty_explained=True)
    storage = get_storage()
    for slot, user, name in (("owner", None, project.owner_name), ("foreman", project.foreman, None),
                             ("inspector", inspector, None)):
        _sign(acceptance, slot, user or inspector, name or user.display_name, storage)
    services.record_final_payment(acceptance, office, paid_on=min(local_today(), accepted_on + timedelta(days=2)),
                                  amount=Decimal("12000.00"))  # 003 流程25: within three days of signing
    with current_app.test_request_context():
        handover = services.hand_over(acceptance, office, storage, render_card_pdf)
    _repairs_and_complaint(project, office)
    _return_call(project, office)
    return owner_links.owner_url(handover.token)


def _sign(acceptance: CompletionAcceptance, slot: str, user: User, name: str, storage) -> None:
    canvas = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(90, 110), (260, 70), (420, 130), (520, 90)], fill=(0, 0, 0, 255), width=5)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    strokes = json.dumps([{"points": [{"x": 90 + 40 * i, "y": 110 - 5 * i, "time": 1000 + 20 * i} for i in range(8)]}])
    data = signatures.SignatureInput(
        slot=slot, signer_name=name, png=out.getvalue(), strokes=signatures.parse_strokes(strokes),
        seen_fingerprint=signatures.current_fingerprint(COMPLETION_RECORD, acceptance))
    signatures.sign(COMPLETION_RECORD, acceptance, data, storage, user=user)


def _repairs_and_complaint(project, office: User) -> None:
    overdue = repair_requests.file_repair(project, kind="waterproofing", description="主卫淋浴区墙角渗水，楼下邻居反映顶棚有水印。",
                                   source="owner_page", contact_phone=project.owner_phone)
    overdue.received_at = utcnow() - timedelta(hours=30)  # nobody called back: contact and plan are overdue
    planned = repair_requests.file_repair(project, kind="carpentry", description="卧室衣柜门合页松动，关不严。",
                                   source="phone", user=office)
    repair_requests.record_contact(planned)
    if project.foreman is not None:
        repair_requests.plan_repair(planned, assignee=project.foreman, solution="更换合页并调整门板。",
                             visit_on=local_today() + timedelta(days=1))
    complaint = complaint_handling.register_complaint(project, matter="保洁不彻底", description="交付时窗台和柜内仍有灰尘。",
                                            complained_about="保洁队", user=office)
    complaint_handling.pass_on(complaint, office)
    complaint_handling.answer_complaint(complaint, "已安排保洁队返工，次日完成。")
    complaint_handling.close_complaint(complaint, "回访业主，返工后满意。", True)
    db.session.flush()


def _return_call(project, office: User) -> None:
    """This quarter's return call (003 流程28), when the project is due: tried two days ago, not reached,
    so office finds the owner on its list."""
    quarter = return_calls.quarter_of(local_today())
    if return_calls.call_row(project, quarter) is None:
        return
    call = return_calls.record_call(project, office, quarter, reached=False, satisfied=None, note="无人接听")
    call.called_at = max(local_day_start_utc(quarter.start), utcnow() - timedelta(days=2))
    db.session.flush()
