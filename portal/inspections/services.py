"""Inspection operations: create, start, answer, summarise, finish, reopen. Services flush; the request commits."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from flask import abort
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.auth.models import User
from portal.auth.permissions import authorise, can
from portal.checklists.limits import MeasurementError, parse_measurement
from portal.checklists.models import ChecklistCategory, ChecklistItem
from portal.checklists.services import current_template
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections import scoring, signals
from portal.inspections.eligibility import next_round_block
from portal.inspections.models import (
    Answer, AnswerChange, Inspection, InspectionEquipment, InspectionEvent, InspectionStatus, Outcome,
)
from portal.photos.services import item_photo_counts
from portal.projects.models import Project
from portal.registry import Registry
from portal.timeutil import to_local, utcnow

NOTE_MAX = 2000

# Rules that carry outcomes of a previous round into a reinspection (rectification registers one):
# each returns item id → (outcome, inspection id it comes from).
CARRY_OVER_RULES: Registry[Callable[[Inspection], dict[int, tuple[str, int]]]] = Registry("carry-over rule")


class InspectionError(Exception):
    """A request the inspection's state does not allow; ``code`` names the rule, ``detail`` adds facts."""

    def __init__(self, code: str, detail=None):
        super().__init__(code)
        self.code = code
        self.detail = detail


# --- loading and access -------------------------------------------------------------------

def get_inspection_or_404(inspection_id: int, user: User, action: str = "view") -> Inspection:
    """The inspection if ``user`` may see it (its inspector, office; 404 for everybody else)
    and do ``action`` on it (403 otherwise; see :mod:`portal.inspections.permissions`)."""
    return authorise(user, db.session.get(Inspection, inspection_id), action)


def can_answer(inspection: Inspection, user: User) -> bool:
    """Only the assigned inspector answers, and only while the inspection is in progress."""
    return can(user, inspection, "answer")


def inspector_agenda(user: User, today: date) -> tuple[list[Inspection], list[Inspection]]:
    """(today's open or finished-today inspections, upcoming ones) assigned to ``user``."""
    query = (select(Inspection).where(Inspection.inspector_id == user.id)
             .options(selectinload(Inspection.project)).order_by(Inspection.scheduled_date, Inspection.id))
    todays = db.session.scalars(query.where(Inspection.scheduled_date == today)).all()
    upcoming = db.session.scalars(query.where(Inspection.scheduled_date > today,
                                              Inspection.status != InspectionStatus.COMPLETED.value).limit(30)).all()
    overdue = db.session.scalars(query.where(Inspection.scheduled_date < today,
                                             Inspection.status != InspectionStatus.COMPLETED.value)).all()
    return [*overdue, *todays], list(upcoming)


# --- creating and starting ----------------------------------------------------------------

def create_inspection(project: Project, scheduled_date: date, inspector: User, created_by: User) -> Inspection:
    """Schedule the next round for ``project`` on the current checklist version."""
    previous = db.session.scalars(select(Inspection).where(Inspection.project_id == project.id)
                                  .order_by(Inspection.round.desc())).all()
    block = next_round_block(previous)
    if block:
        raise InspectionError(block)
    template = previous[0].template if previous else current_template()
    if template is None:
        raise InspectionError("no_template")
    inspection = Inspection(project=project, template=template, round=len(previous) + 1,
                            scheduled_date=scheduled_date, inspector=inspector, created_by_id=created_by.id)
    db.session.add(inspection)
    db.session.flush()
    return inspection


def check_equipment(equipment: list[Equipment], day: date) -> None:
    """Refuse equipment whose calibration is not valid on ``day``, naming the dates."""
    expired = [(e, e.valid_until) for e in equipment if not e.is_valid_on(day)]
    if expired:
        raise InspectionError("equipment_expired", expired)


def record_start(inspection: Inspection, user: User, *, foreman_present: bool, project_manager_present: bool,
                 others_present: str, handbook_present: bool, equipment: list[Equipment],
                 at: datetime | None = None) -> None:
    """Record who is present, the equipment and the handbook; the first time, open the checklist.

    ``at``: when it was done on site (the phone's time, clock corrected; None: now). The first
    start's time makes the inspection day, on which the equipment must be calibrated.
    """
    if inspection.is_completed:
        raise InspectionError("completed")
    at = at or utcnow()
    day = to_local(at).date()
    check_equipment(equipment, day)
    inspection.foreman_present = foreman_present
    inspection.project_manager_present = project_manager_present
    inspection.others_present = others_present.strip()[:200]
    inspection.handbook_present = handbook_present
    _set_equipment(inspection, equipment, user)
    if not inspection.is_started:
        inspection.status = InspectionStatus.IN_PROGRESS.value
        inspection.started_at = at
        carried = carried_outcomes(inspection)
        db.session.add_all(Answer(inspection=inspection, item_id=item.id, outcome=carried.get(item.id, (None, None))[0],
                                  carried_from_id=carried.get(item.id, (None, None))[1])
                           for item in active_items(inspection))
        _event(inspection, user, "started", at=at)
    db.session.flush()


def preview_answers(inspection: Inspection) -> list[Answer]:
    """The answers starting would create (not saved): the start page carries the checklist with
    them, so that an inspector without a connection can start and go on answering."""
    carried = carried_outcomes(inspection)
    return [Answer(inspection_id=inspection.id, item_id=item.id, item=item, version=0, note="",
                   outcome=carried.get(item.id, (None, None))[0], carried_from_id=carried.get(item.id, (None, None))[1])
            for item in active_items(inspection)]


def carried_outcomes(inspection: Inspection) -> dict[int, tuple[str, int]]:
    """Outcomes a reinspection takes over from the previous round, by item id (see CARRY_OVER_RULES)."""
    carried: dict[int, tuple[str, int]] = {}
    for rule in CARRY_OVER_RULES.values():
        carried.update(rule(inspection))
    return carried


def _set_equipment(inspection: Inspection, equipment: list[Equipment], user: User) -> None:
    wanted = {e.id: e for e in equipment}
    inspection.equipment_uses = [use for use in inspection.equipment_uses if use.equipment_id in wanted]
    have = {use.equipment_id for use in inspection.equipment_uses}
    for equipment_id, item in wanted.items():
        if equipment_id not in have:
            inspection.equipment_uses.append(InspectionEquipment(
                equipment=item, calibrated_on=item.calibrated_on, valid_until=item.valid_until,
                recorded_by_id=user.id))


def active_items(inspection: Inspection) -> list[ChecklistItem]:
    """The items of the inspection's template version, in checklist order."""
    return list(db.session.scalars(
        select(ChecklistItem).join(ChecklistCategory)
        .where(ChecklistItem.template_id == inspection.template_id, ChecklistItem.retired.is_(False))
        .order_by(ChecklistCategory.position, ChecklistItem.position)))


def inspection_day(inspection: Inspection) -> date:
    """The local date the inspection took place (started), else its scheduled date."""
    started = to_local(inspection.started_at)
    return started.date() if started else inspection.scheduled_date


def has_valid_equipment(inspection: Inspection) -> bool:
    """At least one recorded instrument was within its calibration (as recorded) on the inspection day."""
    day = inspection_day(inspection)
    return any(use.calibrated_on <= day <= use.valid_until for use in inspection.equipment_uses)


# --- answering ----------------------------------------------------------------------------

def get_inspection_answer_or_404(inspection_id: int, item_id: int, user: User) -> tuple[Inspection, Answer]:
    """The inspection, if ``user`` may see it, and its answer for ``item_id`` with the item: one query
    (every tap on the checklist loads both). 404 as :func:`get_inspection_or_404` and
    :func:`get_answer_or_404` give it; the caller checks the action (the answer exists first, so
    another version's item is 404 for everybody)."""
    answer = db.session.scalar(_INSPECTION_ANSWER, {"inspection_id": inspection_id, "item_id": item_id})
    if answer is None:
        abort(404)
    return authorise(user, answer.inspection), answer


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every tap asks.
_INSPECTION_ANSWER = select(Answer).join(Answer.inspection).where(
    Answer.inspection_id == bindparam("inspection_id"), Answer.item_id == bindparam("item_id")
).options(contains_eager(Answer.inspection), joinedload(Answer.item))


def get_answer_or_404(inspection: Inspection, item_id: int) -> Answer:
    """The answer row for ``item_id`` in this inspection, with its item; 404 for items of other versions.

    The item comes in the same query: every tap judges the answer by it and renders it.
    """
    answer = db.session.scalar(select(Answer).where(Answer.inspection_id == inspection.id,
                                                    Answer.item_id == item_id).options(joinedload(Answer.item)))
    if answer is None:
        abort(404)
    return answer


def save_answer(answer: Answer, user: User, *, outcome: str | None = None, raw_value: str | None = None,
                base_version: int | None = None, at: datetime | None = None) -> None:
    """Set the outcome (check items, or N/A) or the measured value (judged against the limit).

    ``base_version``: the answer's version the phone based the change on (None: the current
    one); ``at``: when it was done on the phone (clock corrected; None: now).
    """
    _require_open(answer.inspection)
    if answer.carried_from_id is not None:
        raise InspectionError("carried")
    item = answer.item
    if raw_value is not None and item.is_measured:
        try:
            value = parse_measurement(raw_value)
        except MeasurementError as exc:
            raise InspectionError("bad_value", exc.code) from exc
        wanted = {"value": value, "outcome": Outcome.PASS.value if item.limit.accepts(value) else Outcome.FAIL.value}
    elif outcome == Outcome.NA.value or (outcome in (Outcome.PASS.value, Outcome.FAIL.value) and not item.is_measured):
        wanted = {"value": None, "outcome": outcome} if outcome == Outcome.NA.value else {"outcome": outcome}
    else:
        raise InspectionError("bad_outcome")
    _apply_changes(answer, user, wanted, base_version, at)


def reopen_carried(answer: Answer, user: User, note: str, at: datetime | None = None) -> None:
    """At a reinspection, check a carried-over item again (a regression), with a note saying why."""
    _require_open(answer.inspection)
    if answer.carried_from_id is None:
        return
    if not note.strip():
        raise InspectionError("reason_required")
    answer.carried_from_id = None
    _apply_changes(answer, user, {"outcome": None, "note": note.strip()[:NOTE_MAX]}, None, at)


def save_note(answer: Answer, user: User, note: str, base_version: int | None = None,
              at: datetime | None = None) -> None:
    """Store the item's note (control characters removed); see :func:`save_answer` for the rest."""
    _require_open(answer.inspection)
    clean = "".join(ch for ch in note if ch in "\n\t" or ord(ch) >= 32).strip()
    if len(clean) > NOTE_MAX:
        raise InspectionError("note_too_long")
    _apply_changes(answer, user, {"note": clean}, base_version, at)


def _require_open(inspection: Inspection) -> None:
    if inspection.status != InspectionStatus.IN_PROGRESS.value:
        raise InspectionError("completed" if inspection.is_completed else "not_started")


def _apply_changes(answer: Answer, user: User, wanted: dict, base_version: int | None, at: datetime | None) -> None:
    """Set the fields, refusing a change based on an old version whose fields were changed since
    (``InspectionError("conflict")``, detail: the fields); one version step for the whole change."""
    if not any(_differs(getattr(answer, name), new) for name, new in wanted.items()):
        return  # what the phone wants is what the server has: nothing to lose, nothing to do
    if base_version is not None and base_version < answer.version:
        clashing = changed_since(answer, base_version) & set(wanted)
        if clashing:
            raise InspectionError("conflict", sorted(clashing))
    version = answer.version + 1
    changes = [change for name, new in wanted.items() if (change := _change(answer, user, name, new, version, at))]
    answer.version = version
    db.session.flush()
    # The log rows as one plain INSERT: nothing in the request reads them back as objects, and
    # the ORM's unit of work for new objects cost more than the rest of the write (every tap).
    if changes:
        db.session.execute(_LOG_CHANGES, changes)


def changed_since(answer: Answer, base_version: int) -> set[str]:
    """The fields of ``answer`` changed by versions after ``base_version``."""
    return set(db.session.scalars(select(AnswerChange.field).where(
        AnswerChange.inspection_id == answer.inspection_id, AnswerChange.item_id == answer.item_id,
        AnswerChange.version > base_version)))


def _differs(old, new) -> bool:
    if old is not None and new is not None and isinstance(new, Decimal):
        return Decimal(old) != new
    return old != new


def _change(answer: Answer, user: User, field_name: str, new, version: int, at: datetime | None) -> dict | None:
    """Set one field; the log row of old → new when it really changes (else None)."""
    old = getattr(answer, field_name)
    if not _differs(old, new):
        return None
    now = utcnow()
    setattr(answer, field_name, new)
    answer.updated_at = now
    answer.updated_by_id = user.id
    return {"inspection_id": answer.inspection_id, "item_id": answer.item_id, "user_id": user.id, "changed_at": now,
            "field": field_name, "old_value": _text(old), "new_value": _text(new), "version": version,
            "captured_at": at}


_LOG_CHANGES = insert(AnswerChange.__table__)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def answers_version(inspection: Inspection) -> int:
    """Changes so far: the summary shows it and finishing checks nothing changed since."""
    return db.session.scalar(_CHANGES, {"inspection_id": inspection.id})


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every checklist page and summary asks.
_CHANGES = select(func.count()).select_from(AnswerChange).where(AnswerChange.inspection_id == bindparam("inspection_id"))


def only_own_changes_since(inspection: Inspection, user: User, seen_version: int) -> bool:
    """Every change after the first ``seen_version`` ones (the version a summary showed) is ``user``'s."""
    if not 0 <= seen_version <= answers_version(inspection):
        return False
    authors = db.session.scalars(select(AnswerChange.user_id).where(AnswerChange.inspection_id == inspection.id)
                                 .order_by(AnswerChange.id).offset(seen_version)).all()
    return all(author == user.id for author in authors)


# --- summary and finishing ----------------------------------------------------------------

@dataclass
class CategorySummary:
    """Progress and rate of one category."""

    category: ChecklistCategory
    answered: int
    total: int
    rate: scoring.Rate
    answers: list[Answer] = field(default_factory=list)  # in checklist order

    @property
    def category_id(self) -> int:
        """The category's id (what the progress fragments are keyed by)."""
        return self.category.id


@dataclass
class Summary:
    """What the inspector sees before finishing."""

    evaluation: scoring.Evaluation
    categories: list[CategorySummary]
    unanswered: list[ChecklistItem] = field(default_factory=list)
    notes_missing: list[ChecklistItem] = field(default_factory=list)
    photos_missing: list[ChecklistItem] = field(default_factory=list)
    failed: list[Answer] = field(default_factory=list)
    equipment_ok: bool = True
    version: int = 0

    @property
    def overall(self) -> scoring.Rate:
        """The overall rate (as in :class:`portal.inspections.progress.Progress`)."""
        return self.evaluation.overall

    @property
    def blocking(self) -> bool:
        """True when the inspection cannot be finished yet."""
        return bool(self.unanswered or self.notes_missing or self.photos_missing or not self.equipment_ok)


def answer_rows(inspection: Inspection) -> list[tuple]:
    """(item code, outcome, value, note) of every answer in checklist order, as plain rows
    (what a signature's fingerprint is computed from; no objects needed)."""
    return [tuple(row) for row in db.session.execute(
        select(ChecklistItem.code, Answer.outcome, Answer.value, Answer.note)
        .join(ChecklistItem, Answer.item_id == ChecklistItem.id).join(ChecklistCategory)
        .where(Answer.inspection_id == inspection.id)
        .order_by(ChecklistCategory.position, ChecklistItem.position))]


def load_answers(inspection: Inspection) -> list[Answer]:
    """Answers with their items and categories, in checklist order, in one query."""
    return list(db.session.scalars(_ANSWERS_IN_ORDER, {"inspection_id": inspection.id}))


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every checklist page asks.
_ANSWERS_IN_ORDER = (select(Answer).join(ChecklistItem).join(ChecklistCategory)
                     .where(Answer.inspection_id == bindparam("inspection_id"))
                     .options(selectinload(Answer.item).selectinload(ChecklistItem.category))
                     .order_by(ChecklistCategory.position, ChecklistItem.position))


def summarise(inspection: Inspection, answers: list[Answer] | None = None) -> Summary:
    """Rates, grade or fail reasons, and what still blocks finishing."""
    answers = load_answers(inspection) if answers is None else answers
    equipment_ok = has_valid_equipment(inspection)
    photo_counts = item_photo_counts(inspection.id)
    evaluation = scoring.evaluate(((a.item.category.code, a.outcome) for a in answers), equipment_ok)
    categories: dict[int, CategorySummary] = {}
    for a in answers:
        cat = categories.setdefault(a.item.category_id, CategorySummary(a.item.category, 0, 0, scoring.Rate(0, 0)))
        cat.total += 1
        cat.answered += a.outcome is not None
        cat.answers.append(a)
    for cat in categories.values():
        cat.rate = evaluation.categories.get(cat.category.code, scoring.Rate(0, 0))
    return Summary(
        evaluation=evaluation, categories=list(categories.values()), equipment_ok=equipment_ok,
        unanswered=[a.item for a in answers if a.outcome is None],
        notes_missing=[a.item for a in answers if a.outcome == Outcome.FAIL.value
                       and a.item.note_required_on_fail and not a.note.strip()],
        photos_missing=[a.item for a in answers if a.outcome == Outcome.FAIL.value
                        and a.item.photo_required_on_fail and not photo_counts.get(a.item_id)],
        failed=[a for a in answers if a.outcome == Outcome.FAIL.value],
        version=answers_version(inspection))


@dataclass
class NoticeInput:
    """What the inspector decides on site when an inspection fails (checked and used by rectification)."""

    deadline: date
    reinspection_date: date
    fixes: dict[int, str] = field(default_factory=dict)  # checklist item id → required fix


def finish(inspection: Inspection, user: User, seen_version: int, notice_input: NoticeInput | None = None,
           at: datetime | None = None, own_changes: bool = False) -> Summary:
    """Freeze the result. Finishing a finished inspection changes nothing.

    ``at``: when the inspector finished on site (the phone's time, clock corrected; None: now).
    ``own_changes``: the phone finished after answers it gave itself since the summary it kept
    (they waited in its outbox): changes since ``seen_version`` are accepted when every one of
    them is ``user``'s own; anybody else's is still a change he has not seen.

    Raises InspectionError("changed") when answers changed since the summary the inspector
    saw, and InspectionError("blocked") while something is missing; receivers of
    ``inspection_finishing`` may refuse too (rectification: "notice_invalid"). Receivers of
    ``inspection_finished`` then do the rest (notice, penalties, notifications).
    """
    inspection = _lock(inspection)
    if inspection.is_completed:
        return summarise(inspection)
    _require_open(inspection)
    answers = load_answers(inspection)
    summary = summarise(inspection, answers)
    if summary.version != seen_version and not (own_changes and only_own_changes_since(inspection, user, seen_version)):
        raise InspectionError("changed", summary)
    if summary.blocking:
        raise InspectionError("blocked", summary)
    signals.inspection_finishing.send(inspection, user=user, summary=summary, notice_input=notice_input)
    _freeze(inspection, summary.evaluation)
    inspection.status = InspectionStatus.COMPLETED.value
    inspection.finished_at = at or utcnow()
    inspection.finished_by_id = user.id
    _event(inspection, user, "finished", "pass" if inspection.passed else "fail", at=at)
    db.session.flush()
    signals.inspection_finished.send(inspection, user=user, notice_input=notice_input, answers=answers)
    return summary


def _lock(inspection: Inspection) -> Inspection:
    """Re-read the inspection row FOR UPDATE, so two finishes run one after the other."""
    return db.session.scalar(select(Inspection).where(Inspection.id == inspection.id)
                             .with_for_update().execution_options(populate_existing=True))


def _freeze(inspection: Inspection, evaluation: scoring.Evaluation) -> None:
    inspection.passed = evaluation.passed
    inspection.grade = evaluation.grade.value if evaluation.grade else None
    inspection.passed_count = evaluation.overall.passed
    inspection.applicable_count = evaluation.overall.applicable
    value = evaluation.overall.value
    inspection.overall_rate = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_DOWN) if value is not None else None
    inspection.category_scores = [{"code": code, "passed": r.passed, "applicable": r.applicable}
                                  for code, r in evaluation.categories.items()]
    inspection.fail_reasons = [[reason.value, detail] for reason, detail in evaluation.reasons]


def reopen(inspection: Inspection, user: User, reason: str) -> None:
    """Office reopens a completed inspection with a written reason (logged); the result is cleared.

    Receivers of ``inspection_reopening`` may refuse (certificates: "certified"); receivers of
    ``inspection_reopened`` undo what finishing started (notices withdrawn, signatures voided).
    """
    reason = reason.strip()
    if not reason:
        raise InspectionError("reason_required")
    inspection = _lock(inspection)
    if not inspection.is_completed:
        raise InspectionError("not_completed")
    if db.session.scalar(select(Inspection.id).where(Inspection.project_id == inspection.project_id,
                                                     Inspection.round > inspection.round)):
        raise InspectionError("later_round")  # the next round is planned on this result already
    signals.inspection_reopening.send(inspection, user=user, reason=reason)
    inspection.status = InspectionStatus.IN_PROGRESS.value
    for name in ("passed", "grade", "passed_count", "applicable_count", "overall_rate", "category_scores",
                 "fail_reasons", "finished_at", "finished_by_id"):
        setattr(inspection, name, None)
    _event(inspection, user, "reopened", reason[:2000])
    signals.inspection_reopened.send(inspection, user=user, reason=reason)
    db.session.flush()


def _event(inspection: Inspection, user: User, kind: str, detail: str = "", at: datetime | None = None) -> None:
    db.session.add(InspectionEvent(inspection_id=inspection.id, user_id=user.id, kind=kind, detail=detail,
                                   captured_at=at))


def note_phone_clock(inspection: Inspection, offset_seconds: int | None) -> None:
    """Keep the largest offset of the inspector's phone clock seen on this inspection (shown to the office)."""
    if offset_seconds is None:
        return
    if inspection.clock_offset_seconds is None or abs(offset_seconds) > abs(inspection.clock_offset_seconds):
        inspection.clock_offset_seconds = offset_seconds
