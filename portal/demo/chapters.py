"""Applying the story through the portal's own services, chapter by chapter.

``CHAPTERS`` is the demo in order: each chapter is a function ``chapter(demo) -> bool`` (True when it
created something) that is idempotent on its own (it looks for its rows before making them). A
feature that wants demo rows adds its chapter to the list (see docs/ARCHITECTURE.md, "Demo data").

Past events run under :func:`portal.timeutil.clock_at`, so the services stamp them with their own day:
an inspection finished last March has last March's finish time, notice number, deadline and
penalties; a certificate issued then is numbered in that year's series.
"""
from __future__ import annotations

import base64
import io
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from portal.aftercare.demo import seed_aftercare_demo
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import create_user
from portal.certificates.pdf import render_certificate_pdf
from portal.certificates.services import issue, revoke
from portal.checklists.models import ChecklistItem
from portal.checklists.services import current_template, load_default_template
from portal.demo import images
from portal.demo.story import REQUESTED, SCHEDULED, ItemSpec, Round, Story, make_story
from portal.demo.story import Project as PlannedProject
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.finance.services import record_payment
from portal.finance.settlement import load_facts
from portal.inspections.models import Inspection, InspectionStatus
from portal.inspections.services import (
    answers_version, create_inspection, finish, load_answers, record_start, save_answer, save_note,
)
from portal.inspections.signing import INSPECTION_RECORD
from portal.notifications.models import Notification
from portal.photos.models import ClosureTest
from portal.photos.services import PhotoTarget, concealed_record, store_photo
from portal.photos.signing import CLOSURE_TEST_RECORD, CONCEALED_RECORD
from portal.plans.demo import DEMO_PLAN_TITLE, seed_markup_demo
from portal.plans.models import FloorPlan
from portal.projects.models import Project, ProjectStatus
from portal.rectification.models import RectificationNotice
from portal.rectification.notify import send_deadline_reminders
from portal.rectification.services import mark_rectified, request_reinspection, schedule_reinspection
from portal.rectification.signing import NOTICE_RECORD
from portal.schedule.rules import inspection_day, next_week_start, week_start
from portal.schedule.services import add_entry, get_or_create_submission, schedule_entry, submit
from portal.signatures.services import SignatureInput, current_fingerprint, parse_signature_png, parse_strokes, sign
from portal.storage import TEMP_PREFIX, FileSystemStorage, Storage, StorageError
from portal.timeutil import clock_at, local_now, local_today, utcnow

SEED = 2026

# Demo-only accounts; README and `make run` print them. Never use these in production.
DEMO_PASSWORD = "demo1234"
DEMO_USERS = [
    ("inspector", "王建国", Role.INSPECTOR, "13891000001"),
    ("foreman", "李师傅", Role.FOREMAN, "13891000002"),
    ("pm", "张项目", Role.PROJECT_MANAGER, "13891000003"),
    ("engineering", "赵工", Role.ENGINEERING, "13891000004"),
    ("office", "陈监察", Role.OFFICE, "13891000005"),
    ("finance", "刘会计", Role.FINANCE, "13891000006"),
    ("admin", "系统管理员", Role.ADMIN, None),
]
# The company's other people (they have the demo password too). The first of each role in the story
# is the demo login; these follow it.
STAFF = [
    ("foreman2", "王师傅", Role.FOREMAN, "13891000012"),
    ("foreman3", "赵师傅", Role.FOREMAN, "13891000013"),
    ("foreman4", "孙师傅", Role.FOREMAN, "13891000014"),
    ("foreman5", "周师傅", Role.FOREMAN, "13891000015"),
    ("pm2", "吴经理", Role.PROJECT_MANAGER, "13891000022"),
    ("pm3", "郑经理", Role.PROJECT_MANAGER, "13891000023"),
    ("inspector2", "杨质检", Role.INSPECTOR, "13891000032"),
    ("inspector3", "黄质检", Role.INSPECTOR, "13891000033"),
]

# The projects that are "now" on the demo: their numbers are known to the README and the browser tests.
DEMO_PROJECTS = [
    ("A26101201", "西安市雁塔区曲江池东路曲江六号3号楼2单元1502室", "周志强", "13709110001", "A 曲江设计室", "孙雅",
     Decimal("186500.00"), date(2026, 10, 20), date(2026, 12, 10), ProjectStatus.WORK_COMPLETE),
    ("A26101502", "西安市高新区锦业路绿地世纪城B区12号楼1801室", "吴丽华", "13709110002", "A 曲江设计室", "孙雅",
     Decimal("142300.00"), date(2026, 10, 25), date(2026, 12, 20), ProjectStatus.IN_PROGRESS),
    ("B26092801", "西安市未央区凤城八路首创国际城5号楼903室", "郑海涛", "13709110003", "B 经开设计室", "马晨",
     Decimal("98700.00"), date(2026, 10, 8), date(2026, 11, 28), ProjectStatus.WORK_COMPLETE),
    ("C26090501", "西安市碑林区南关正街中贸广场7号楼2204室", "冯晓燕", "13709110004", "C 城南设计室", "韩雪",
     Decimal("231000.00"), date(2026, 9, 15), date(2026, 11, 30), ProjectStatus.WORK_COMPLETE),
    ("B26110301", "西安市长安区西长安街紫薇西棠9号楼1单元602室", "何建平", "13709110005", "B 经开设计室", "马晨",
     Decimal("120800.00"), date(2026, 11, 10), date(2027, 1, 15), ProjectStatus.IN_PROGRESS),
]

# (name, serial number, days since calibration, days of validity left); one expired on purpose, and
# the previous calibration period's instruments the year's earlier inspections were measured with.
DEMO_EQUIPMENT = [
    ("2米靠尺（垂直检测尺）", "JC-KC-001", 100, 265),
    ("楔形塞尺", "JC-SC-002", 100, 265),
    ("木材含水率测试仪", "JC-HS-003", 60, 305),
    ("绝缘电阻测试仪（兆欧表）", "JC-ZO-004", 30, 335),
    ("漏电保护测试仪", "JC-LD-005", 30, 335),
    ("钢卷尺 5 m", "JC-JC-006", 200, 165),
    ("激光水平仪", "JC-SP-007", 375, -10),
    ("2米靠尺（上一检定周期）", "JC-KC-901", 470, -101),
    ("楔形塞尺（上一检定周期）", "JC-SC-902", 470, -101),
]

CONCEALED_ROOMS = [("water_supply", "厨房"), ("drainage", "卫生间"), ("electrical", "客厅"),
                   ("electrical", "主卧"), ("waterproofing", "卫生间"), ("heating", "客厅")]
FINDINGS = ["现场检查不符合标准，已拍照", "实测超出允许偏差", "未按图纸施工", "表面有明显缺陷"]
FIXES = ["已按要求返工，现场复核合格", "已更换并重新安装", "已修补，拍照留档"]


@dataclass
class Demo:
    """What the chapters share: the day, the story, the people and where files go."""

    today: date
    storage: Storage
    story: Story | None = None
    people: dict[str, User] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    signatures: dict[str, tuple[list[dict], bytes]] = field(default_factory=dict)

    def user(self, username: str) -> User:
        """A demo account by username (loaded once)."""
        if username not in self.people:
            self.people[username] = db.session.scalar(select(User).where(User.username == username))
        return self.people[username]

    def staff(self, role: Role) -> list[User]:
        """The story's people of one role: the demo login first."""
        logins = [u for u, _n, r, _p in DEMO_USERS + STAFF if r == role]
        return [self.user(name) for name in logins]

    def handwriting(self, name: str) -> tuple[list[dict], bytes]:
        """The pen strokes of ``name``'s signature and its PNG as the pad sends it: a person signs
        alike every time, so each is drawn once (seeded by the name) and checked once."""
        if name not in self.signatures:
            strokes = _strokes(random.Random(f"{SEED}/{name}"))
            self.signatures[name] = (strokes, _png(strokes))
        return self.signatures[name]

    def photo_uuid(self) -> str:
        """A reproducible client UUID for a photo."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


# --- chapters --------------------------------------------------------------------------------

def people(demo: Demo) -> bool:
    """The demo logins and the company's other staff: one password, hashed once (hashing is slow by design)."""
    created = False
    for username, name, role, phone in DEMO_USERS[:1]:
        if demo.user(username) is None:
            demo.people[username] = create_user(username, name, DEMO_PASSWORD, {role}, phone)
            created = True
    for username, name, role, phone in DEMO_USERS[1:] + STAFF:
        if demo.user(username) is None:
            user = User(username=username, display_name=name, phone=phone)
            user.password_hash = demo.user("inspector").password_hash
            user.set_roles({role})
            db.session.add(user)
            demo.people[username] = user
            created = True
    db.session.flush()
    return created


def checklist(demo: Demo) -> bool:
    """The company's checklist (version 1)."""
    had_one = current_template() is not None
    load_default_template()
    return not had_one


def equipment(demo: Demo) -> bool:
    """The inspection instruments with their calibration periods."""
    if db.session.scalar(select(func.count()).select_from(Equipment)):
        return False
    for name, serial, age, left in DEMO_EQUIPMENT:
        db.session.add(Equipment(name=name, serial_no=serial, calibrated_on=demo.today - timedelta(days=age),
                                 valid_until=demo.today + timedelta(days=left)))
    db.session.flush()
    return True


def current_projects(demo: Demo) -> bool:
    """The five flats the demo logins work on now (A26101201 is inspected today)."""
    if db.session.scalar(select(Project.id).where(Project.contract_no == DEMO_PROJECTS[0][0])) is not None:
        return False
    for row in DEMO_PROJECTS:
        no, address, owner, phone, studio, designer, amount, start, planned, status = row
        db.session.add(Project(
            contract_no=no, address=address, owner_name=owner, owner_phone=phone, design_studio=studio,
            designer=designer, contract_amount=amount, start_date=start, planned_completion=planned,
            status=status.value, foreman=demo.user("foreman"), project_manager=demo.user("pm")))
    db.session.flush()
    return True


def year(demo: Demo) -> bool:
    """Twelve months of inspections, notices, rework, reinspections, signatures, certificates and payments.

    Only on a database where no inspection was ever finished (a portal in real use gets no demo history).
    """
    if db.session.scalar(select(Inspection.id).where(Inspection.status == InspectionStatus.COMPLETED.value).limit(1)):
        return False
    demo.story = story_for(demo.today)
    Year(demo).play()
    return True


def schedule(demo: Demo) -> bool:
    """This week's list (submitted, partly scheduled) and next week's (being filled by engineering)."""
    if demo.story is None:  # it belongs to the year just played
        return False
    engineering, office = demo.user("engineering"), demo.user("office")
    inspectors = demo.staff(Role.INSPECTOR)
    upcoming = [_project(planned) for planned in demo.story.upcoming]
    this_week = week_start(demo.today)
    with clock_at(datetime.combine(this_week - timedelta(days=5), time(16))):  # last Wednesday
        submission = get_or_create_submission(this_week)
        for project in upcoming[:3]:
            add_entry(submission, project, engineering)
        submit(submission, engineering)
        thursday = max(inspection_day(this_week), demo.today)
        for n, entry in enumerate(submission.entries[:2]):
            schedule_entry(entry, inspectors[1 + n % 2], thursday, time(9 + 2 * n, 30), office)
    nxt = get_or_create_submission(next_week_start(demo.today))
    for project in upcoming[3:5]:
        add_entry(nxt, project, engineering)
    return True


def concealed_works(demo: Demo) -> bool:
    """Concealed-works photos by system and room on the latest projects, closure tests and signatures;
    the last project's 24-hour closure test started this morning and is still running."""
    if demo.story is None:  # it belongs to the year just played
        return False
    recent = demo.story.projects[-6:] + demo.story.upcoming
    for n, planned in enumerate(recent):
        project = _project(planned)
        foreman = project.foreman
        running = n == len(recent) - 1
        covered = (datetime.combine(demo.today, time(9)) if running
                   else datetime.combine(min(planned.start + timedelta(days=25), demo.today - timedelta(days=3)), time(15)))
        with clock_at(covered):
            record = concealed_record(project)
            for k, (system, room) in enumerate(CONCEALED_ROOMS[: 3 + n % 3]):
                target = PhotoTarget(project=project, record=record, system=system, location=room,
                                     stage="before_covering")
                store_photo(target, demo.photo_uuid(), images.site_photo(system, n + k), foreman, demo.storage)
            test = ClosureTest(record_id=record.id, location="卫生间", started_at=utcnow(), created_by_id=foreman.id)
            db.session.add(test)
            db.session.flush()
            store_photo(PhotoTarget(project=project, record=record, closure_test=test, system="waterproofing",
                                    location="卫生间", stage="closure_start"),
                        demo.photo_uuid(), images.site_photo("waterproofing", n + 1), foreman, demo.storage)
        if running:
            continue
        with clock_at(covered + timedelta(hours=25)):
            test.ended_at, test.leak, test.note = utcnow(), False, "24小时无渗漏"
            store_photo(PhotoTarget(project=project, record=record, closure_test=test, system="waterproofing",
                                    location="卫生间", stage="closure_end"),
                        demo.photo_uuid(), images.site_photo("waterproofing", n + 2), foreman, demo.storage)
            owner = (project.owner_name, None)
            _sign(demo, CLOSURE_TEST_RECORD, test, {"foreman": (foreman.display_name, foreman), "owner": owner})
            _sign(demo, CONCEALED_RECORD, record, {"foreman": (foreman.display_name, foreman), "owner": owner},
                  refuse="owner" if n == 0 else None)
    return True


def todays_work(demo: Demo) -> bool:
    """The demo inspector's work is today's: A26101201 (and any unstarted round of his left in the past) move to today."""
    inspector = demo.user("inspector")
    project = db.session.scalar(select(Project).where(Project.contract_no == DEMO_PROJECTS[0][0]))
    if inspector is None or project is None:
        return False
    changed = False
    latest = db.session.scalar(select(Inspection).where(Inspection.project_id == project.id)
                               .order_by(Inspection.round.desc()).limit(1))
    if latest is None:
        create_inspection(project, demo.today, inspector, demo.user("office") or inspector)
        changed = True
    for inspection in db.session.scalars(select(Inspection).where(
            Inspection.inspector_id == inspector.id, Inspection.scheduled_date < demo.today,
            Inspection.status == InspectionStatus.SCHEDULED.value)):
        inspection.scheduled_date = demo.today
        changed = True
    db.session.flush()
    return changed


def quiet_old_notifications(demo: Demo) -> bool:
    """Messages older than a week count as read (a year of them would bury today's)."""
    if demo.story is None:
        return False
    cutoff = utcnow() - timedelta(days=7)
    for note in db.session.scalars(select(Notification).where(Notification.read_at.is_(None),
                                                              Notification.created_at < cutoff)):
        note.read_at = note.created_at + timedelta(hours=2)
    db.session.flush()
    return True


def reminders(demo: Demo) -> bool:
    """This morning's deadline reminders for the year just played (then the daily ``flask send-reminders``
    takes over: a second run of the seed never sends any)."""
    if demo.story is None:
        return False
    send_deadline_reminders()
    return True


def markup_and_plans(demo: Demo) -> bool:
    """A marked photo of a failed item, and a floor plan with the pins of its inspection (plans.demo)."""
    if db.session.scalar(select(FloorPlan.id).where(FloorPlan.title == DEMO_PLAN_TITLE).limit(1)) is not None:
        return False
    return bool(seed_markup_demo(demo.storage))


def after_sales(demo: Demo) -> bool:
    """One certified project handed over, with its warranty card, repairs and a complaint (aftercare.demo)."""
    return seed_aftercare_demo() is not None


# The demo, in order. Later features append their chapter here (each idempotent, using its services).
CHAPTERS: list[Callable[[Demo], bool]] = [
    people, checklist, equipment, current_projects, year, concealed_works, schedule, quiet_old_notifications,
    reminders, markup_and_plans, after_sales, todays_work,
]
# What the benchmark dataset builds on (its year is applied in bulk at its own size).
REFERENCE_CHAPTERS: list[Callable[[Demo], bool]] = [people, checklist, equipment, current_projects]


# --- the year ----------------------------------------------------------------------------------

def item_specs(template=None) -> list[ItemSpec]:
    """The checklist's items as the story sees them."""
    template = template or current_template()
    items = db.session.scalars(select(ChecklistItem).where(ChecklistItem.template_id == template.id,
                                                           ChecklistItem.retired.is_(False))
                               .order_by(ChecklistItem.category_id, ChecklistItem.position, ChecklistItem.id))
    return [ItemSpec(item.id, item.category.code, item.is_measured, item.limit if item.is_measured else None)
            for item in items]


def story_for(today: date) -> Story:
    """The demo's story on the current checklist, around the demo's own contract numbers."""
    return make_story(today, item_specs(), seed=SEED, taken={row[0] for row in DEMO_PROJECTS})


class Year:
    """Plays the story's rounds in the order they happened, each step at its own time."""

    def __init__(self, demo: Demo):
        self.demo = demo
        self.story = demo.story
        self.foremen = demo.staff(Role.FOREMAN)
        self.managers = demo.staff(Role.PROJECT_MANAGER)
        self.inspectors = demo.staff(Role.INSPECTOR)
        self.office, self.finance = demo.user("office"), demo.user("finance")
        self.equipment = list(db.session.scalars(select(Equipment)))
        self.items = {item.id: item for item in db.session.scalars(select(ChecklistItem))}
        self.steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self.inspections: dict[tuple[str, int], Inspection] = {}
        self.revoked = False
        self.replaced: dict[str, set[int]] = {}

    def play(self) -> None:
        for planned in self.story.projects:
            self.plan_project(planned)
        for planned in self.story.upcoming:
            self.at(planned.start, 9, 0, lambda p=planned: self.sign_contract(p))
        latest = local_now().replace(tzinfo=None) - timedelta(minutes=10)  # nothing happens in the future
        for moment, _order, step in sorted(self.steps, key=lambda s: (s[0], s[1])):
            with clock_at(min(moment, latest)):
                step()
        db.session.flush()

    def at(self, day: date, hour: int, minute: int, step: Callable[[], None]) -> None:
        self.steps.append((datetime.combine(day, time(hour, minute)), len(self.steps), step))

    def plan_project(self, planned: PlannedProject) -> None:
        first = planned.rounds[0]
        self.at(planned.start, 9, 0, lambda: self.sign_contract(planned))
        self.at(first.day - timedelta(days=7), 10, 0, lambda: self.schedule_first(planned))
        for index, rnd in enumerate(planned.rounds):
            later = planned.rounds[index + 1] if index + 1 < len(planned.rounds) else None
            self.at(rnd.day, 9, 30 + index, lambda r=rnd: self.inspect(planned, r))
            if rnd.passed:
                self.at(rnd.day + timedelta(days=2), 15, 0, lambda r=rnd: self.certify(planned, r))
                if planned.paid:
                    self.at(rnd.day + timedelta(days=20), 11, 0, lambda: self.pay(planned))
                continue
            if rnd.number >= 3 and (later or planned.ending in (REQUESTED, SCHEDULED)):
                self.at(rnd.day + timedelta(days=1), 10, 0, lambda: self.replace_foreman(planned))
            if later or planned.ending in (REQUESTED, SCHEDULED):
                self.at(rnd.day + timedelta(days=5), 16, 0, lambda r=rnd: self.rework(planned, r))
            if later or planned.ending == SCHEDULED:
                day = later.day if later else self.demo.today + timedelta(days=self.rescheduled_after(planned))
                self.at(rnd.day + timedelta(days=6), 10, 0, lambda r=rnd, d=day: self.reinspection(planned, r, d))

    def rescheduled_after(self, planned: PlannedProject) -> int:
        """The first reinspection left scheduled is the demo inspector's today; the others in the next days."""
        scheduled = [p for p in self.story.projects if p.ending == SCHEDULED]
        return 0 if scheduled.index(planned) == 0 else 1 + scheduled.index(planned) % 5

    # --- steps ---

    def sign_contract(self, planned: PlannedProject) -> None:
        db.session.add(Project(
            contract_no=planned.contract_no, address=planned.address, owner_name=planned.owner_name,
            owner_phone=planned.owner_phone, design_studio=planned.studio, designer=planned.designer,
            contract_amount=planned.amount, start_date=planned.start, planned_completion=planned.planned_completion,
            status=ProjectStatus.WORK_COMPLETE.value, foreman=self.foremen[planned.foreman],
            project_manager=self.managers[planned.manager]))
        db.session.flush()

    def schedule_first(self, planned: PlannedProject) -> None:
        rnd = planned.rounds[0]
        inspection = create_inspection(_project(planned), rnd.day, self.inspectors[rnd.inspector], self.office)
        inspection.scheduled_time = time(9, 30)
        self.inspections[(planned.contract_no, 1)] = inspection

    def reinspection(self, planned: PlannedProject, rnd: Round, day: date) -> None:
        notice = self.notice(planned, rnd)
        inspector = self.inspectors[0 if day == self.demo.today and planned.ending == SCHEDULED
                                    else self.next_inspector(planned, rnd)]
        self.inspections[(planned.contract_no, rnd.number + 1)] = schedule_reinspection(notice, day, inspector,
                                                                                        self.office)

    def next_inspector(self, planned: PlannedProject, rnd: Round) -> int:
        later = [r for r in planned.rounds if r.number == rnd.number + 1]
        return later[0].inspector if later else rnd.inspector

    def inspect(self, planned: PlannedProject, rnd: Round) -> None:
        """Start, answer every item that is not carried over (photos and notes on failures), finish."""
        inspection = self.inspections[(planned.contract_no, rnd.number)]
        project, inspector = inspection.project, inspection.inspector
        valid = [e for e in self.equipment if e.is_valid_on(rnd.day)][:3]
        record_start(inspection, inspector, foreman_present=True, project_manager_present=rnd.project_manager_present,
                     others_present="业主" if rnd.number == 1 else "", handbook_present=rnd.handbook_present,
                     equipment=valid)
        for answer in load_answers(inspection):
            if answer.carried_from_id is not None:
                continue
            planned_answer = rnd.answers[answer.item_id]
            if planned_answer.value is not None:
                save_answer(answer, inspector, raw_value=planned_answer.value)
            else:
                save_answer(answer, inspector, outcome=planned_answer.outcome)
            if answer.outcome != planned_answer.outcome:
                raise AssertionError(f"{answer.item.code}: {planned_answer} judged {answer.outcome}")
            if planned_answer.outcome == "fail":
                save_note(answer, inspector, self.demo.rng.choice(FINDINGS))
                store_photo(PhotoTarget(project=project, inspection_id=inspection.id, item_id=answer.item_id,
                                        location=self.demo.rng.choice(["客厅", "厨房", "卫生间", "主卧", "阳台"])),
                            self.demo.photo_uuid(),
                            images.site_photo(f"defect:{answer.item.category.code}", answer.item_id),
                            inspector, self.demo.storage)
        finish(inspection, inspector, answers_version(inspection))
        if inspection.passed != rnd.passed:
            raise AssertionError(f"{planned.contract_no} round {rnd.number}: the story and the rules disagree")
        if rnd.passed:
            _sign(self.demo, INSPECTION_RECORD, inspection, {
                "inspector": (inspector.display_name, inspector),
                "foreman": (project.foreman.display_name, project.foreman),
                "project_manager": (project.project_manager.display_name, project.project_manager),
                "owner": (project.owner_name, None)})
        else:
            _sign(self.demo, NOTICE_RECORD, self.notice(planned, rnd), {
                "foreman": (project.foreman.display_name, project.foreman),
                "project_manager": (project.project_manager.display_name, project.project_manager)})

    def notice(self, planned: PlannedProject, rnd: Round) -> RectificationNotice:
        inspection = self.inspections[(planned.contract_no, rnd.number)]
        return db.session.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection.id))

    def rework(self, planned: PlannedProject, rnd: Round) -> None:
        """The foreman fixes every item, with an "after" photo, and asks for the reinspection."""
        notice = self.notice(planned, rnd)
        foreman = notice.project.foreman
        for item in notice.items:
            store_photo(PhotoTarget(project=notice.project, notice_item_id=item.id, location="现场"),
                        self.demo.photo_uuid(), images.site_photo(f"fixed:{self.items[item.item_id].category.code}",
                                                                  item.item_id), foreman, self.demo.storage)
            mark_rectified(item, foreman, self.demo.rng.choice(FIXES))
        request_reinspection(notice, foreman)

    def replace_foreman(self, planned: PlannedProject) -> None:
        """Round 3 failed: the office puts another foreman on the site (the old one is fined and stopped)."""
        project = _project(planned)
        gone = self.replaced.setdefault(planned.contract_no, set())
        gone.add(project.foreman_id)
        project.foreman = next(f for f in self.foremen[1:] + self.foremen[:1] if f.id not in gone)
        db.session.flush()

    def certify(self, planned: PlannedProject, rnd: Round) -> None:
        inspection = self.inspections[(planned.contract_no, rnd.number)]
        certificate, _key = issue(inspection, self.office, self.demo.storage, render_certificate_pdf)
        if not self.revoked and rnd.day < self.demo.today - timedelta(days=60) and not planned.paid:
            self.revoked = True
            revoke(certificate, self.office, "证书信息与现场不符：业主反映卫生间闭水试验记录缺失，待补验后重新出具")

    def pay(self, planned: PlannedProject) -> None:
        project = _project(planned)
        record_payment(project, load_facts([project.id])[project.id], self.finance, paid_on=local_today(),
                       amount=(project.contract_amount * Decimal("0.05")).quantize(Decimal("0.01")),
                       reference=f"JS{local_today():%Y%m%d}{project.id:04d}")


# --- helpers -----------------------------------------------------------------------------------

class DemoStorage(FileSystemStorage):
    """The upload folder, written without an fsync per file: a thousand demo files are written in
    one go and can be made again (a real upload keeps the store's durable write)."""

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` (temp file + rename, so a reader never sees half a file)."""
        target = self.path(key)
        temp = target.parent / f"{TEMP_PREFIX}{target.name}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(data)
            temp.replace(target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise StorageError(str(exc)) from exc


def demo_storage(storage: Storage) -> Storage:
    """``storage`` for the demo's bulk of files: the same folder, written without per-file fsync."""
    return DemoStorage(storage.root) if type(storage) is FileSystemStorage else storage


def _project(planned: PlannedProject) -> Project:
    return db.session.scalar(select(Project).where(Project.contract_no == planned.contract_no))


def _sign(demo: Demo, rtype, record, signers: dict[str, tuple[str, User | None]], refuse: str | None = None) -> None:
    """Each signer draws his name on the pad (strokes → PNG); ``refuse`` names a slot refused before a witness."""
    seen = current_fingerprint(rtype, record)  # what the signers see on the screen
    for slot, (name, user) in signers.items():
        strokes, png = demo.handwriting(name)
        refused = slot == refuse
        sign(rtype, record, SignatureInput(
            slot=slot, signer_name=name, png=png, strokes=parse_strokes(json.dumps(strokes)),
            seen_fingerprint=seen, user_agent="demo",
            refusal_reason="对卫生间闭水试验结果有异议，拒绝签字" if refused else "",
            witness_name="物业管理员 赵敏" if refused else "", witness_relation="小区物业" if refused else ""),
            demo.storage, user=user)


def _strokes(rng: random.Random) -> list[dict]:
    """Two or three pen strokes as signature_pad records them (points with times)."""
    strokes, clock = [], 1000
    for n in range(rng.randrange(2, 4)):
        x, y, points = 30 + n * 90, 60 + rng.randrange(-15, 15), []
        for k in range(12):
            x += rng.randrange(4, 12)
            y += rng.randrange(-9, 10)
            clock += 16
            points.append({"x": x, "y": y, "time": clock, "pressure": 0.5})
        strokes.append({"penColor": "black", "points": points})
    return strokes


def _png(strokes: list[dict]) -> bytes:
    image = Image.new("RGBA", (360, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        draw.line([(p["x"], p["y"]) for p in stroke["points"]], fill=(20, 20, 20, 255), width=3, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return parse_signature_png("data:image/png;base64," + base64.b64encode(out.getvalue()).decode())
