"""Access rows for the notice routes (see tests/test_access_matrix.py).

Foremen and project managers have their list (/notices/mine, a row of the main matrix);
office and inspectors the list of every notice. The matrix knows no notice ids: those rows use
an id that does not exist, so everybody allowed past the role check gets 404 (a notice of a
project one is not assigned to is 404 too: see test_views.py, which checks real notices role by
role). Scheduling is office only (403 for the others before the notice is looked up).

The reinspection's "reopen a carried-over item" route (inspections.reopen_carried_item) belongs
to this feature and has its rows here: the matrix's {item} has no carried answer, so for the
inspection's own inspector the post changes nothing and redirects back to the checklist.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, DENIED, HIDDEN, LOGIN, OK, expect

NO_NOTICE = "/notices/999999"
HIDDEN_FOR_ALL = expect(set(), denied=HIDDEN)  # logged in: 404; anonymous: login


def own_inspection(ok, office) -> dict:
    """The logged-in inspector's inspection: he gets ``ok``, office ``office``, everybody else 404."""
    rows = expect({Role.INSPECTOR}, ok=ok, denied=HIDDEN)
    rows[Role.OFFICE] = office
    return rows


ROWS = [
    ("GET", "/notices/", "rectification.index", expect({Role.OFFICE, Role.INSPECTOR})),
    ("GET", "/notices/?all=1", "rectification.index", expect({Role.OFFICE, Role.INSPECTOR})),
    ("GET", NO_NOTICE, "rectification.notice", HIDDEN_FOR_ALL),
    ("GET", f"{NO_NOTICE}/pdf", "rectification.pdf", HIDDEN_FOR_ALL),
    ("POST", f"{NO_NOTICE}/items/999999/photos", "rectification.upload_after_photo", HIDDEN_FOR_ALL),
    ("POST", f"{NO_NOTICE}/items/999999/rectified", "rectification.mark_rectified", HIDDEN_FOR_ALL),
    ("POST", f"{NO_NOTICE}/request-reinspection", "rectification.request_reinspection", HIDDEN_FOR_ALL),
    ("POST", f"{NO_NOTICE}/reinspection", "rectification.schedule_reinspection", expect({Role.OFFICE}, ok=HIDDEN)),
    ("POST", "/inspections/{insp_own}/items/{item}/reopen-carried", "inspections.reopen_carried_item",
     own_inspection(ok=302, office=DENIED)),
    # {item} belongs to {insp_own}'s checklist version: the other inspection has no such answer row.
    ("POST", "/inspections/{insp_other}/items/{item}/reopen-carried", "inspections.reopen_carried_item",
     expect(set(), denied=HIDDEN)),
    ("POST", "/inspections/{insp_own}/items/999999/reopen-carried", "inspections.reopen_carried_item",
     own_inspection(ok=HIDDEN, office=HIDDEN)),
    ("POST", "/inspections/999999/items/{item}/reopen-carried", "inspections.reopen_carried_item", HIDDEN_FOR_ALL),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN and OK
