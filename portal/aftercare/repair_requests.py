"""Repair requests (000 报修解决流程; 003 流程28; 001 §11): filing, photos, the response clock,
dispatch, the repair with its water test, acceptance and the crew's month-end deductions."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from portal.aftercare import clocks, warranty
from portal.aftercare.models import RepairAttempt, RepairPhoto, RepairRequest, RepairStatus
from portal.aftercare.services import AftercareError, acceptance_of, local_naive, warranty_table
from portal.aftercare.signing import REPAIR_RECORD
from portal.auth.models import User
from portal.extensions import db
from portal.photos import imaging
from portal.projects.models import Project
from portal.signatures.services import is_locked
from portal.storage import Storage
from portal.timeutil import local_today, utcnow

RESPONSIBILITIES = ("crew", "company", "owner")  # who bears a repair's cost
MAX_REPAIR_PHOTOS = 6


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
