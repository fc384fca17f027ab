"""The one permission rule, table by table: role × object state × action → allowed.

Plain stand-ins (SimpleNamespace subclasses named like the models, which is how ``can`` finds
their rules), no database: the rules read only the user's id and roles and the object's own
attributes. The session's app has registered every feature's rules.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.auth.permissions import AREAS, can
from portal.auth.roles import Role


@pytest.fixture(autouse=True)
def _rules_registered(app):
    """The features register their rules when the app is created (so this module also runs alone)."""


def stand_in(name: str) -> type:
    return type(name, (SimpleNamespace,), {})


Inspection, Project, RectificationNotice, Photo, SubmissionEntry, Signable, PassCertificate = (
    stand_in(n) for n in ("Inspection", "Project", "RectificationNotice", "Photo", "SubmissionEntry", "Signable",
                          "PassCertificate"))

OFFICE_ID, INSPECTOR_ID, OTHER_INSPECTOR_ID, FOREMAN_ID, PM_ID, STRANGER_ID = 1, 2, 3, 4, 5, 6


def user(role: Role | None, user_id: int = 99):
    return SimpleNamespace(id=user_id, roles={role} if role else set(), is_authenticated=True)


# Who is who in the tables below.
PEOPLE = {
    "office": user(Role.OFFICE, OFFICE_ID),
    "inspector": user(Role.INSPECTOR, INSPECTOR_ID),  # assigned to the project's inspection
    "other_inspector": user(Role.INSPECTOR, OTHER_INSPECTOR_ID),
    "foreman": user(Role.FOREMAN, FOREMAN_ID),  # the project's own
    "pm": user(Role.PROJECT_MANAGER, PM_ID),  # the project's own
    "other_foreman": user(Role.FOREMAN, STRANGER_ID),
    "other_pm": user(Role.PROJECT_MANAGER, STRANGER_ID),
    "engineering": user(Role.ENGINEERING),
    "finance": user(Role.FINANCE),
    "admin": user(Role.ADMIN),
    "no_role": user(None),
}
EVERYBODY = set(PEOPLE)
DESK = {"office", "inspector", "other_inspector", "engineering", "finance", "admin"}


def project(**extra):
    return Project(id=10, foreman_id=FOREMAN_ID, project_manager_id=PM_ID, **extra)


def cases(table: list[tuple]) -> list:
    """Expand (object label, object, action, allowed people) rows into one case per person."""
    return [pytest.param(PEOPLE[who], obj, action, who in allowed, id=f"{label}-{action}-{who}")
            for label, obj, action, allowed in table for who in PEOPLE]


# --- areas (what permission_required guards) -------------------------------------------------

OFFICE = {"office"}
ADMIN = {"admin"}
INSPECTORS = {"inspector", "other_inspector"}

AREA_TABLE = {
    ("dashboard", "view"): OFFICE,
    ("dashboard", "report"): OFFICE,
    ("awards", "view"): OFFICE,
    ("awards", "confirm"): OFFICE,
    ("inspections", "view"): OFFICE | INSPECTORS,
    ("inspections", "schedule"): OFFICE | INSPECTORS,
    ("inspections", "view_all"): OFFICE,
    ("inspections", "assign_inspector"): OFFICE,
    ("checklists", "view"): OFFICE,
    ("checklists", "edit"): OFFICE,
    ("checklists", "publish"): OFFICE,
    ("equipment", "view"): OFFICE,
    ("equipment", "edit"): OFFICE,
    ("my_notices", "view"): {"foreman", "pm", "other_foreman", "other_pm"},
    ("my_awards", "view"): {"foreman", "other_foreman"},
    ("weekly_list", "view"): {"engineering", "office"},
    ("weekly_list", "edit"): {"engineering"},
    ("week_schedule", "view"): OFFICE,
    ("week_schedule", "schedule"): OFFICE,
    ("week_schedule", "reschedule"): OFFICE,
    ("my_week", "view"): INSPECTORS,
    ("my_week", "share_calendar"): INSPECTORS,
    ("settlement", "view"): {"finance", "office"},
    ("settlement", "record_payment"): {"finance"},
    ("notices", "view"): OFFICE | INSPECTORS,
    ("notices", "schedule_reinspection"): OFFICE,
    ("penalties", "view"): OFFICE,
    ("penalties", "annul"): OFFICE,
    ("projects", "view"): EVERYBODY,
    ("projects", "view_all"): DESK,
    ("projects", "edit"): {"office", "engineering"},
    ("notifications", "view"): EVERYBODY,
    ("certificates", "view"): {"office", "finance"},
    ("certificates", "issue"): OFFICE,
    ("certificates", "revoke"): OFFICE,
    ("completion", "record"): OFFICE | INSPECTORS,
    ("repairs", "view"): OFFICE,
    ("repairs", "record"): OFFICE,
    ("my_repairs", "view"): {"foreman", "other_foreman"},
    ("repair_deductions", "view"): {"finance"},
    ("complaints", "view"): OFFICE,
    ("complaints", "record"): OFFICE,
    ("return_calls", "view"): OFFICE,
    ("return_calls", "record"): OFFICE,
    ("owner_links", "manage"): OFFICE,
    ("final_payment", "record"): {"office", "finance"},
    ("users", "view"): ADMIN,
    ("users", "edit"): ADMIN,
    ("api_tokens", "view"): ADMIN,
    ("api_tokens", "create"): ADMIN,
    ("api_tokens", "revoke"): ADMIN,
}


def test_the_area_table_is_covered():
    assert set(AREA_TABLE) == {(area, action) for area, actions in AREAS.items() for action in actions}


@pytest.mark.parametrize("who, area, action", [(who, area, action) for area, action in AREA_TABLE for who in PEOPLE])
def test_areas(who, area, action):
    assert can(PEOPLE[who], area, action) is (who in AREA_TABLE[(area, action)])


def test_anonymous_users_may_nothing():
    anonymous = SimpleNamespace(is_authenticated=False)
    assert not can(anonymous, "projects", "view")
    assert not can(None, "notifications")
    assert not can(anonymous, project(), "view")


def test_unknown_areas_types_and_actions_raise():
    with pytest.raises(LookupError):
        can(PEOPLE["office"], "no-such-area")
    with pytest.raises(LookupError):
        can(PEOPLE["office"], "projects", "no-such-action")
    with pytest.raises(LookupError):
        can(PEOPLE["office"], stand_in("Unregistered")(), "view")
    with pytest.raises(LookupError):
        can(PEOPLE["office"], project(), "no-such-action")


# --- projects ------------------------------------------------------------------------------

PROJECT_TABLE = [
    ("project", project(), "view", DESK | {"foreman", "pm"}),
    ("project", project(), "edit", {"office", "engineering"}),
    ("project", project(), "upload_concealed", {"office", "inspector", "other_inspector", "foreman", "pm"}),
    ("project", project(), "finish_concealed", {"office", "inspector", "other_inspector"}),
    ("project", project(), "download_archive", {"office"}),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(PROJECT_TABLE))
def test_projects(person, obj, action, allowed):
    assert can(person, obj, action) is allowed


def test_a_foreman_who_lost_his_role_no_longer_sees_his_project():
    assert not can(user(Role.PROJECT_MANAGER, FOREMAN_ID), Project(foreman_id=FOREMAN_ID, project_manager_id=None))


# --- inspections ---------------------------------------------------------------------------

def inspection(status: str):
    return Inspection(id=20, inspector_id=INSPECTOR_ID, status=status, project=project())


INSPECTION_TABLE = [
    *[(status, inspection(status), "view", {"office", "inspector"})
      for status in ("scheduled", "in_progress", "completed")],
    *[(status, inspection(status), "conduct", {"inspector"}) for status in ("scheduled", "in_progress", "completed")],
    ("scheduled", inspection("scheduled"), "answer", set()),
    ("in_progress", inspection("in_progress"), "answer", {"inspector"}),
    ("completed", inspection("completed"), "answer", set()),
    ("completed", inspection("completed"), "reopen", {"office"}),
    ("scheduled", inspection("scheduled"), "reschedule", {"office"}),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(INSPECTION_TABLE))
def test_inspections(person, obj, action, allowed):
    assert can(person, obj, action) is allowed


# --- notices -------------------------------------------------------------------------------

NOTICE = RectificationNotice(id=30, project=project(), inspector_id=INSPECTOR_ID)
NOTICE_TABLE = [
    ("notice", NOTICE, "view", DESK | {"foreman", "pm"}),
    ("notice", NOTICE, "rework", {"foreman", "pm"}),
    ("notice", NOTICE, "schedule_reinspection", {"office"}),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(NOTICE_TABLE))
def test_notices(person, obj, action, allowed):
    assert can(person, obj, action) is allowed


# --- photos --------------------------------------------------------------------------------

def photo(deleted: bool, uploader: int = FOREMAN_ID):
    return Photo(project=project(), uploaded_by_id=uploader, is_deleted=deleted)


PHOTO_TABLE = [
    ("photo", photo(False), "view", DESK | {"foreman", "pm"}),
    ("deleted", photo(True), "view", {"office"}),
    ("photo", photo(False), "original", {"office", "inspector", "other_inspector"}),
    ("deleted", photo(True), "original", {"office"}),
    ("foremans", photo(False), "delete", {"office", "foreman"}),
    ("inspectors", photo(False, uploader=INSPECTOR_ID), "delete", {"office", "inspector"}),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(PHOTO_TABLE))
def test_photos(person, obj, action, allowed):
    assert can(person, obj, action) is allowed


# --- the weekly list and certificates -------------------------------------------------------

ENTRY = SubmissionEntry(id=40, project=project(), inspection_id=None)
CERTIFICATE = PassCertificate(id=50, number="YS-1")
DESK_TABLE = [
    ("entry", ENTRY, "view", {"engineering", "office"}),
    ("entry", ENTRY, "remove", {"engineering"}),
    ("entry", ENTRY, "schedule", {"office"}),
    ("certificate", CERTIFICATE, "view", {"office", "finance"}),
    ("certificate", CERTIFICATE, "revoke", {"office"}),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(DESK_TABLE))
def test_weekly_list_and_certificates(person, obj, action, allowed):
    assert can(person, obj, action) is allowed


# --- records one desk keeps: accounts, checklist templates, instruments ----------------------

Account, ChecklistTemplate, Equipment = (stand_in(n) for n in ("User", "ChecklistTemplate", "Equipment"))
KEPT_TABLE = [
    ("account", Account(id=70), "view", ADMIN),
    ("account", Account(id=70), "edit", ADMIN),
    ("template", ChecklistTemplate(id=71), "view", OFFICE),
    ("template", ChecklistTemplate(id=71), "edit", OFFICE),
    ("instrument", Equipment(id=72), "view", OFFICE),
    ("instrument", Equipment(id=72), "edit", OFFICE),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(KEPT_TABLE))
def test_accounts_templates_and_instruments(person, obj, action, allowed):
    assert can(person, obj, action) is allowed


# --- signatures: seeing a record's signatures and collecting them ---------------------------

SLOTS = {"inspection": ("inspector", "foreman", "project_manager", "owner"), "notice": ("foreman", "project_manager"),
         "concealed": ("owner", "foreman"), "closure_test": ("owner", "foreman")}


def signable(type_name: str, inspector_ids=frozenset({INSPECTOR_ID})):
    record = inspection("completed") if type_name == "inspection" else SimpleNamespace(id=60)
    return Signable(type_name=type_name, slots=SLOTS[type_name], record=record, project=project(),
                    run_by=record.inspector_id if type_name == "inspection" else None,
                    inspector_ids=frozenset(inspector_ids))


RUN_BY_PROJECT = {"office", "inspector", "foreman", "pm"}  # the inspector assigned to the project
SIGNABLE_TABLE = [
    # An inspection: its own inspector and office collect; foreman and PM see it for their own slots.
    ("inspection", signable("inspection"), "view", {"office", "inspector", "foreman", "pm"}),
    ("inspection", signable("inspection"), "collect", {"office", "inspector"}),
    # Notices, concealed-works records and closure tests: an inspector not assigned to the
    # project neither sees nor collects (he used to collect any of them).
    *[(name, signable(name), action, RUN_BY_PROJECT)
      for name in ("notice", "concealed", "closure_test") for action in ("view", "collect")],
    ("concealed-unassigned", signable("concealed", inspector_ids=()), "collect", {"office", "foreman", "pm"}),
    ("notice-other-inspector", signable("notice", inspector_ids={OTHER_INSPECTOR_ID}), "collect",
     {"office", "other_inspector", "foreman", "pm"}),
]


@pytest.mark.parametrize("person, obj, action, allowed", cases(SIGNABLE_TABLE))
def test_signatures(person, obj, action, allowed):
    assert can(person, obj, action) is allowed
