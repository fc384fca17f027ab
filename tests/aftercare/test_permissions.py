"""Who sees and handles completion acceptances and repair requests: role × object × action, no database."""
from types import SimpleNamespace

import pytest

from portal.auth.permissions import can
from portal.auth.roles import Role


def stand_in(name: str) -> type:
    return type(name, (SimpleNamespace,), {})


Project, CompletionAcceptance, RepairRequest = (stand_in(n) for n in ("Project", "CompletionAcceptance",
                                                                      "RepairRequest"))
OFFICE_ID, INSPECTOR_ID, FOREMAN_ID, PM_ID, CREW_ID = 1, 2, 3, 4, 5
PEOPLE = {
    "office": (Role.OFFICE, OFFICE_ID),
    "inspector": (Role.INSPECTOR, INSPECTOR_ID),  # ran the acceptance
    "other_inspector": (Role.INSPECTOR, 77),
    "foreman": (Role.FOREMAN, FOREMAN_ID),  # the project's own
    "pm": (Role.PROJECT_MANAGER, PM_ID),
    "crew": (Role.FOREMAN, CREW_ID),  # another foreman, leading the repair crew
    "other_foreman": (Role.FOREMAN, 88),
    "finance": (Role.FINANCE, 9),
}


def person(who: str):
    role, user_id = PEOPLE[who]
    return SimpleNamespace(id=user_id, roles={role}, is_authenticated=True)


PROJECT = Project(id=10, foreman_id=FOREMAN_ID, project_manager_id=PM_ID)
ACCEPTANCE = CompletionAcceptance(project=PROJECT, inspector_id=INSPECTOR_ID)
REPAIR = RepairRequest(project=PROJECT, assignee_id=CREW_ID)
TABLE = [
    (ACCEPTANCE, "view", {"office", "inspector", "other_inspector", "foreman", "pm", "finance"}),
    (ACCEPTANCE, "hand_over", {"office", "inspector"}),
    (REPAIR, "view", {"office", "foreman", "crew"}),
    (REPAIR, "manage", {"office"}),
    (REPAIR, "work", {"office", "crew"}),
]


@pytest.mark.parametrize("obj, action, who, allowed", [
    pytest.param(obj, action, who, who in allowed, id=f"{type(obj).__name__}-{action}-{who}")
    for obj, action, allowed in TABLE for who in PEOPLE])
def test_rules(app, obj, action, who, allowed):
    assert can(person(who), obj, action) is allowed
