"""Generate the load-benchmark dataset: a year of one company's pre-acceptance work in PostgreSQL.

2,000 projects, 5,000 inspections over the last 12 months (89 answer rows each once
started, about 440,000 answers), rectification notices with their items for every failed
round, the escalation penalties, a pass certificate for every passed round, settlement
payments, 20,000 photo rows and one open inspection per benchmark inspector for the load
test to answer.

The year is the demo's story (``portal/demo/story.py``) at a hundred times the demo's size:
the same generator decides the projects, rounds, answers and dates, and results (pass/fail,
grade, rates) are what the portal's own scoring rules compute from those answers. The demo
plays its story through the services; this module writes it in bulk for speed. The accounts,
checklist and equipment come from the demo's reference chapters.

The rows are random but reproducible (fixed seed). Photo rows share a small pool of real
JPEG files (made with the portal's own image pipeline); certificate rows share one real
PDF. ``build()`` returns a manifest (users, ids, an API token) for the load test.

Run alone: ``.venv/bin/python benchmarks/dataset.py [DATABASE_URL] [--scale 4]`` (drops and
recreates the database named in the URL, default ``portal_bench``). ``--scale 4`` builds the
cost-growth dataset: four times the flats, rounds (about 1.8 million answers), notices, photos,
foremen and project managers, with the same 20 benchmark inspectors.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/portal_bench"
PASSWORD = "bench1234"
PROJECTS, INSPECTIONS, PHOTOS = 2000, 5000, 20000
INSPECTORS, FOREMEN, MANAGERS = 20, 120, 40
PHOTO_POOL = 24
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
STUDIO = "A 曲江设计室"


def bench_size(scale: int = 1):
    """The demo's story at the benchmark's size (``scale`` times the company): finished rounds leave one
    open inspection per inspector.

    A larger company has more flats, rounds, foremen and project managers; the 20 benchmark
    inspectors stay 20 (they are the load test's people), so each has ``scale`` times the history.
    """
    from portal.demo.story import Size

    return Size(projects=PROJECTS * scale, inspections=INSPECTIONS * scale - INSPECTORS, foremen=FOREMEN * scale,
                managers=MANAGERS * scale, inspectors=INSPECTORS, rectifying=PROJECTS * scale * 8 // 100, upcoming=0,
                failures=tuple(range(4, 16)))


@dataclass
class Manifest:
    """What the load test needs to know about the generated data."""

    database_url: str
    upload_dir: str
    inspectors: list[dict] = field(default_factory=list)  # username, inspection id, item ids (kind)
    foremen: list[dict] = field(default_factory=list)  # username, notice ids
    contract_numbers: list[str] = field(default_factory=list)
    api_token: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    password: str = PASSWORD
    scale: int = 1  # times the standard size (1: about 445,000 answers; 4: about 1.8 million)
    build_seconds: float = 0.0  # how long build() took, migrations and VACUUM ANALYZE included

    def save(self, path: Path) -> None:
        """Write the manifest as JSON."""
        path.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest written by :meth:`save`."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def recreate_database(url: str) -> None:
    """Drop and create the database named in ``url`` (through the server's ``postgres`` database)."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit((parts.scheme.split("+")[0], parts.netloc, "/postgres", parts.query, ""))
    name = parts.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def app_env(database_url: str, upload_dir: Path) -> dict[str, str]:
    """Environment of the benchmarked app (production settings apart from the secret)."""
    return {"PORTAL_ENV": "production", "DATABASE_URL": database_url, "UPLOAD_DIR": str(upload_dir),
            "SECRET_KEY": "bench-secret-" + "x" * 40, "BASE_URL": "http://127.0.0.1", "LANGUAGE": "zh_CN",
            "COMPANY_NAME": "西安示例装饰工程有限公司", "RATELIMIT_STORAGE_URI": "memory://",
            "SESSION_COOKIE_SECURE": "false"}


def build(database_url: str, upload_dir: Path, seed: int = 2026, scale: int = 1) -> Manifest:
    """Recreate the database, migrate it, and fill it at ``scale`` times the size; returns the manifest."""
    started = time.perf_counter()
    recreate_database(database_url)
    env = {**os.environ, **app_env(database_url, upload_dir)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    from portal import create_app
    from portal.demo import REFERENCE_CHAPTERS, seed_demo
    from portal.extensions import db

    app = create_app(app_env(database_url, upload_dir))
    with app.app_context(), app.test_request_context():
        seed_demo(REFERENCE_CHAPTERS)  # accounts, checklist, equipment (the demo's year is not loaded here)
        db.session.commit()
        manifest = Generator(random.Random(seed), database_url, upload_dir, seed, scale).run()
    analyse(database_url)
    manifest.build_seconds = round(time.perf_counter() - started, 1)
    return manifest


def analyse(url: str) -> None:
    """VACUUM ANALYZE: planner statistics as autovacuum keeps them on a database in use."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


class Generator:
    """Fills the tables in dependency order; one transaction, bulk inserts."""

    def __init__(self, rng: random.Random, database_url: str, upload_dir: Path, seed: int = 2026, scale: int = 1):
        self.rng = rng
        self.seed = seed
        self.scale = scale
        self.manifest = Manifest(database_url=database_url, upload_dir=str(upload_dir), scale=scale)
        self.upload_dir = upload_dir
        from portal.timeutil import local_today

        self.today = local_today()

    # --- helpers --------------------------------------------------------------------------------

    def insert(self, model, rows: list[dict], returning: bool = False) -> list[int]:
        """Bulk insert (executemany); with ``returning`` the new ids in order."""
        from sqlalchemy import insert

        from portal.extensions import db

        if not rows:
            return []
        if returning:
            ids = []
            for start in range(0, len(rows), 2000):
                result = db.session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                                            rows[start:start + 2000])
                ids.extend(result.scalars())
            return ids
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start:start + 5000])
        return []

    def moment(self, day: date, hour: int = 10) -> datetime:
        """A UTC timestamp on a local (UTC+8) working day."""
        local = datetime.combine(day, dtime(hour, self.rng.randrange(60)))
        return (local - timedelta(hours=8)).replace(tzinfo=None)

    # --- steps ----------------------------------------------------------------------------------

    def run(self) -> Manifest:
        """All steps; commits once at the end."""
        from portal.extensions import db

        started = time.perf_counter()
        self.load_reference()
        self.make_users()
        self.make_projects()
        self.make_history()
        self.make_open_inspections()
        self.make_photos()
        self.make_token()
        self.fix_counters()
        db.session.commit()
        self.count_rows()
        print(f"dataset generated in {time.perf_counter() - started:.0f} s: {self.manifest.counts}", flush=True)
        return self.manifest

    def load_reference(self) -> None:
        """The demo's users, checklist and equipment (the demo's reference chapters)."""
        from sqlalchemy import select

        from portal.auth.models import User
        from portal.checklists.models import ChecklistCategory, ChecklistItem
        from portal.checklists.services import current_template
        from portal.equipment.models import Equipment
        from portal.extensions import db

        self.template = current_template()
        self.items = list(db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.template_id == self.template.id, ChecklistItem.retired.is_(False))
            .order_by(ChecklistItem.position)))
        self.categories = {c.id: c for c in db.session.scalars(select(ChecklistCategory).where(
            ChecklistCategory.template_id == self.template.id))}
        self.equipment = [e for e in db.session.scalars(select(Equipment)) if e.is_valid_on(self.today)][0]
        self.office = db.session.scalar(select(User).where(User.username == "office"))
        self.finance = db.session.scalar(select(User).where(User.username == "finance"))

    def make_users(self) -> None:
        """Inspectors, foremen and project managers; one password hash shared (hashing is slow by design)."""
        from werkzeug.security import generate_password_hash

        from portal.auth.models import User, UserRole

        password_hash = generate_password_hash(PASSWORD, method="scrypt")
        people = ([(f"bench-insp{n:02d}", "inspector") for n in range(1, INSPECTORS + 1)]
                  + [(f"bench-fm{n:03d}", "foreman") for n in range(1, FOREMEN * self.scale + 1)]
                  + [(f"bench-pm{n:03d}", "project_manager") for n in range(1, MANAGERS * self.scale + 1)])
        rows = [{"username": name, "display_name": self.rng.choice(SURNAMES) + name[-3:], "password_hash": password_hash,
                 "phone": f"139{self.rng.randrange(10**8):08d}", "active": True, "session_version": 1,
                 "created_at": self.moment(self.today - timedelta(days=400))} for name, _role in people]
        ids = self.insert(User, rows, returning=True)
        self.insert(UserRole, [{"user_id": uid, "role": role} for uid, (_n, role) in zip(ids, people)])
        by_role = defaultdict(list)
        for uid, (name, role) in zip(ids, people):
            by_role[role].append((uid, name))
        self.inspectors, self.foremen, self.managers = by_role["inspector"], by_role["foreman"], by_role["project_manager"]

    def make_projects(self) -> None:
        """The story's 2,000 flats (valid 档案号: studio letter, start date, sequence) and their people."""
        from sqlalchemy import select

        from portal.demo.chapters import item_specs
        from portal.demo.story import make_story
        from portal.extensions import db
        from portal.projects.models import Project

        used = set(db.session.scalars(select(Project.contract_no)))  # the demo's projects
        self.story = make_story(self.today, item_specs(self.template), bench_size(self.scale), seed=self.seed,
                                taken=used)
        rows = [{
            "contract_no": p.contract_no, "address": p.address, "owner_name": p.owner_name,
            "owner_phone": p.owner_phone, "design_studio": p.studio, "designer": p.designer,
            "project_manager_id": self.managers[p.manager][0], "foreman_id": self.foremen[p.foreman][0],
            "contract_amount": p.amount, "start_date": p.start, "planned_completion": p.planned_completion,
            "status": "work_complete", "created_at": self.moment(p.start), "updated_at": self.moment(p.start)}
            for p in self.story.projects]
        ids = self.insert(Project, rows, returning=True)
        self.projects = [{**row, "id": pid} for pid, row in zip(ids, rows)]
        self.manifest.contract_numbers = [p["contract_no"] for p in self.projects]

    def measured_value(self, item, outcome: str) -> Decimal | None:
        """A value inside the item's limit for a pass, outside for a fail (the story's rule)."""
        from portal.demo.story import measured_value

        if not item.is_measured or outcome == "na":
            return None
        return measured_value(item.limit, outcome == "fail", 0.5)

    def make_history(self) -> None:
        """Completed rounds over 12 months with answers, notices, penalties, certificates, payments."""
        from portal.certificates.models import PassCertificate
        from portal.finance.models import SettlementPayment
        from portal.inspections.models import Inspection, InspectionEquipment, InspectionEvent
        from portal.penalties.models import Penalty
        from portal.rectification.escalation import rules_for_round
        from portal.rectification.models import NoticeItem, RectificationNotice

        pdf = self.certificate_pdf()
        plans = []  # (project, round, day, outcomes, evaluation, answers, planned project, inspector)
        for project, planned in zip(self.projects, self.story.projects):
            answers = {}
            for rnd in planned.rounds:
                answers = {**answers, **rnd.answers}  # a reinspection answers again what failed; the rest carries
                outcomes = [answers[item.id].outcome for item in self.items]
                plans.append((project, rnd.number, rnd.day, outcomes, rnd.evaluation, dict(answers), planned,
                              self.inspectors[rnd.inspector][0]))
        rows = []
        for project, round_no, day, _outcomes, ev, _answers, _planned, inspector in plans:
            rate = ev.overall.value
            rows.append({
                "project_id": project["id"], "template_id": self.template.id, "round": round_no, "scheduled_date": day,
                "scheduled_time": dtime(9 + self.rng.randrange(8)), "inspector_id": inspector,
                "created_by_id": self.office.id, "created_at": self.moment(day - timedelta(days=7)),
                "status": "completed", "started_at": self.moment(day, 9), "foreman_present": True,
                "project_manager_present": self.rng.random() < 0.8, "others_present": "",
                "handbook_present": self.rng.random() < 0.97, "finished_at": self.moment(day, 11),
                "finished_by_id": inspector, "passed": ev.passed, "grade": ev.grade.value if ev.grade else None,
                "passed_count": ev.overall.passed, "applicable_count": ev.overall.applicable,
                "overall_rate": (Decimal(rate.numerator) / Decimal(rate.denominator)).quantize(Decimal("0.0001")),
                "category_scores": [{"code": c, "passed": r.passed, "applicable": r.applicable}
                                    for c, r in ev.categories.items()],
                "fail_reasons": [[reason.value, detail] for reason, detail in ev.reasons]})
        ids = self.insert(Inspection, rows, returning=True)
        self.copy("answers", ["inspection_id", "item_id", "outcome", "value", "note", "updated_at", "updated_by_id"],
                  ((iid, item.id, plan[5][item.id].outcome, _decimal(plan[5][item.id].value), "", row["finished_at"],
                    row["inspector_id"]) for iid, row, plan in zip(ids, rows, plans) for item in self.items))
        self.insert(InspectionEquipment, [{"inspection_id": iid, "equipment_id": self.equipment.id,
                                           "calibrated_on": self.equipment.calibrated_on,
                                           "valid_until": self.equipment.valid_until, "recorded_at": row["started_at"],
                                           "recorded_by_id": row["inspector_id"]} for iid, row in zip(ids, rows)])
        self.insert(InspectionEvent, [event for iid, row in zip(ids, rows) for event in (
            {"inspection_id": iid, "user_id": row["inspector_id"], "at": row["started_at"], "kind": "started", "detail": ""},
            {"inspection_id": iid, "user_id": row["inspector_id"], "at": row["finished_at"], "kind": "finished",
             "detail": "pass" if row["passed"] else "fail"})])
        self.inspections = [{**row, "id": iid} for iid, row in zip(ids, rows)]

        # Notices for failed rounds (closed by the next round), penalties by the escalation table.
        notices, notice_items, penalties, certificates, payments = [], [], [], [], []
        per_day: dict[date, int] = defaultdict(int)
        per_year: dict[int, int] = defaultdict(int)
        self.counters: dict[str, int] = {}
        next_round = {(r["project_id"], r["round"]): r for r in self.inspections}
        names = {uid: name for uid, name in self.inspectors + self.foremen + self.managers}
        foreman_notices = defaultdict(list)
        for row, plan in zip(self.inspections, plans):
            project, day = plan[0], plan[2]
            if row["passed"]:
                per_year[day.year] += 1
                number = f"YS-{day.year}-{per_year[day.year]:06d}"
                certificates.append({
                    "number": number, "project_id": project["id"], "inspection_id": row["id"],
                    "fingerprint": hashlib.sha256(number.encode()).hexdigest(), "grade": row["grade"],
                    "overall_rate": row["overall_rate"], "issued_at": self.moment(day + timedelta(days=2), 15),
                    "issued_by_id": self.office.id, "pdf_key": pdf[0], "pdf_sha256": pdf[1], "revoke_reason": "",
                    "facts": {"contract_no": project["contract_no"], "address": project["address"],
                              "owner": project["owner_name"], "foreman": names[project["foreman_id"]],
                              "project_manager": names[project["project_manager_id"]],
                              "inspector": names[row["inspector_id"]], "inspection_date": day.isoformat(),
                              "round": row["round"], "grade": row["grade"],
                              "score": f"{row['passed_count'] / row['applicable_count'] * 100:.1f}%",
                              "issued": (day + timedelta(days=2)).isoformat()}})
                if plan[6].paid:
                    payments.append({"project_id": project["id"], "paid_on": day + timedelta(days=20),
                                     "amount": project["contract_amount"] * Decimal("0.05"),
                                     "reference": f"FK{day:%Y%m%d}{row['id']:05d}", "recorded_by_id": self.finance.id,
                                     "recorded_at": self.moment(day + timedelta(days=20))})
                continue
            per_day[day] += 1
            later = next_round.get((project["id"], row["round"] + 1))
            notices.append({
                "number": f"ZG-{day:%Y%m%d}-{per_day[day]:03d}", "project_id": project["id"],
                "inspection_id": row["id"], "round": row["round"], "inspector_id": row["inspector_id"],
                "created_at": row["finished_at"], "deadline": day + timedelta(days=7),
                "reinspection_date": day + timedelta(days=10),
                "status": "closed" if later and later["passed"] else ("superseded" if later else "open"),
                "reinspection_id": later["id"] if later else None,
                "closed_at": later["finished_at"] if later else None})
            for rule in rules_for_round(row["round"]):
                person = project["foreman_id"] if rule.role == "foreman" else project["project_manager_id"]
                penalties.append({
                    "person_id": person, "role": rule.role, "kind": rule.kind.value,
                    "reason": f"round_{row['round']}_failed", "amount": rule.amount,
                    "order_stop_until": day + timedelta(days=90) if rule.order_stop_months else None,
                    "inspection_id": row["id"], "project_id": project["id"], "created_at": row["finished_at"],
                    "annul_reason": ""})
        notice_ids = self.insert(RectificationNotice, notices, returning=True)
        by_inspection = {n["inspection_id"]: (nid, n) for nid, n in zip(notice_ids, notices)}
        for row, plan in zip(self.inspections, plans):
            if row["id"] not in by_inspection:
                continue
            nid, notice = by_inspection[row["id"]]
            if notice["status"] == "open":
                foreman_notices[plan[0]["foreman_id"]].append(nid)
            failed = [(item, plan[5][item.id]) for item in self.items if plan[5][item.id].outcome == "fail"]
            for position, (item, answer) in enumerate(failed, 1):
                notice_items.append({
                    "notice_id": nid, "item_id": item.id, "position": position,
                    "category_title": self.categories[item.category_id].title, "item_text": item.text,
                    "measured_value": _decimal(answer.value), "limit_text": item.limit_text,
                    "finding": "现场检查不合格", "required_fix": item.default_fix or "按规范整改",
                    "state": "accepted" if notice["status"] != "open" else "open", "rectification_note": ""})
        self.notice_item_ids = self.insert(NoticeItem, notice_items, returning=True)
        self.insert(Penalty, penalties)
        self.insert(PassCertificate, certificates)
        self.insert(SettlementPayment, payments)
        self.counters.update({f"ZG-{d:%Y%m%d}": n for d, n in per_day.items()})
        self.counters.update({f"YS-{y}": n for y, n in per_year.items()})
        busiest = sorted(foreman_notices.items(), key=lambda kv: -len(kv[1]))[:10]
        self.manifest.foremen = [{"username": names[fid], "notices": ids} for fid, ids in busiest]

    def make_open_inspections(self) -> None:
        """One started inspection today per benchmark inspector, on a project with no rounds yet."""
        from portal.auth.models import User
        from portal.auth.roles import Role
        from portal.auth.services import create_user
        from portal.extensions import db
        from portal.inspections.services import create_inspection, record_start
        from portal.projects.models import Project
        from portal.timeutil import local_today

        foreman = create_user("bench-fm-open", "孙师傅", PASSWORD, {Role.FOREMAN})
        for n, (uid, username) in enumerate(self.inspectors):
            inspector = db.session.get(User, uid)
            project = Project(contract_no=f"E{local_today():%y%m%d}{n + 1:02d}", address=f"西安市高新区基准测试小区{n + 1}号",
                              owner_name="测试业主", owner_phone="13700000000", design_studio=STUDIO,
                              designer="孙雅", foreman_id=foreman.id, project_manager_id=self.managers[0][0],
                              contract_amount=Decimal("150000"), start_date=self.today - timedelta(days=80),
                              planned_completion=self.today, status="work_complete")
            db.session.add(project)
            db.session.flush()
            inspection = create_inspection(project, self.today, inspector, self.office)
            record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                         handbook_present=True, equipment=[self.equipment])
            self.manifest.inspectors.append({
                "username": username, "inspection": inspection.id,
                "items": [[item.id, item.kind, _text(self.measured_value(item, "pass")),
                           _text(self.measured_value(item, "fail"))] for item in self.items]})
        db.session.flush()

    def make_photos(self) -> None:
        """20,000 photo rows on failed items, notice items and concealed-works records; files from a pool."""
        from portal.photos.models import ConcealedWorksRecord, Photo

        pool = self.photo_pool()
        records = self.insert(ConcealedWorksRecord, [{"project_id": p["id"]} for p in self.projects[:1500 * self.scale]],
                              returning=True)
        failed = [(r["id"], r["project_id"], r["inspector_id"], r["finished_at"]) for r in self.inspections if not r["passed"]]
        systems = ["water_supply", "electrical", "drainage", "waterproofing"]
        rows = []
        for n in range(PHOTOS * self.scale):
            files = pool[n % len(pool)]
            row = {"uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), "location": "客厅", "note": "",
                   "sha256": files["sha256"], "size_bytes": files["size"], "width": 1600, "height": 1200,
                   "format": "jpeg", "original_key": files["original"], "display_key": files["display"],
                   "thumb_key": files["thumb"], "delete_reason": ""}
            kind = n % 4
            if kind < 2 and failed:  # a failed item's evidence
                iid, pid, uploader, at = self.rng.choice(failed)
                row.update(project_id=pid, inspection_id=iid, item_id=self.rng.choice(self.items).id,
                           uploaded_by_id=uploader, uploaded_at=at, captured_at=at)
            elif kind == 2 and self.notice_item_ids:  # an "after" photo of rework
                project = self.rng.choice(self.projects)
                row.update(project_id=project["id"], notice_item_id=self.rng.choice(self.notice_item_ids),
                           uploaded_by_id=project["foreman_id"], uploaded_at=self.moment(self.today - timedelta(days=5)))
            else:  # concealed works before they are covered
                index = self.rng.randrange(len(records))
                project = self.projects[index]
                row.update(project_id=project["id"], record_id=records[index], system=self.rng.choice(systems),
                           stage="before_covering", uploaded_by_id=project["foreman_id"],
                           uploaded_at=self.moment(project["start_date"] + timedelta(days=20)))
            rows.append(row)
        self.insert(Photo, rows)

    def photo_pool(self) -> list[dict]:
        """A few real photos stored through the portal's image pipeline; rows point at them."""
        from PIL import Image, ImageDraw

        from portal.photos import imaging
        from portal.storage import get_storage

        storage = get_storage()
        pool = []
        for n in range(PHOTO_POOL):
            image = Image.new("RGB", (1600, 1200), (180 + n, 170, 150))
            draw = ImageDraw.Draw(image)
            for _ in range(40):
                x, y = self.rng.randrange(1600), self.rng.randrange(1200)
                draw.rectangle((x, y, x + 120, y + 80), fill=tuple(self.rng.randrange(256) for _ in range(3)))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=85)
            data = buffer.getvalue()
            processed = imaging.process(data, lambda _captured: ["A00000000 · 基准测试", "2026-01-01 10:00 · 基准"])
            base = f"photos/pool/{n:02d}"
            keys = {"original": f"{base}/original.jpg", "display": f"{base}/display.jpg", "thumb": f"{base}/thumb.jpg"}
            for key, content in zip(keys.values(), (data, processed.display, processed.thumbnail)):
                storage.put(key, content)
            pool.append({**keys, "sha256": processed.sha256, "size": len(data)})
        return pool

    def certificate_pdf(self) -> tuple[str, str]:
        """One stored PDF that every generated certificate row points at: (key, sha256)."""
        from portal.storage import get_storage

        from weasyprint import HTML

        pdf = HTML(string="<html><body><h1>预验收合格证（基准测试数据）</h1></body></html>").write_pdf()
        key = "certificates/bench-dataset.pdf"
        get_storage().put(key, pdf)
        return key, hashlib.sha256(pdf).hexdigest()

    def make_token(self) -> None:
        """An accounting API token for the finance load."""
        from portal.api.tokens import create_token

        _row, self.manifest.api_token = create_token("bench", self.finance)

    def fix_counters(self) -> None:
        """Number series continue after the generated notices and certificates."""
        from sqlalchemy.dialects.postgresql import insert

        from portal.extensions import db
        from portal.numbering import NumberSequence

        rows = [{"series": s, "last_value": v} for s, v in self.counters.items()]
        statement = insert(NumberSequence)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["series"], set_={"last_value": statement.excluded.last_value}), rows)

    def copy(self, table: str, columns: list[str], rows) -> None:
        """COPY rows into ``table`` (much faster than INSERT for the answers)."""
        from portal.extensions import db

        connection = db.session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def count_rows(self) -> None:
        """Row counts of the main tables, for the report."""
        from sqlalchemy import text

        from portal.extensions import db

        for table in ("projects", "inspections", "answers", "rectification_notices", "notice_items", "penalties",
                      "pass_certificates", "photos", "users"):
            self.manifest.counts[table] = db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _decimal(value: str | None) -> Decimal | None:
    """The story's typed value as stored."""
    return None if value is None else Decimal(value)


def _text(value: Decimal | None) -> str:
    """A measured value as typed on the phone (``""`` for check items)."""
    return "" if value is None else format(value.normalize(), "f")


def main(argv: list[str] | None = None) -> int:
    """Build the dataset into the given (or default) database and print the manifest path."""
    import argparse

    parser = argparse.ArgumentParser(description="Generate the load-benchmark dataset (drops the database first).")
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--scale", type=int, default=1, help="times the standard size (4: about 1.8 million answers)")
    args = parser.parse_args(argv)
    url = args.url
    work = Path(os.environ.get("BENCH_DIR", "/tmp/portal-bench"))
    work.mkdir(parents=True, exist_ok=True)
    manifest = build(url, work / "uploads", scale=args.scale)
    manifest.save(work / "manifest.json")
    print(work / "manifest.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
