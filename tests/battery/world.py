"""The stored world the battery runs against: one object of every kind, and with ``boundary`` more at the edges.

Every kind of object a route's path can name exists (projects of the logged-in foreman and of
somebody else, inspections scheduled, started, failed with a notice and penalties, passed,
signed and certified and paid, photos, closure tests, signing links, checklist versions and a
draft, equipment, the weekly list, calendar and API tokens, notifications and awards), each
user of the seven roles logged in once. ``World.ids`` gives the real ids per path-argument
kind, ``World.values`` the real strings (certificate numbers, contract numbers, tokens, …).

The boundary world adds objects whose values sit at the edges of what the forms accept
(:mod:`portal.params`: the first business day, the last day a report or a plan may name),
the longest texts the columns hold, Unicode with emoji, right-to-left text and bidi controls,
zero and maximal amounts, and a notice with every item of the default checklist failed.
"""
from __future__ import annotations

import uuid

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.aftercare import complaint_handling, repair_requests, services as aftercare
from portal.aftercare.models import CompletionAcceptance, Complaint, RepairPhoto, RepairRequest
from portal.api.models import ApiToken
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import start_session
from portal.auth.sessions import SESSION_TOKEN_KEY
from portal.certificates.models import PassCertificate
from portal.checklists.models import FIX_MAX, ChecklistCategory, ChecklistItem, ChecklistTemplate
from portal.checklists.services import load_default_template, open_draft
from portal.dashboard.periods import first_of_month, shift_month
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.finance.forms import MAX_AMOUNT
from portal.inspections.models import Answer, Inspection, InspectionStatus
from portal.inspections.services import NOTE_MAX, answers_version, finish, load_answers, save_answer, save_note
from portal.notifications.models import Notification
from portal.params import CLOCK_SKEW, EARLIEST_DAY, latest_planned_day, latest_report_day
from portal.penalties.models import Penalty, PenaltyKind
from portal.penalties.services import record_penalty
from portal.photos.models import ClosureTest, ConcealedWorksRecord, Photo
from portal.photos.services import concealed_record
from portal.plans.models import FloorPlan
from portal.plans.services import place_pin, store_plan
from portal.rectification.models import NoticeItem, RectificationNotice
from portal.schedule import rules
from portal.schedule.calendar import create_calendar_token
from portal.projects.models import Project
from portal.schedule.models import Award, SubmissionEntry
from portal.signatures.models import Signature, SigningLink
from portal.signatures.records import RECORD_TYPES, record_type
from portal.signatures.services import create_link
from portal.storage import get_storage
from portal.timeutil import local_today, utcnow
from tests.factories import (
    answer_items, finish_answered, issue_certificate, fake_pdf, make_api_token, make_equipment, make_inspection,
    make_image_bytes, make_payment, make_photo, make_project, make_signature, make_signed_inspection, make_submission,
    make_template, make_user, published_template,
    set_default_fixes,
)

ANON = "anonymous"
ROLES = [ANON, *Role]

# Text at the edges: emoji, right-to-left script, a bidi override, CJK, a formula, a dot-dot path.
EMOJI = "😀👍🏽🏠"
RTL = "مرحبا بالعالم"
BIDI = "abc\u202egpj.exe"
EDGY = f"{EMOJI} {RTL} {BIDI} 西安市 =HYPERLINK(\"x\") .. <b>&amp;"


# Items of the many-item notice that carry the longest fix and note the forms allow. Every item at
# the maximum makes a 230-page notice PDF that takes 45 s to render (reported, not in every run).
LONGEST_ITEMS = 3


def edgy(length: int) -> str:
    """``length`` characters of edgy text (repeated)."""
    return (EDGY * (length // len(EDGY) + 1))[:length]


@dataclass
class World:
    """What the battery needs to know about the stored world."""

    users: dict[str, int]  # role → user id (no entry for anonymous)
    sessions: dict[str, str]  # role → session token of its recorded login
    ids: dict[str, list[int]] = field(default_factory=dict)  # path-argument kind → real ids
    values: dict[str, list[str]] = field(default_factory=dict)  # path-argument name → real strings
    api_token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)  # role → session cookie value
    # Path arguments that belong together: (name, name) → pairs of real values (an item of its version, …).
    pairs: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)

    def add(self, kind: str, *ids: int) -> None:
        """Remember real ids of ``kind``."""
        self.ids.setdefault(kind, []).extend(i for i in ids if i not in self.ids.get(kind, []))

    def add_value(self, name: str, *values: str) -> None:
        """Remember real strings for path argument ``name``."""
        self.values.setdefault(name, []).extend(v for v in values if v not in self.values.get(name, []))


def seed_world(*, boundary: bool = False) -> World:
    """Store the world (flushed; the caller commits) and log every role in once."""
    users = {role: make_user(role, display_name=f"{role.label}·{role.value}") for role in Role}
    world = World(users={str(r): u.id for r, u in users.items()},
                  sessions={str(r): start_session(u, "127.0.0.1", "battery") for r, u in users.items()})
    if boundary:
        load_default_template()  # the company's 89 items: notices with many items, long pages
    _normal(world, users)
    if boundary:
        _boundary(world, users)
    db.session.flush()
    _collect(world)
    return world


def _normal(world: World, users: dict) -> None:
    """One object of every kind, owned by the logged-in users where ownership matters."""
    inspector, foreman, pm = users[Role.INSPECTOR], users[Role.FOREMAN], users[Role.PROJECT_MANAGER]
    office, finance, engineering = users[Role.OFFICE], users[Role.FINANCE], users[Role.ENGINEERING]
    published_template()  # the checklist new inspections start on
    template = make_template()  # a small published version, with a draft for the editor
    set_default_fixes(template)
    open_draft(template.family, office.id)
    own, own_passed, other = (make_project(foreman=foreman, project_manager=pm),
                              make_project(foreman=foreman, project_manager=pm), make_project())
    started = make_inspection(inspector=inspector, project=own, template=template)
    answer_items(started)
    failed = make_inspection(inspector=inspector, project=own, template=template, handbook=False)
    answer_items(failed, fail=(template.categories[0].items[0].text,))
    notice = finish_answered(failed)
    make_inspection(project=other, template=template)
    make_inspection(inspector=inspector, project=other, template=template, started=False)
    passed = make_signed_inspection(inspector=inspector, project=own_passed, template=template)
    certificate = issue_certificate(passed, user=office, render=fake_pdf)
    make_payment(own_passed, user=finance, certificate=certificate)
    concealed = make_photo(own)
    make_photo(inspection=started, item_id=load_answers(started)[0].item_id)
    _plan_with_pins(own, inspector, "一层", failed, concealed)
    record = concealed_record(own)
    now = utcnow().replace(microsecond=0)
    db.session.add_all([ClosureTest(record_id=record.id, location="主卫", started_at=now - timedelta(days=2),
                                    created_by_id=foreman.id),
                        ClosureTest(record_id=record.id, location="厨房", started_at=now - timedelta(days=3),
                                    ended_at=now - timedelta(days=1), leak=False, created_by_id=foreman.id)])
    _link, token = create_link(record_type("inspection"), passed, "owner", "业主", inspector)
    world.add_value("token", token)
    make_equipment()
    make_submission(rules.week_start(local_today()) + timedelta(days=7), projects=[own], user=engineering)
    world.add_value("token", create_calendar_token(inspector))
    _row, world.api_token = make_api_token(user=users[Role.ADMIN])
    db.session.add(Notification(user_id=foreman.id, kind="notice", text="整改通知", link=f"/notices/{notice.id}"))
    db.session.add(Award(month=shift_month(first_of_month(local_today()), -1), project_id=own_passed.id,
                         inspection_id=passed.id, rank=1, confirmed_by_id=office.id))
    _aftercare(world, own_passed, users, "漏水", "噪音")


def _aftercare(world: World, project, users: dict, description: str, matter: str) -> None:
    """The project handed over (owner's link, card), a repair request with a photo, a complaint."""
    inspector, foreman, office = users[Role.INSPECTOR], users[Role.FOREMAN], users[Role.OFFICE]
    acceptance = aftercare.record_acceptance(project, inspector, accepted_on=local_today(), quality=5, service=5,
                                             timeliness=5, comment=description, warranty_explained=True)
    for slot, user in (("owner", inspector), ("foreman", foreman), ("inspector", inspector)):
        make_signature("completion", acceptance, slot, user=user)
    aftercare.record_final_payment(acceptance, office, paid_on=acceptance.accepted_on)
    handover = aftercare.hand_over(acceptance, office, get_storage(), lambda _acceptance, _url: b"%PDF-1.7 card")
    repair = repair_requests.file_repair(project, kind="waterproofing", description=description, source="owner_page",
                                   contact_phone="+86 139-1234-5678 000 0000 00"[:30])
    photo, _keys = repair_requests.add_repair_photo(repair, make_image_bytes(), get_storage())
    complaint_handling.register_complaint(project, matter=matter, description=description, complained_about=matter[:100],
                                 user=office)
    world.add_value("token", handover.token)
    world.pairs.setdefault(("token", "repair_id"), []).append((handover.token, repair.id))
    world.pairs.setdefault(("token", "photo_id"), []).append((handover.token, photo.id))


def _boundary(world: World, users: dict) -> None:
    """Objects at the edges of what the forms accept, with the longest and oddest texts."""
    inspector, foreman, pm, office = (users[Role.INSPECTOR], users[Role.FOREMAN], users[Role.PROJECT_MANAGER],
                                      users[Role.OFFICE])
    first, last_report, last_plan = EARLIEST_DAY, latest_report_day(), latest_planned_day()
    for user in users.values():
        user.display_name = edgy(100)
    big = make_project(foreman=foreman, project_manager=pm, contract_no="Z00010199", address=edgy(255),
                       owner_name=edgy(100), owner_phone="+86 139-1234-5678 000 0000 00"[:30], design_studio=edgy(100),
                       designer=edgy(100), contract_amount=MAX_AMOUNT, start_date=first,
                       planned_completion=last_report)
    small = make_project(foreman=foreman, project_manager=pm, contract_amount=Decimal("0"),
                         start_date=last_report, planned_completion=last_report)
    everything = load_default_template()
    items = [item for category in everything.categories for item in category.items]
    set_default_fixes(everything, {item.text: edgy(FIX_MAX if n < LONGEST_ITEMS else 40) for n, item in enumerate(items)})
    many = make_inspection(inspector=inspector, project=big, template=everything, handbook=False,
                           scheduled_date=first)
    _answer_at_edges(many)
    finish(many, inspector, answers_version(many))
    notice = db.session.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == many.id))
    notice.deadline = notice.reinspection_date = last_plan
    for late_day in (last_plan, first, last_report):
        planned = make_inspection(inspector=inspector, project=small, template=everything, started=False,
                                  scheduled_date=late_day)
        planned.scheduled_time = time(23, 59)
    passed = make_signed_inspection(inspector=inspector, project=small, names={"owner": edgy(100)}, owner=True)
    certificate = issue_certificate(passed, user=office, render=fake_pdf)
    make_payment(small, certificate=certificate, paid_on=first, amount=Decimal("0.01"), reference=edgy(100))
    make_payment(big, paid_on=last_report, amount=MAX_AMOUNT, reference=edgy(100))
    for amount, stop in ((Decimal("0"), last_plan), (MAX_AMOUNT, first)):
        record_penalty(foreman, "foreman", PenaltyKind.REPLACEMENT, f"round_{amount:.0f}_failed"[:40], many, amount=amount,
                       order_stop_until=stop)
    record = concealed_record(big)
    edge_photo = make_photo(big, location=edgy(100), note=edgy(500), system="drainage")
    _plan_with_pins(big, inspector, edgy(100), many, edge_photo, corner=True)
    make_photo(big, location="..", note="=HYPERLINK(\"http://x\")")
    oldest = datetime.combine(first, time.min)
    db.session.add_all([
        ClosureTest(record_id=record.id, location=edgy(100), started_at=oldest, created_by_id=foreman.id),
        ClosureTest(record_id=record.id, location=edgy(100), started_at=oldest, ended_at=utcnow() + CLOCK_SKEW,
                    leak=True, note=edgy(1000), created_by_id=foreman.id),
        ClosureTest(record_id=record.id, location="主卫", started_at=utcnow() + CLOCK_SKEW, created_by_id=foreman.id)])
    create_link(record_type("notice"), notice, "foreman", edgy(100), office)
    make_equipment(valid_from=first, valid_until=last_report, serial=edgy(60))
    for day in (first, last_report, last_plan):
        make_submission(rules.week_start(day), projects=[big, small], user=users[Role.ENGINEERING])
    db.session.add_all([Notification(user_id=user.id, kind="notice", text=edgy(5000), link="/notices/" + "9" * 290)
                        for user in users.values()])
    for month in (first, first_of_month(last_report)):
        db.session.add(Award(month=month, project_id=big.id, inspection_id=many.id, rank=1, confirmed_by_id=office.id))
    _aftercare(world, small, users, edgy(4000), edgy(200))


def _plan_with_pins(project, user, title: str, failed, photo, corner: bool = False) -> None:
    """A floor plan of ``project`` with the pin of ``failed``'s first item and of a concealed-works photo
    (at the plan's corners when ``corner``)."""
    plan, _keys = store_plan(project, title, make_image_bytes(1200, 800, fmt="PNG"), user, get_storage())
    item_id = load_answers(failed)[0].item_id
    place_pin(plan, user, str(uuid.uuid4()), 0 if corner else 0.25, 0 if corner else 0.5,
              inspection_id=failed.id, item_id=item_id)
    place_pin(plan, user, str(uuid.uuid4()), 1 if corner else 0.75, 1 if corner else 0.5, photo_id=photo.id)


def _answer_at_edges(inspection) -> None:
    """Fail every check item with the longest note and a photo; measure at the edges of what a value may be."""
    answers = load_answers(inspection)
    photo = make_photo(inspection=inspection, item_id=answers[0].item_id)
    columns = {c.key: getattr(photo, c.key) for c in Photo.__table__.columns if c.key not in ("id", "uuid", "item_id")}
    db.session.add_all([Photo(**columns, uuid=str(uuid.uuid4()), item_id=row.item_id) for row in answers[1:]])
    for n, row in enumerate(answers):
        if row.item.is_measured:
            for value in ("-999999.999", "999999.999", "0"):
                try:
                    save_answer(row, inspection.inspector, raw_value=value)
                    break
                except Exception:  # noqa: BLE001 - a value the rule refuses: try the next edge
                    continue
        else:
            save_answer(row, inspection.inspector, outcome="fail")
        save_note(row, inspection.inspector, edgy(NOTE_MAX if n < LONGEST_ITEMS else 40))


def _collect(world: World) -> None:
    """Read back every id and string a path may name (whatever created them)."""
    for kind, model in ID_MODELS.items():
        world.add(kind, *db.session.scalars(select(model.id).order_by(model.id)))
    world.add("item", *db.session.scalars(select(NoticeItem.id).order_by(NoticeItem.id)))
    world.add("record", *world.ids["inspection"], *world.ids["notice"], *world.ids["test"],
              *db.session.scalars(select(ConcealedWorksRecord.id)))
    world.add_value("number", *db.session.scalars(select(PassCertificate.number)))
    world.add_value("contract_no", *db.session.scalars(select(Project.contract_no)))
    world.add_value("family", *db.session.scalars(select(ChecklistTemplate.family).distinct()))
    # Concealed-works photos first: the sample of a path argument takes the first two and the newest.
    world.add_value("photo_uuid", *db.session.scalars(select(Photo.uuid).order_by(Photo.record_id.is_(None), Photo.id)))
    world.add_value("variant", "thumb", "display", "original")
    world.add_value("type_name", *RECORD_TYPES)
    world.add_value("kind", "weekly", "monthly")
    # An item with its own inspection: answers of inspections in progress, and failed answers.
    world.pairs[("inspection_id", "item_id")] = [tuple(row) for query in (
        select(Answer.inspection_id, Answer.item_id).join(Inspection, Inspection.id == Answer.inspection_id)
        .where(Inspection.status == InspectionStatus.IN_PROGRESS.value),
        select(Answer.inspection_id, Answer.item_id).where(Answer.outcome == "fail"))
        for row in db.session.execute(query.order_by(Answer.id).limit(8))]
    world.pairs[("template_id", "item_id")] = [tuple(row) for row in db.session.execute(
        select(ChecklistItem.template_id, ChecklistItem.id).order_by(ChecklistItem.id))]
    records = {"inspection": world.ids["inspection"], "notice": world.ids["notice"], "closure_test": world.ids["test"],
               "concealed": list(db.session.scalars(select(ConcealedWorksRecord.id)))}
    world.pairs[("type_name", "record_id")] = [(name, i) for name, ids in records.items() for i in ids]


# Path-argument kind (the argument's name without ``_id``) → the model whose ids it names.
ID_MODELS = {
    "project": Project, "inspection": Inspection, "item": ChecklistItem, "template": ChecklistTemplate,
    "category": ChecklistCategory, "notice": RectificationNotice, "equipment": Equipment, "entry": SubmissionEntry,
    "test": ClosureTest, "user": User, "token": ApiToken, "penalty": Penalty, "signature": Signature,
    "link": SigningLink, "acceptance": CompletionAcceptance, "repair": RepairRequest, "complaint": Complaint,
    "photo": RepairPhoto, "plan": FloorPlan,
}


def session_cookie(app, token: str, user_id: int) -> str:
    """The session cookie value of a browser logged in with the recorded login ``token``."""
    client = app.test_client()
    with client.session_transaction() as sess:
        sess[SESSION_TOKEN_KEY] = token
        sess["_user_id"] = db.session.get(User, user_id).get_id()
        sess["_fresh"] = True
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value
