"""Access rows for the inspection pages (see tests/test_access_matrix.py).

Only the assigned inspector answers; office sees every inspection and reopens; everybody
else gets 404 for inspections that are not theirs, 403 for the pages of other roles.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, DENIED, HIDDEN, LOGIN, OK, expect

INSPECTORS = {Role.INSPECTOR, Role.OFFICE}


def own(ok=OK, office=None) -> dict:
    """The logged-in inspector's inspection: he gets ``ok``; office ``office`` (default ``ok``);
    every other role 404 (an inspection that is not theirs is not revealed)."""
    rows = expect({Role.INSPECTOR}, ok=ok, denied=HIDDEN)
    rows[Role.OFFICE] = ok if office is None else office
    return rows


def others(office=OK) -> dict:
    """Another inspector's inspection: 404 for everybody but office, who gets ``office``."""
    rows = expect(set(), denied=HIDDEN)
    rows[Role.OFFICE] = office
    return rows


ROWS = [
    ("GET", "/inspections/today", "inspections.today", expect(INSPECTORS)),
    ("GET", "/inspections/new", "inspections.new", expect(INSPECTORS)),
    ("POST", "/inspections/new", "inspections.new", expect(INSPECTORS, ok=422)),
    ("GET", "/inspections/{insp_own}", "inspections.detail", own()),
    ("GET", "/inspections/{insp_other}", "inspections.detail", others()),
    ("GET", "/inspections/999999", "inspections.detail", expect(set(), denied=HIDDEN)),
    ("POST", "/inspections/{insp_own}/start", "inspections.start", own(ok=422, office=DENIED)),
    ("POST", "/inspections/{insp_other}/start", "inspections.start", others(office=DENIED)),
    ("POST", "/inspections/{insp_own}/items/{item}", "inspections.answer", own(ok=302, office=DENIED)),
    ("POST", "/inspections/{insp_other}/items/{item}", "inspections.answer", others(office=HIDDEN)),
    ("POST", "/inspections/{insp_own}/items/999999", "inspections.answer", own(ok=HIDDEN)),
    ("POST", "/inspections/{insp_done}/items/{item}", "inspections.answer", own(ok=HIDDEN)),
    ("POST", "/inspections/{insp_own}/items/{item}/note", "inspections.note", own(ok=302, office=DENIED)),
    ("POST", "/inspections/{insp_other}/items/{item}/note", "inspections.note", others(office=HIDDEN)),
    ("GET", "/inspections/{insp_own}/summary", "inspections.summary", own()),
    ("GET", "/inspections/{insp_other}/summary", "inspections.summary", others()),
    ("POST", "/inspections/{insp_own}/finish", "inspections.finish_inspection", own(ok=409, office=DENIED)),
    ("POST", "/inspections/{insp_other}/finish", "inspections.finish_inspection", others(office=DENIED)),
    ("POST", "/inspections/{insp_done}/reopen", "inspections.reopen_inspection", own(ok=DENIED, office=422)),
    ("GET", "/inspections/{insp_own}/history", "inspections.inspection_history", own()),
    ("GET", "/inspections/{insp_other}/history", "inspections.inspection_history", others()),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
