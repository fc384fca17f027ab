"""Operations of after-sales service. Services flush; the request commits.

Completion acceptance and handover (003 流程24–26), the owner's link, repair requests
(000 报修解决流程; 003 流程28; 001 §11) and complaints (000 第三节 投诉处理制度).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from portal.aftercare import clocks, complaint_penalty, warranty
from portal.aftercare.models import (
    CompletionAcceptance, Complaint, OwnerLink, RepairAttempt, RepairPhoto, RepairRequest, RepairStatus,
)
from portal.aftercare.signing import COMPLETION_RECORD, REPAIR_RECORD
from portal.auth.models import User
from portal.certificates.models import PassCertificate
from portal.extensions import db
from portal.finance.settlement import load_facts, settlement
from portal.numbering import next_number
from portal.photos import imaging
from portal.projects.models import Project, ProjectStatus
from portal.signatures.services import is_locked
from portal.storage import Storage
from portal.timeutil import local_today, to_local, utcnow

# The owner's link outlives the longest warranty (five years for waterproofing) by a year.
OWNER_LINK_LIFETIME = timedelta(days=6 * 366)
RATINGS = range(1, 6)
RESPONSIBILITIES = ("crew", "company", "owner")
MAX_REPAIR_PHOTOS = 6


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


# --- the owner's link ------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="owner-link")


def owner_url(token: str) -> str:
    """The owner's page (printed as QR code on the warranty card)."""
    return f"{current_app.config['BASE_URL']}/owner/{token}"


def create_owner_link(project: Project, user: User, now: datetime | None = None) -> tuple[OwnerLink, str]:
    """A new link for the owner; returns (link, token). Only the secret's hash is stored, as for signing links."""
    nonce = secrets.token_urlsafe(24)
    created = now or utcnow()
    link = OwnerLink(project_id=project.id, nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(),
                     created_by_id=user.id, created_at=created, expires_at=created + OWNER_LINK_LIFETIME)
    db.session.add(link)
    db.session.flush()
    return link, _serializer().dumps({"o": link.id, "n": nonce})


def resolve_owner_link(token: str, now: datetime | None = None) -> tuple[OwnerLink | None, str]:
    """(link, state) for a token: active / revoked / expired / invalid."""
    try:
        payload = _serializer().loads(token)
        link_id, nonce = int(payload["o"]), str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, "invalid"
    link = db.session.get(OwnerLink, link_id)
    if link is None or not secrets.compare_digest(link.nonce_hash, hashlib.sha256(nonce.encode()).hexdigest()):
        return None, "invalid"
    return link, link.state(now or utcnow())


def active_links(project: Project) -> list[OwnerLink]:
    """The project's links that still open the page."""
    now = utcnow()
    return [link for link in db.session.scalars(select(OwnerLink).where(OwnerLink.project_id == project.id))
            if link.state(now) == "active"]


def printed_owner_link(project: Project) -> tuple[OwnerLink, str] | None:
    """(link, token) of the owner's link printed on one of the project's pass certificates that still
    opens the page, newest certificate first; None when there is none (never printed, or revoked).

    Only the secret's hash is kept with the link, so the token is read back from the certificate's
    frozen facts, where it is printed anyway.
    """
    for facts in db.session.scalars(select(PassCertificate.facts).where(PassCertificate.project_id == project.id)
                                    .order_by(PassCertificate.id.desc())):
        _base, found, token = str((facts or {}).get("owner_url") or "").rpartition("/owner/")
        if not found or not token:
            continue
        link, state = resolve_owner_link(token)
        if link is not None and link.project_id == project.id and state == "active":
            return link, token
    return None


def owner_url_for_certificate(project: Project, user: User) -> str:
    """The owner's page printed on a new pass certificate: the project's printed link while it works,
    else a new link (the owner's page exists from the pass on; handover reuses it)."""
    _link, token = printed_owner_link(project) or create_owner_link(project, user)
    return owner_url(token)


def revoke_owner_link(link: OwnerLink) -> None:
    """Kill a link (lost phone, changed owner)."""
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.flush()


def valid_certificate(project: Project) -> PassCertificate | None:
    """The project's valid pass certificate, if any."""
    return db.session.scalar(select(PassCertificate).where(PassCertificate.project_id == project.id,
                                                           PassCertificate.revoked_at.is_(None)))


# --- repair requests -------------------------------------------------------------------------

def warranty_judgement(project: Project, kind: str, day: date) -> warranty.Judgement | None:
    """Is ``kind`` of work on the project covered on ``day``? None before the handover."""
    acceptance = acceptance_of(project)
    if acceptance is None or not acceptance.is_handed_over:
        return None
    return warranty.judge(kind, acceptance.warranty_start, day, acceptance.warranty_months or warranty_table())


def file_repair(project: Project, *, kind: str, description: str, source: str, contact_phone: str = "",
                user: User | None = None) -> RepairRequest:
    """Register a repair request, checked against the warranty on the day it comes in; office is told."""
    if kind not in warranty.DEFAULT_MONTHS:
        raise AftercareError("bad_kind")
    if not description.strip():
        raise AftercareError("description_required")
    judgement = warranty_judgement(project, kind, local_today())
    repair = RepairRequest(
        project_id=project.id, kind=kind, description=description.strip()[:4000], source=source,
        contact_phone=contact_phone.strip()[:30], recorded_by_id=user.id if user else None, received_at=utcnow(),
        in_warranty=judgement.covered if judgement else None,
        warranty_last_day=judgement.last_day if judgement else None,
        warranty_months=judgement.months if judgement else None, assignee_id=project.foreman_id)
    db.session.add(repair)
    db.session.flush()
    return repair


def add_repair_photo(repair: RepairRequest, data: bytes, storage: Storage) -> tuple[RepairPhoto, list[str]]:
    """Store a photo of the defect (checked and resized like every portal photo); returns (photo, keys written).

    Raises imaging.ImageRejected for a bad image, AftercareError("too_many_photos").
    """
    count = len(repair_photos(repair))
    if count >= MAX_REPAIR_PHOTOS:
        raise AftercareError("too_many_photos")
    processed = imaging.process(data, lambda _captured: [repair.project.contract_no, f"#{repair.id}"])
    base = f"repairs/{repair.project_id}/{repair.id}-{secrets.token_hex(6)}"
    files = {f"{base}/original.{processed.extension}": data, f"{base}/display.jpg": processed.display}
    written: list[str] = []
    try:
        for key, content in files.items():
            storage.put(key, content)
            written.append(key)
        photo = RepairPhoto(repair_id=repair.id, original_key=written[0], display_key=written[1],
                            sha256=processed.sha256)
        db.session.add(photo)
        db.session.flush()
    except Exception:
        for key in written:
            storage.delete(key)
        raise
    return photo, written


class RepairPhotoRejected(Exception):
    """One of the photos sent with a repair request is not acceptable: ``number`` (from 1) and the reason."""

    def __init__(self, number: int, code: str):
        super().__init__(f"photo {number}: {code}")
        self.number, self.code = number, code


def add_repair_photos(repair: RepairRequest, uploads: list[bytes], storage: Storage) -> list[str]:
    """Store the photos sent with a repair request, all or none; returns the keys written.

    Raises AftercareError("too_many_photos") beyond MAX_REPAIR_PHOTOS (before anything is stored) and
    RepairPhotoRejected for the first bad photo, after deleting the files of the ones before it (the
    caller's savepoint drops their rows).
    """
    if len(repair_photos(repair)) + len(uploads) > MAX_REPAIR_PHOTOS:
        raise AftercareError("too_many_photos")
    written: list[str] = []
    try:
        for number, data in enumerate(uploads, 1):
            try:
                _photo, keys = add_repair_photo(repair, data, storage)
            except imaging.ImageRejected as exc:
                raise RepairPhotoRejected(number, exc.code) from exc
            written += keys
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    return written


def repair_photos(repair: RepairRequest) -> list[RepairPhoto]:
    """The photos sent with a repair request."""
    return list(db.session.scalars(select(RepairPhoto).where(RepairPhoto.repair_id == repair.id)
                                   .order_by(RepairPhoto.id)))


def record_contact(repair: RepairRequest) -> None:
    """The owner was phoned (000: within 3 hours)."""
    _open(repair)
    if repair.contacted_at is None:
        repair.contacted_at = utcnow()
        db.session.flush()


def plan_repair(repair: RepairRequest, *, assignee: User, solution: str, visit_on: date) -> None:
    """Solution, visit date and the crew it is dispatched to (000: within 24 hours)."""
    _open(repair)
    if not solution.strip():
        raise AftercareError("solution_required")
    repair.assignee_id, repair.solution, repair.visit_on = assignee.id, solution.strip()[:4000], visit_on
    repair.contacted_at = repair.contacted_at or utcnow()
    repair.dispatched_at = repair.planned_at = utcnow()
    db.session.flush()


def record_repair(repair: RepairRequest, *, work_done: str, cost: Decimal, responsibility: str,
                  water_test_passed: bool | None, user: User | None = None) -> RepairAttempt:
    """The repair is done: what was done, cost and who bears it; for leaks the water test (001 §11.2.7).

    Every recording is kept as an attempt. A failed water test sends the repair back to be done
    again: the request stays open (试验合格后，方可进行下一道工序或交付, 001 §11.2.7), and only a
    recording with a passed test makes it repaired, ready for the owner's signature.

    Responsibility ``crew`` charges the project's original foreman (his crew's warranty deposit,
    000 报修解决流程: 从相应施工队的质保金中扣回); ``company`` and ``owner`` (use, or out of warranty,
    001 §11.2.4) charge no crew.
    """
    _open(repair)
    if repair.planned_at is None:
        raise AftercareError("not_planned")
    if responsibility not in RESPONSIBILITIES:
        raise AftercareError("bad_responsibility")
    if cost < 0:
        raise AftercareError("bad_cost")
    water_test = repair.kind in warranty.WATER_TEST_KINDS
    if water_test and water_test_passed is None:
        raise AftercareError("water_test_required")
    attempt = RepairAttempt(repair_id=repair.id, work_done=work_done.strip()[:4000],
                            water_test_passed=water_test_passed if water_test else None,
                            recorded_by_id=user.id if user else None, recorded_at=utcnow())
    db.session.add(attempt)
    repair.water_test_passed = attempt.water_test_passed
    if not attempt.failed:
        repair.work_done, repair.cost, repair.responsibility = attempt.work_done, cost, responsibility
        repair.charged_foreman_id = repair.project.foreman_id if responsibility == "crew" else None
        repair.repaired_at = attempt.recorded_at
        repair.status = RepairStatus.REPAIRED.value
    db.session.flush()
    return attempt


def repair_attempts(repair: RepairRequest) -> list[RepairAttempt]:
    """Every recording of the repair as done, oldest first (failed water tests included)."""
    return list(db.session.scalars(select(RepairAttempt).where(RepairAttempt.repair_id == repair.id)
                                   .order_by(RepairAttempt.id)))


def accept_repair(repair: RepairRequest) -> None:
    """The owner's signature is on the repair: accepted (001 §11.2.9)."""
    if repair.status != RepairStatus.REPAIRED.value:
        raise AftercareError("not_repaired")
    if not is_locked(REPAIR_RECORD, repair):
        raise AftercareError("unsigned")
    repair.accepted_at = utcnow()
    repair.status = RepairStatus.ACCEPTED.value
    db.session.flush()


def follow_up(repair: RepairRequest, note: str) -> None:
    """The call-back after the repair (000: 48 hours after): the request is closed."""
    if repair.status != RepairStatus.ACCEPTED.value:
        raise AftercareError("not_accepted")
    repair.followed_up_at = repair.closed_at = utcnow()
    repair.follow_up_note = note.strip()[:4000]
    repair.status = RepairStatus.CLOSED.value
    db.session.flush()


def _open(repair: RepairRequest) -> None:
    if repair.status != RepairStatus.OPEN.value:
        raise AftercareError("not_open")


def repair_clock(repair: RepairRequest) -> list[clocks.Step]:
    """The repair's clock steps in local time."""
    return clocks.repair_steps(local_naive(repair.received_at), local_naive(repair.contacted_at),
                               local_naive(repair.planned_at), local_naive(repair.repaired_at),
                               local_naive(repair.followed_up_at))


def repair_overdue(repair: RepairRequest, now: datetime | None = None) -> list[clocks.Step]:
    """The steps of an unfinished repair that are past due."""
    if repair.status == RepairStatus.CLOSED.value:
        return []
    return clocks.open_overdue(repair_clock(repair), local_naive(now or utcnow()))


def open_repairs() -> list[RepairRequest]:
    """Repairs not closed yet, oldest first."""
    return list(db.session.scalars(select(RepairRequest).where(RepairRequest.status != RepairStatus.CLOSED.value)
                                   .order_by(RepairRequest.received_at)))


def project_repairs(project: Project) -> list[RepairRequest]:
    """A project's repairs, newest first."""
    return list(db.session.scalars(select(RepairRequest).where(RepairRequest.project_id == project.id)
                                   .order_by(RepairRequest.id.desc())))


@dataclass(frozen=True)
class DeductionRow:
    """One line of the month-end list: a crew's repair charged to its foreman's warranty deposit."""

    foreman: str
    foreman_id: int
    contract_no: str
    repair_id: int
    accepted_on: date
    cost: Decimal


def deductions(year: int, month: int) -> tuple[list[DeductionRow], dict[str, Decimal]]:
    """Repairs accepted in the month whose responsibility is the crew: rows and total per foreman
    (000 报修解决流程: 月底对帐，结算财务，从相应施工队的质保金中扣回)."""
    rows = []
    for repair in db.session.scalars(select(RepairRequest).where(RepairRequest.responsibility == "crew",
                                                                 RepairRequest.accepted_at.is_not(None))):
        day = local_naive(repair.accepted_at).date()
        if (day.year, day.month) != (year, month) or repair.charged_foreman is None:
            continue
        rows.append(DeductionRow(repair.charged_foreman.display_name, repair.charged_foreman_id,
                                 repair.project.contract_no, repair.id, day, repair.cost or Decimal("0")))
    rows.sort(key=lambda row: (row.foreman, row.accepted_on, row.repair_id))
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.foreman] = totals.get(row.foreman, Decimal("0")) + row.cost
    return rows, totals


# --- complaints ------------------------------------------------------------------------------

def register_complaint(project: Project, *, matter: str, description: str, complained_about: str, user: User,
                       repeat_of: Complaint | None = None) -> Complaint:
    """Register a complaint at once (000 第三节 1). A second complaint on a matter that went through a
    full round flags the first one's handler and records his fault in the penalty register (000 第三节 5:
    对第一次处理投诉不力的部门和承办人，要进行过失处罚; see :mod:`portal.aftercare.complaint_penalty`)."""
    if not matter.strip() or not description.strip():
        raise AftercareError("description_required")
    if repeat_of is not None and repeat_of.project_id != project.id:
        raise AftercareError("bad_repeat")
    if repeat_of is not None and repeat_of.closed_at is None:
        raise AftercareError("first_still_open")  # a second complaint follows a complete round (000 第三节 5)
    complaint = Complaint(project_id=project.id, matter=matter.strip()[:200], description=description.strip()[:4000],
                          complained_about=complained_about.strip()[:100], recorded_by_id=user.id,
                          received_at=utcnow(), repeat_of_id=repeat_of.id if repeat_of else None)
    db.session.add(complaint)
    if repeat_of is not None and repeat_of.handler_flagged_at is None:
        repeat_of.handler_flagged_at = utcnow()
    db.session.flush()
    if repeat_of is not None:
        complaint_penalty.penalise_first_handling(repeat_of, repeat_penalty_rule())
    return complaint


def repeat_penalty_rule() -> complaint_penalty.RepeatPenalty:
    """The configured penalty for the first handler of a complaint that comes back (checked at start-up)."""
    return complaint_penalty.parse_rule(current_app.config.get("COMPLAINT_REPEAT_PENALTY"))


def pass_on(complaint: Complaint, handler: User) -> None:
    """Passed on to the head of the department concerned (000: within 3 hours)."""
    if complaint.closed_at is not None:
        raise AftercareError("closed")
    complaint.handler_id = handler.id
    complaint.passed_on_at = complaint.passed_on_at or utcnow()
    db.session.flush()


def answer_complaint(complaint: Complaint, answer: str) -> None:
    """The department's result or progress (000: within 48 hours of being passed on)."""
    if complaint.passed_on_at is None:
        raise AftercareError("not_passed_on")
    if complaint.closed_at is not None:
        raise AftercareError("closed")
    if not answer.strip():
        raise AftercareError("answer_required")
    complaint.answer, complaint.answered_at = answer.strip()[:4000], utcnow()
    db.session.flush()


def close_complaint(complaint: Complaint, return_visit: str, satisfied: bool) -> None:
    """Closed after the return visit (回访) with the owner's verdict."""
    if complaint.answered_at is None:
        raise AftercareError("not_answered")
    if complaint.closed_at is not None:
        raise AftercareError("closed")
    if not return_visit.strip():
        raise AftercareError("return_visit_required")
    complaint.return_visit, complaint.satisfied, complaint.closed_at = return_visit.strip()[:4000], satisfied, utcnow()
    db.session.flush()


def complaint_clock(complaint: Complaint) -> list[clocks.Step]:
    """The complaint's clock steps in local time."""
    return clocks.complaint_steps(local_naive(complaint.received_at), local_naive(complaint.passed_on_at),
                                  local_naive(complaint.answered_at))


def complaint_overdue(complaint: Complaint, now: datetime | None = None) -> list[clocks.Step]:
    """The steps of an open complaint that are past due."""
    if complaint.closed_at is not None:
        return []
    return clocks.open_overdue(complaint_clock(complaint), local_naive(now or utcnow()))


def complaints_of(project: Project) -> list[Complaint]:
    """A project's complaints, oldest first (the candidates a repeat refers to)."""
    return list(db.session.scalars(select(Complaint).where(Complaint.project_id == project.id)
                                   .order_by(Complaint.id)))
