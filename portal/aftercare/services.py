"""Operations of after-sales service. Services flush; the request commits.

Here: completion acceptance, the final payment and handover with the warranty card (003
流程24–26), and what the after-sales modules share. The owner's link is in
:mod:`portal.aftercare.owner_links`, repair requests (000 报修解决流程; 003 流程28; 001 §11) in
:mod:`portal.aftercare.repair_requests`, complaints (000 第三节 投诉处理制度) in
:mod:`portal.aftercare.complaint_handling`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from portal.aftercare import warranty
from portal.aftercare.models import CompletionAcceptance, OwnerLink
from portal.aftercare.owner_links import active_links, create_owner_link, owner_url, printed_owner_link
from portal.aftercare.signing import COMPLETION_RECORD
from portal.auth.models import User
from portal.extensions import db
from portal.finance.settlement import load_facts, settlement
from portal.numbering import next_number
from portal.projects.models import Project, ProjectStatus
from portal.signatures.services import is_locked
from portal.storage import Storage
from portal.timeutil import local_today, to_local, utcnow


RATINGS = range(1, 6)


class AftercareError(Exception):
    """An after-sales change that is refused; ``code`` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def warranty_table() -> dict[str, int]:
    """The warranty periods in force (defaults, or ``WARRANTY_MONTHS`` from the configuration)."""
    return warranty.periods(current_app.config.get("WARRANTY_MONTHS") or {})


def local_naive(value: datetime | None) -> datetime | None:
    """A stored UTC time as the company's wall-clock time without tzinfo (what the clocks take)."""
    local = to_local(value)
    return local.replace(tzinfo=None) if local else None


# --- completion acceptance and handover ------------------------------------------------------

def acceptance_of(project: Project) -> CompletionAcceptance | None:
    """The project's completion acceptance, if recorded."""
    return db.session.scalar(select(CompletionAcceptance).where(CompletionAcceptance.project_id == project.id))


def check_acceptable(project: Project) -> None:
    """Completion acceptance follows a passed pre-acceptance proved by a valid pass certificate: the
    same proof the settlement gate asks for (000 3.1.4), so a project is never handed over while its
    foreman could not settle."""
    if acceptance_of(project) is not None:
        raise AftercareError("already_accepted")
    facts = load_facts([project.id])[project.id]
    if not settlement(facts, local_today()).allowed:
        raise AftercareError("not_passed")


def record_acceptance(project: Project, inspector: User, *, accepted_on: date, quality: int, service: int,
                      timeliness: int, comment: str, warranty_explained: bool) -> CompletionAcceptance:
    """The 竣工验收单 with the owner's evaluation, ready to be signed by owner, foreman and inspector.

    The inspector's duties at handover (000, 预验收员 岗位: 开具保修单, 客户填写反馈意见表, 介绍保修流程,
    刻录隐蔽工程照片): the evaluation is this record, the card and the photo archive come with the
    handover (the owner's page), and he confirms here that he explained the warranty process.
    """
    check_acceptable(project)
    if not warranty_explained:
        raise AftercareError("explain_required")
    if any(r not in RATINGS for r in (quality, service, timeliness)):
        raise AftercareError("bad_rating")
    passed_on = load_facts([project.id])[project.id].passed_on
    if passed_on is not None and accepted_on < passed_on:
        raise AftercareError("before_pass")  # 003 流程24: completion acceptance follows the passed inspection
    acceptance = CompletionAcceptance(project_id=project.id, inspector_id=inspector.id, accepted_on=accepted_on,
                                      rating_quality=quality, rating_service=service, rating_timeliness=timeliness,
                                      comment=comment.strip()[:2000], warranty_explained=True)
    db.session.add(acceptance)
    db.session.flush()
    return acceptance


@dataclass
class Handover:
    """What handing over produced: the owner's link (with its one-time token) and the card file written."""

    link: OwnerLink
    token: str
    card_key: str


def record_final_payment(acceptance: CompletionAcceptance, user: User, *, paid_on: date,
                         amount: Decimal | None = None) -> None:
    """The owner paid the final payment (尾款): office or finance records the day (and the amount if known).

    003 流程25: the owner pays at finance within three days of signing the 竣工验收单 (or a cashier
    collects it on site); 流程26 and 000 办理保修流程 (到财务交纳工程尾款 → 开具保修单): the
    warranty card follows it. The warranty itself still runs from the acceptance date.
    """
    if acceptance.final_payment_on is not None:
        raise AftercareError("final_payment_recorded")
    if paid_on < acceptance.accepted_on:
        raise AftercareError("final_payment_before_acceptance")
    if paid_on > local_today():
        raise AftercareError("final_payment_in_future")
    if amount is not None and amount <= 0:
        raise AftercareError("bad_amount")
    acceptance.final_payment_on, acceptance.final_payment_amount = paid_on, amount
    acceptance.final_payment_by_id, acceptance.final_payment_recorded_at = user.id, utcnow()
    db.session.flush()


def hand_over(acceptance: CompletionAcceptance, user: User, storage: Storage, render_card) -> Handover:
    """After every signature and the final payment (003 流程26: 客户交齐尾款后): project handed over,
    warranty from the acceptance date (004; 建设部令第110号 第三十二条), warranty card numbered and
    rendered with the QR code of the owner's link: the one printed on the pass certificate while it
    still works, else a new one.

    ``render_card(acceptance, owner_url)`` gives the PDF bytes.
    """
    if acceptance.is_handed_over:
        raise AftercareError("already_handed_over")
    if not is_locked(COMPLETION_RECORD, acceptance):
        raise AftercareError("unsigned")
    if acceptance.final_payment_on is None:
        raise AftercareError("final_payment_missing")
    acceptance.handed_over_at = utcnow()
    acceptance.warranty_start = acceptance.accepted_on
    acceptance.warranty_months = warranty_table()
    year = acceptance.accepted_on.year
    acceptance.card_number = f"BX-{year}-{next_number(f'BX-{year}'):06d}"
    acceptance.project.status = ProjectStatus.HANDED_OVER.value
    return _new_card(acceptance, user, storage, render_card, reuse=True)


def reissue_owner_link(acceptance: CompletionAcceptance, user: User, storage: Storage, render_card) -> Handover:
    """Revoke the owner's links and give a new one, with the card printed anew for its QR code (same number)."""
    if not acceptance.is_handed_over:
        raise AftercareError("not_handed_over")
    for link in active_links(acceptance.project):
        link.revoked_at = utcnow()
    return _new_card(acceptance, user, storage, render_card)


def _new_card(acceptance: CompletionAcceptance, user: User, storage: Storage, render_card,
              reuse: bool = False) -> Handover:
    printed = printed_owner_link(acceptance.project) if reuse else None
    link, token = printed or create_owner_link(acceptance.project, user)
    pdf = render_card(acceptance, owner_url(token))
    key = f"warranty/{acceptance.card_number.lower()}-{link.id}.pdf"
    storage.put(key, pdf)
    acceptance.card_pdf_key = key
    try:
        db.session.flush()
    except Exception:
        storage.delete(key)
        raise
    return Handover(link, token, key)
