"""Completion acceptance and repair acceptance as signable records.

Registered into :mod:`portal.signatures.records` at start-up.

- 竣工验收单 (003 流程24): owner, foreman and inspector sign the acceptance with the owner's
  evaluation; the inspector who runs it collects the signatures on his phone.
- Repair acceptance (003 流程28 《报修记录、派工、验收、回访单》; 001 §11.2.9 业主确认签字): the
  owner signs once the repair is done (and, for leaks, the water test passed); the crew leader
  it was dispatched to collects.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.aftercare.models import CompletionAcceptance, RepairRequest
from portal.aftercare.warranty import WATER_TEST_KINDS
from portal.signatures.records import RecordType, register_record_type


def acceptance_content(acceptance: CompletionAcceptance) -> dict:
    """Project, date, inspector and the owner's evaluation."""
    return {"type": "completion", "project": acceptance.project.contract_no,
            "accepted_on": acceptance.accepted_on, "inspector": acceptance.inspector_id,
            "ratings": [acceptance.rating_quality, acceptance.rating_service, acceptance.rating_timeliness],
            "comment": acceptance.comment, "warranty_explained": acceptance.warranty_explained}


def repair_content(repair: RepairRequest) -> dict:
    """The repair as done: what was reported, what was done, the water test, cost and responsibility."""
    return {"type": "repair", "project": repair.project.contract_no, "repair": repair.id, "kind": repair.kind,
            "description": repair.description, "work_done": repair.work_done,
            "water_test_passed": repair.water_test_passed, "cost": repair.cost,
            "responsibility": repair.responsibility, "repaired_at": repair.repaired_at}


def repair_ready(repair: RepairRequest) -> bool:
    """Signable once repaired; a leak only after a passed water test (001 §11.2.7)."""
    if repair.repaired_at is None:
        return False
    return repair.kind not in WATER_TEST_KINDS or repair.water_test_passed is True


COMPLETION_RECORD = RecordType(
    name="completion", title=_l("Completion acceptance"), required=("owner", "foreman", "inspector"), optional=(),
    model=CompletionAcceptance, content=acceptance_content, project=lambda acceptance: acceptance.project,
    ready=lambda acceptance: True,
    lock_effect="the project may be handed over (the warranty starts on the acceptance date)",
    run_by=lambda acceptance: acceptance.inspector_id)

REPAIR_RECORD = RecordType(
    name="repair", title=_l("Repair acceptance"), required=("owner",), optional=(),
    model=RepairRequest, content=repair_content, project=lambda repair: repair.project, ready=repair_ready,
    lock_effect="the repair is accepted; what was done, its cost and responsibility stay as signed",
    run_by=lambda repair: repair.assignee_id)


def register() -> None:
    """Make completion acceptances and repair acceptances signable."""
    register_record_type(COMPLETION_RECORD)
    register_record_type(REPAIR_RECORD)
