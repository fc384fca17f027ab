"""Plain factories for test data: each returns a flushed object with sensible defaults."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import count

from werkzeug.security import generate_password_hash

from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from portal.projects.models import Project, ProjectStatus

_seq = count(1)


def make_user(role: Role | None = None, *, roles: set[Role] | None = None, username: str | None = None,
              password: str = "secret-pass-1", active: bool = True, display_name: str | None = None) -> User:
    """Create a user holding ``role`` (or ``roles``)."""
    n = next(_seq)
    user = User(username=username or f"user{n}", display_name=display_name or f"测试用户{n}", active=active)
    user.password_hash = _password_hash(password)
    user.set_roles(roles if roles is not None else ({role} if role else set()))
    db.session.add(user)
    db.session.flush()
    return user


@lru_cache(maxsize=8)
def _password_hash(password: str) -> str:
    """scrypt is slow on purpose; hash each test password once per run."""
    return generate_password_hash(password, method="scrypt")


def make_project(*, foreman: User | None = None, project_manager: User | None = None, contract_no: str | None = None,
                 status: ProjectStatus = ProjectStatus.WORK_COMPLETE, **fields) -> Project:
    """Create a project in Xi'an, with a new foreman and project manager unless given."""
    n = next(_seq)
    project = Project(
        contract_no=contract_no or f"T{26}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{(n % 99) + 1:02d}",
        address=fields.pop("address", f"西安市雁塔区测试路{n}号{n}01室"),
        owner_name=fields.pop("owner_name", f"业主{n}"),
        owner_phone=fields.pop("owner_phone", "13800000000"),
        design_studio=fields.pop("design_studio", "T 测试设计室"),
        designer=fields.pop("designer", "设计师"),
        contract_amount=fields.pop("contract_amount", Decimal("100000.00")),
        start_date=fields.pop("start_date", date(2026, 9, 1)),
        planned_completion=fields.pop("planned_completion", date(2026, 11, 30)),
        status=status.value,
        foreman=foreman or make_user(Role.FOREMAN),
        project_manager=project_manager or make_user(Role.PROJECT_MANAGER),
        **fields,
    )
    db.session.add(project)
    db.session.flush()
    return project


def make_template(*, status: str = "published", family: str | None = None, version: int = 1):
    """A small checklist: two categories with check items and one measured item (wood moisture ≤ 12 %)."""
    from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate

    n = next(_seq)
    template = ChecklistTemplate(family=family or f"test{n}", version=version, name="测试检查表",
                                 name_en="Test checklist", status=status)
    spec = {
        "electrical": [("check", "插座左零右火上接地", {"note_required_on_fail": True}), ("check", "漏电保护器动作正常", {}),
                       ("check", "同一房间插座高度一致", {})],
        "carpentry": [("measured", "木材含水率", {"unit": "%", "limit_max": Decimal("12")}),
                      ("check", "接缝严密", {})],
    }
    for c_pos, (code, items) in enumerate(spec.items(), start=1):
        category = ChecklistCategory(position=c_pos, code=code, title=f"分项{code}", title_en=code.title())
        template.categories.append(category)
        for i_pos, (kind, text, extra) in enumerate(items, start=1):
            category.items.append(ChecklistItem(template=template, position=i_pos, code=f"{code}.{i_pos}", kind=kind,
                                                text=text, text_en=text, **extra))
    db.session.add(template)
    db.session.flush()
    return template


def make_equipment(*, valid_from: date | None = None, valid_until: date | None = None, serial: str | None = None):
    """A calibrated instrument (valid for a year around today unless dates are given)."""
    from datetime import timedelta

    from portal.equipment.models import Equipment
    from portal.timeutil import local_today

    today = local_today()
    equipment = Equipment(name="靠尺", serial_no=serial or f"EQ-{next(_seq)}",
                          calibrated_on=valid_from or today - timedelta(days=30),
                          valid_until=valid_until or today + timedelta(days=300))
    db.session.add(equipment)
    db.session.flush()
    return equipment


def make_inspection(*, inspector: User | None = None, project: Project | None = None, template=None,
                    started: bool = True, handbook: bool = True, equipment: list | None = None,
                    scheduled_date: date | None = None):
    """An inspection of a (new) project on a small template, started with valid equipment unless told."""
    from portal.inspections.services import record_start
    from portal.timeutil import local_today

    inspector = inspector or make_user(Role.INSPECTOR)
    project = project or make_project()
    template = template or make_template()
    office = make_user(Role.OFFICE)
    from portal.inspections.models import Inspection

    inspection = Inspection(project=project, template=template, round=1, inspector=inspector,
                            scheduled_date=scheduled_date or local_today(), created_by_id=office.id)
    db.session.add(inspection)
    db.session.flush()
    if started:
        record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                     handbook_present=handbook, equipment=[make_equipment()] if equipment is None else equipment)
    return inspection


# --- photos (tests/photos) ------------------------------------------------------------------

def make_image_bytes(width: int = 400, height: int = 300, *, fmt: str = "JPEG", orientation: int | None = None,
                     captured: str | None = None, model: str | None = None, gps: bool = False,
                     mode: str = "RGB", quality: int = 90) -> bytes:
    """An in-memory photo-like image (gradient with a red top-left corner), with the EXIF facts asked for.

    ``captured`` is an EXIF DateTimeOriginal ("2026:05:01 10:30:00", camera local time);
    ``gps`` adds a GPS IFD (Xi'an), so tests can check it does not reach derived versions.
    """
    import io

    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    red = {"RGB": (255, 0, 0), "RGBA": (255, 0, 0, 255)}.get(mode, 0)
    image.paste(red, (0, 0, max(1, width // 4), max(1, height // 4)))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if model is not None:
        exif[0x0110] = model
    if captured is not None or gps:
        exif[0x010F] = "TestMaker"  # Pillow writes sub-IFDs only next to an IFD0 entry
    if captured is not None:
        exif.get_ifd(0x8769)[0x9003] = captured
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (34.0, 15.0, 36.0), 3: "E", 4: (108.0, 56.0, 24.0)})
    out = io.BytesIO()
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if len(exif):
        options["exif"] = exif
    image.save(out, fmt, **options)
    return out.getvalue()


def make_photo(project=None, *, uploader: User | None = None, data: bytes | None = None, inspection=None,
               item_id: int | None = None, system: str = "water_supply", location: str = "主卫",
               note: str = "", photo_uuid: str | None = None, storage=None):
    """A stored photo: files in the app's store (or ``storage``) and a flushed row.

    Without ``inspection`` it documents the project's concealed-works record (uploaded by
    its foreman unless told); with one, an item of that inspection (by its inspector).
    """
    import uuid

    from portal.photos.services import PhotoTarget, concealed_record, store_photo
    from portal.storage import get_storage

    if inspection is not None:
        project = inspection.project
        target = PhotoTarget(project=project, inspection_id=inspection.id, item_id=item_id, location=location)
        uploader = uploader or inspection.inspector
    else:
        project = project or make_project()
        target = PhotoTarget(project=project, record=concealed_record(project), system=system, location=location,
                             stage="before_covering", note=note)
        uploader = uploader or project.foreman
    photo, _created, _keys = store_photo(target, photo_uuid or str(uuid.uuid4()), data or make_image_bytes(),
                                         uploader, storage or get_storage())
    return photo


# --- signatures (tests/signatures) ----------------------------------------------------------

def make_signature_png(width: int = 600, height: int = 200, *, ink: bool = True, fmt: str = "PNG") -> bytes:
    """What the signature pad sends: a transparent RGBA canvas with (unless ``ink=False``) one black line.

    ``fmt="JPEG"`` gives the same drawing as JPEG bytes (for refusing non-PNG data).
    """
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line([(width // 6, height // 2), (width // 3, height // 2 + min(10, height // 4))],
                                   fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    (image.convert("RGB") if fmt == "JPEG" else image).save(out, fmt)
    return out.getvalue()


def signature_data_url(data: bytes | None = None, mime: str = "image/png") -> str:
    """``data`` (default: a signed canvas) as the data URL the pad puts in its hidden field."""
    import base64

    return f"data:{mime};base64," + base64.b64encode(data if data is not None else make_signature_png()).decode()


def make_strokes(points: int = 3) -> str:
    """signature_pad stroke JSON: one stroke with ``points`` timed points."""
    import json

    return json.dumps([{"penColor": "black", "points": [{"x": 10 + i, "y": 20 + i, "time": 1000 + i, "pressure": 0.5}
                                                        for i in range(points)]}])


def make_finished_inspection(*, outcome: str = "pass", value: str = "10", **kwargs):
    """An inspection (see make_inspection) with every item answered and finished."""
    from portal.inspections.services import answers_version, finish, load_answers, save_answer, save_note

    inspection = make_inspection(**kwargs)
    for row in load_answers(inspection):
        if row.item.is_measured:
            save_answer(row, inspection.inspector, raw_value=value)
        else:
            save_answer(row, inspection.inspector, outcome=outcome)
            if outcome == "fail" and row.item.note_required_on_fail:
                save_note(row, inspection.inspector, "需整改")
    finish(inspection, inspection.inspector, answers_version(inspection))
    return inspection


def make_signature(record_type_name: str, record, slot: str, *, user: User | None = None, signer_name: str | None = None,
                   storage=None, link=None, refusal_reason: str = "", witness_name: str = "",
                   witness_relation: str = ""):
    """A stored signature on ``slot`` of ``record``, made against the record's current fingerprint."""
    from portal.signatures import services
    from portal.signatures.records import record_type
    from portal.storage import get_storage

    rtype = record_type(record_type_name)
    data = services.SignatureInput(
        slot=slot, signer_name=signer_name or f"签字人{next(_seq)}",
        png=services.parse_signature_png(signature_data_url()), strokes=services.parse_strokes(make_strokes()),
        seen_fingerprint=services.current_fingerprint(rtype, record), refusal_reason=refusal_reason,
        witness_name=witness_name, witness_relation=witness_relation)
    signature, _key = services.sign(rtype, record, data, storage or get_storage(), user=user, link=link)
    return signature


# --- rectification notices (tests/rectification, tests/penalties, tests/notifications) -------

FAIL_VALUE = "15"  # wood moisture above the template's 12 % limit


def answer_items(inspection, *, fail=(), value: str = "10", note: str = "需整改") -> None:
    """Answer every item that is not carried over: items whose text is in ``fail`` fail (the measured
    one with 15 %), the others pass (measured: ``value``); failed items get ``note``."""
    from portal.inspections.services import load_answers, save_answer, save_note

    for row in load_answers(inspection):
        if row.carried_from_id is not None:
            continue
        failing = row.item.text in fail
        if row.item.is_measured:
            save_answer(row, inspection.inspector, raw_value=FAIL_VALUE if failing else value)
        else:
            save_answer(row, inspection.inspector, outcome="fail" if failing else "pass")
        if failing and note:
            save_note(row, inspection.inspector, note)


def notice_for(inspection):
    """The latest rectification notice issued for ``inspection``, or None."""
    from sqlalchemy import select

    from portal.rectification.models import RectificationNotice

    return db.session.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection.id)
                             .order_by(RectificationNotice.id.desc()))


def finish_answered(inspection, notice_input=None):
    """Finish ``inspection`` as its inspector with its answers as they are; returns its notice (or None)."""
    from portal.inspections.services import answers_version, finish

    finish(inspection, inspection.inspector, answers_version(inspection), notice_input)
    return notice_for(inspection)


def set_default_fixes(template, fixes: dict | None = None) -> None:
    """Give every item of ``template`` a default fix: ``fixes[text]`` or ``"按规范整改：<text>"``."""
    for category in template.categories:
        for item in category.items:
            item.default_fix = (fixes or {}).get(item.text, f"按规范整改：{item.text}")
    db.session.flush()


def make_failed_inspection(*, fail=("插座左零右火上接地",), notice_input=None, default_fixes: bool = True, **kwargs):
    """An inspection (see make_inspection) with the items in ``fail`` failing, finished: (inspection, notice).

    The template's items get default fixes unless ``default_fixes=False`` (or a template is given).
    """
    if "template" not in kwargs:
        kwargs["template"] = make_template()
        if default_fixes:
            set_default_fixes(kwargs["template"])
    inspection = make_inspection(**kwargs)
    answer_items(inspection, fail=fail)
    return inspection, finish_answered(inspection, notice_input)


def run_reinspection(notice, *, fail=(), inspector: User | None = None, office: User | None = None, day=None,
                     handbook: bool = True):
    """Office schedules ``notice``'s reinspection; its inspector starts it, answers the items to check
    again (``fail`` failing) and finishes it: (reinspection, its new notice or None)."""
    from portal.inspections.services import record_start
    from portal.rectification.services import schedule_reinspection
    from portal.timeutil import local_today

    inspector = inspector or notice.inspector
    reinspection = schedule_reinspection(notice, day or local_today(), inspector, office or make_user(Role.OFFICE))
    record_start(reinspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=handbook, equipment=[make_equipment()])
    answer_items(reinspection, fail=fail)
    return reinspection, finish_answered(reinspection)


# --- certificates, settlement, API tokens (tests/certificates, tests/finance, tests/api) ------

def sign_fully(inspection, *, storage=None, owner: bool = False, names: dict | None = None) -> dict:
    """Sign ``inspection`` on every required slot (inspector, foreman, project manager), and the owner's
    optional slot when ``owner``; each as the slot's own user where there is one. Returns {slot: signature}."""
    project = inspection.project
    users = {"inspector": inspection.inspector, "foreman": project.foreman, "project_manager": project.project_manager}
    slots = ["inspector", "foreman", "project_manager"] + (["owner"] if owner else [])
    return {slot: make_signature("inspection", inspection, slot, user=users.get(slot) or inspection.inspector,
                                 signer_name=(names or {}).get(slot), storage=storage)
            for slot in slots}


def make_signed_inspection(*, storage=None, owner: bool = False, names: dict | None = None, **kwargs):
    """A finished, passed inspection (see make_finished_inspection) signed by everybody required."""
    inspection = make_finished_inspection(**kwargs)
    sign_fully(inspection, storage=storage, owner=owner, names=names)
    return inspection


def issue_certificate(inspection, *, user: User | None = None, storage=None, render=None):
    """Issue the pass certificate of ``inspection`` as an office user (the real PDF unless ``render``)."""
    from flask import current_app, has_request_context

    from portal.certificates import services
    from portal.certificates.pdf import render_certificate_pdf
    from portal.storage import get_storage

    if not has_request_context():  # templates need a request (current_user), as in the real view
        with current_app.test_request_context():
            return issue_certificate(inspection, user=user, storage=storage, render=render)
    certificate, _key = services.issue(inspection, user or make_user(Role.OFFICE), storage or get_storage(),
                                       render or render_certificate_pdf)
    return certificate


def fake_pdf(certificate) -> bytes:
    """A stand-in renderer for tests that do not look at the PDF (WeasyPrint takes a while)."""
    return b"%PDF-1.7\n% test certificate " + certificate.number.encode() + b"\n%%EOF\n"


def make_payment(project, *, user: User | None = None, paid_on: date | None = None,
                 amount: Decimal = Decimal("100000.00"), reference: str = "BANK-0001", certificate=None):
    """A recorded settlement payment of ``project``."""
    from portal.finance.models import SettlementPayment
    from portal.timeutil import local_today

    payment = SettlementPayment(project_id=project.id, certificate_id=certificate.id if certificate else None,
                                paid_on=paid_on or local_today(), amount=amount, reference=reference,
                                recorded_by_id=(user or make_user(Role.FINANCE)).id)
    db.session.add(payment)
    db.session.flush()
    return payment


def make_api_token(name: str = "accounting", *, user: User | None = None):
    """An active accounting API token: (row, plain token)."""
    from portal.api.tokens import create_token

    return create_token(name, user or make_user(Role.ADMIN))


# --- weekly schedule (tests/schedule) -------------------------------------------------------

def published_template():
    """The published default checklist new inspections start on (made if there is none)."""
    from portal.checklists.services import DEFAULT_FAMILY, current_template

    return current_template() or make_template(family=DEFAULT_FAMILY)


def make_submission(week_start: date, *, projects: list | None = None, user: User | None = None,
                    submitted: bool = True, late: bool = False):
    """Engineering's list for the week starting ``week_start`` with ``projects`` (default: one new
    work-complete project), submitted unless told."""
    from portal.schedule.models import SubmissionEntry, WeeklySubmission
    from portal.timeutil import utcnow

    user = user or make_user(Role.ENGINEERING)
    submission = WeeklySubmission(week_start=week_start, submitted_at=utcnow() if submitted else None,
                                  submitted_by_id=user.id if submitted else None, late=late)
    for project in projects if projects is not None else [make_project()]:
        submission.entries.append(SubmissionEntry(project=project, added_by_id=user.id))
    db.session.add(submission)
    db.session.flush()
    return submission


def freeze_schedule_clock(monkeypatch, moment):
    """Make the schedule's views and services, and the dates forms accept, see ``moment`` (aware,
    company time) as now."""
    from portal import params
    from portal.schedule import services, views

    monkeypatch.setattr(params, "local_today", lambda: moment.date())
    monkeypatch.setattr(services, "local_now", lambda: moment)
    monkeypatch.setattr(views, "local_now", lambda: moment)
    monkeypatch.setattr(views, "local_today", lambda: moment.date())


# --- dashboard and awards (tests/dashboard) -------------------------------------------------

GRADED_ELECTRICAL = tuple(f"电气{i:02d}" for i in range(1, 21))
GRADED_CARPENTRY = tuple(f"木作{i:02d}" for i in range(1, 5))


def make_graded_template():
    """A checklist of 24 check items: 20 electrical (电气01 … 电气20) and 4 carpentry (木作01 … 木作04).

    Failing electrical items only: 1 → 95.8 % excellent, 2 → 91.7 % good, 3 → 87.5 % pass,
    4 → 83.3 %, failed. Any failed carpentry item fails the inspection (3/4 = 75 %).
    """
    from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate

    template = ChecklistTemplate(family=f"graded{next(_seq)}", version=1, name="评分测试表",
                                 name_en="Graded checklist", status="published")
    for position, (code, title, texts) in enumerate(
            [("electrical", "电气", GRADED_ELECTRICAL), ("carpentry", "木作", GRADED_CARPENTRY)], start=1):
        category = ChecklistCategory(position=position, code=code, title=title, title_en=code.title())
        template.categories.append(category)
        for i, text in enumerate(texts, start=1):
            category.items.append(ChecklistItem(template=template, position=i, code=f"{code}.{i:02d}", kind="check",
                                                text=text, text_en=f"{code.title()} {i:02d}",
                                                default_fix=f"按规范整改：{text}"))
    db.session.add(template)
    db.session.flush()
    return template


def set_finished_at(inspection, local_moment):
    """Move a finished inspection's finish time, and the penalties it caused, to ``local_moment``
    (naive, company time), as if it had been finished then."""
    from datetime import timezone

    from sqlalchemy import select

    from portal.penalties.models import Penalty
    from portal.timeutil import COMPANY_TZ

    moment = local_moment.replace(tzinfo=COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)
    inspection.finished_at = moment
    for penalty in db.session.scalars(select(Penalty).where(Penalty.inspection_id == inspection.id)):
        penalty.created_at = moment
    db.session.flush()


def make_project_rounds(rounds, *, template=None, inspector: User | None = None, **project_fields):
    """A new project inspected round after round; each of ``rounds`` is (texts of the failing items,
    local finish time or None for now). Round 1 runs on ``template`` (default: a new graded one),
    later rounds are reinspections of the previous round's notice. Returns the inspections."""
    template = template or make_graded_template()
    inspection = make_inspection(project=make_project(**project_fields), template=template, inspector=inspector)
    answer_items(inspection, fail=rounds[0][0])
    notice = finish_answered(inspection)
    inspections = [inspection]
    for fail, _moment in rounds[1:]:
        inspection, notice = run_reinspection(notice, fail=fail)
        inspections.append(inspection)
    for inspection, (_fail, moment) in zip(inspections, rounds):
        if moment is not None:
            set_finished_at(inspection, moment)
    return inspections
