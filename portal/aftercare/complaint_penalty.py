"""The fault recorded against the first handler when a complaint comes back on the same matter.

000 第三节 投诉处理制度 5: 对待客户对某一问题的第二次投诉(此问题已经历一个完整的处理流程)……经核查，
对第一次处理投诉不力的部门和承办人，要进行过失处罚. Item 7 names the two degrees, 一般过失 or
严重过失 "按情节严重程度"; the regulations give no amount for either. So the penalty is recorded at
once, in the penalty register with the others, as ``COMPLAINT_REPEAT_PENALTY`` says (default: a
general fault without a fine, the lighter degree); office annuls it there, with its reason, when
the check (经核查) finds the first handling was not at fault, or records more by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from portal.aftercare.models import Complaint
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionStatus
from portal.penalties.models import Penalty, PenaltyKind
from portal.penalties.services import record_penalty

DEFAULT_RULE = "general_fault"
HANDLER_ROLE = "complaint_handler"  # the capacity the person is penalised in (Penalty.role)
FAULT_KINDS = (PenaltyKind.GENERAL_FAULT, PenaltyKind.SERIOUS_FAULT)


class RepeatPenaltyConfigError(ValueError):
    """``COMPLAINT_REPEAT_PENALTY`` is not ``general_fault`` or ``serious_fault``, with an optional ``:amount``."""


@dataclass(frozen=True)
class RepeatPenalty:
    """What the first handler gets: the degree of fault and an optional fine in yuan."""

    kind: PenaltyKind
    amount: Decimal | None = None


def parse_rule(text: str | None) -> RepeatPenalty:
    """``general_fault``, ``serious_fault`` or either with ``:<yuan>`` (``serious_fault:200``); empty: the default."""
    kind, _sep, amount = (text or DEFAULT_RULE).strip().partition(":")
    if kind.strip() not in {k.value for k in FAULT_KINDS}:
        raise RepeatPenaltyConfigError(f"COMPLAINT_REPEAT_PENALTY: {kind!r} is not general_fault or serious_fault")
    try:
        fine = Decimal(amount.strip()) if amount.strip() else None
    except InvalidOperation:
        fine = Decimal(-1)
    if fine is not None and (not fine.is_finite() or fine < 0 or fine >= Decimal("1e8")):
        raise RepeatPenaltyConfigError(f"COMPLAINT_REPEAT_PENALTY: {amount!r} is not an amount in yuan")
    return RepeatPenalty(PenaltyKind(kind.strip()), fine.quantize(Decimal("0.01")) if fine is not None else None)


def reason_for(first: Complaint) -> str:
    """The penalty's reason: one per first complaint (a third complaint on it records nothing new)."""
    return f"complaint_{first.id}_repeat"


def penalise_first_handling(first: Complaint, rule: RepeatPenalty) -> Penalty | None:
    """Record the fault against the handler of ``first``; None when nobody handled it or nothing to file it under.

    A penalty is filed under an inspection of the project (the register's schema: every penalty
    belongs to one); the project's latest finished inspection (its passed pre-acceptance, for a
    handed-over home) is the one, and a project never inspected gets none.
    """
    if first.handler is None:
        return None
    inspection = latest_finished_inspection(first.project_id)
    if inspection is None:
        return None
    return record_penalty(first.handler, HANDLER_ROLE, rule.kind, reason_for(first), inspection, amount=rule.amount)


def latest_finished_inspection(project_id: int) -> Inspection | None:
    """The project's most recently finished inspection."""
    finished = select(Inspection).where(Inspection.project_id == project_id,
                                        Inspection.status == InspectionStatus.COMPLETED.value)
    return db.session.scalar(finished.order_by(Inspection.finished_at.desc(), Inspection.id.desc()).limit(1))
