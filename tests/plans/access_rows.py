"""Access rows for floor plans and pins (see tests/test_access_matrix.py).

Everybody who sees a project sees its plans (a foreman or PM of another project gets 404);
office, engineering and inspectors upload them (the matrix posts empty forms: 422). The
matrix knows no plan ids: those rows use one that does not exist (404 for everybody); real
plans are checked role by role in ``test_views.py``. Item pins: only the inspection's
inspector places them; office sees the inspection but does not pin (403).
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, DENIED, DESK, HIDDEN, OK, expect

UPLOADERS = {Role.OFFICE, Role.ENGINEERING, Role.INSPECTOR}
OWN_SIDE = {Role.FOREMAN, Role.PROJECT_MANAGER}


def inspection_rows(ok, office) -> dict:
    """The logged-in inspector's inspection: he gets ``ok``, office ``office``, everybody else 404."""
    rows = expect({Role.INSPECTOR}, ok=ok, denied=HIDDEN)
    rows[Role.OFFICE] = office
    return rows


ROWS = [
    ("GET", "/projects/{own}/plans", "plans.index", expect(set(Role))),
    ("GET", "/projects/{other}/plans", "plans.index", expect(DESK, denied=HIDDEN)),
    ("GET", "/projects/999999/plans", "plans.index", expect(set(), denied=HIDDEN)),
    ("POST", "/projects/{own}/plans", "plans.upload", expect(UPLOADERS, ok=422)),
    ("POST", "/projects/{other}/plans", "plans.upload",
     {**expect(UPLOADERS, ok=422), **{role: HIDDEN for role in OWN_SIDE}}),
    ("GET", "/plans/999999/image", "plans.image", expect(set(), denied=HIDDEN)),
    ("GET", "/plans/999999/original", "plans.original", expect(set(), denied=HIDDEN)),
    ("GET", "/photos/00000000-0000-4000-8000-000000000000/pin", "plans.photo_pin", expect(set(), denied=HIDDEN)),
    ("POST", "/photos/00000000-0000-4000-8000-000000000000/pin", "plans.photo_pin", expect(set(), denied=HIDDEN)),
    ("GET", "/inspections/{insp_own}/items/{item}/pin", "inspections.item_pin", inspection_rows(OK, DENIED)),
    ("POST", "/inspections/{insp_own}/items/{item}/pin", "inspections.item_pin", inspection_rows(422, DENIED)),
    ("GET", "/inspections/{insp_own}/items/999999/pin", "inspections.item_pin", inspection_rows(HIDDEN, DENIED)),
    ("GET", "/inspections/{insp_other}/items/{item}/pin", "inspections.item_pin",
     {**expect(set(), denied=HIDDEN), Role.OFFICE: DENIED}),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and OK and DENIED
