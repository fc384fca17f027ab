"""Demo data: one user per role and a handful of projects in Xi'an. Demo only."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import create_user
from portal.extensions import db
from portal.checklists.models import ChecklistTemplate
from portal.checklists.services import load_default_template
from portal.equipment.models import Equipment
from portal.inspections.models import Inspection
from portal.inspections.services import create_inspection
from portal.projects.models import Project, ProjectStatus
from portal.timeutil import local_today

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


# (name, serial number, days since calibration, days of validity left); one expired on purpose.
DEMO_EQUIPMENT = [
    ("2米靠尺（垂直检测尺）", "JC-KC-001", 100, 265),
    ("楔形塞尺", "JC-SC-002", 100, 265),
    ("木材含水率测试仪", "JC-HS-003", 60, 305),
    ("绝缘电阻测试仪（兆欧表）", "JC-ZO-004", 30, 335),
    ("漏电保护测试仪", "JC-LD-005", 30, 335),
    ("钢卷尺 5 m", "JC-JC-006", 200, 165),
    ("激光水平仪", "JC-SP-007", 375, -10),
]


def seed_demo() -> bool:
    """Load the demo data where missing; True when something was created.

    Idempotent: a second run the same day changes nothing. Run on a later day, it moves
    the demo inspection to today, so that the inspector always has one to open.
    """
    created = _seed_people_and_projects()
    template_count = db.session.scalar(select(func.count()).select_from(ChecklistTemplate))
    load_default_template()
    created |= template_count == 0
    created |= _seed_equipment()
    created |= _seed_todays_inspection()
    db.session.flush()
    return created


def _seed_people_and_projects() -> bool:
    if db.session.scalar(select(User.id).where(User.username == "inspector")) is not None:
        return False
    users = {role: create_user(username, name, DEMO_PASSWORD, {role}, phone)
             for username, name, role, phone in DEMO_USERS}
    for row in DEMO_PROJECTS:
        no, address, owner, phone, studio, designer, amount, start, planned, status = row
        db.session.add(Project(
            contract_no=no, address=address, owner_name=owner, owner_phone=phone, design_studio=studio,
            designer=designer, contract_amount=amount, start_date=start, planned_completion=planned,
            status=status.value, foreman=users[Role.FOREMAN], project_manager=users[Role.PROJECT_MANAGER],
        ))
    db.session.flush()
    return True


def _seed_equipment() -> bool:
    if db.session.scalar(select(func.count()).select_from(Equipment)):
        return False
    today = local_today()
    for name, serial, age, left in DEMO_EQUIPMENT:
        db.session.add(Equipment(name=name, serial_no=serial, calibrated_on=today - timedelta(days=age),
                                 valid_until=today + timedelta(days=left)))
    return True


def _seed_todays_inspection() -> bool:
    """The demo inspector has an inspection of A26101201 today."""
    today = local_today()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    project = db.session.scalar(select(Project).where(Project.contract_no == DEMO_PROJECTS[0][0]))
    if inspector is None or project is None:
        return False
    inspection = db.session.scalar(select(Inspection).where(Inspection.project_id == project.id)
                                   .order_by(Inspection.round.desc()).limit(1))
    if inspection is None:
        office = db.session.scalar(select(User).where(User.username == "office"))
        create_inspection(project, today, inspector, office or inspector)
        return True
    if inspection.scheduled_date < today and not inspection.is_completed:
        inspection.scheduled_date = today
        return True
    return False
