"""Access rows of the equipment register: office only.

The matrix can only fill in projects and users, so the edit rows use an id that does not
exist (office: 404, others: 403 before the lookup); editing a real instrument is checked
per role in ``test_equipment.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import HIDDEN, expect

OFFICE = {Role.OFFICE}
UNKNOWN_EDIT = "/equipment/999999/edit"

ROWS = [
    ("GET", "/equipment/", "equipment.index", expect(OFFICE)),
    ("GET", "/equipment/new", "equipment.create", expect(OFFICE)),
    ("POST", "/equipment/new", "equipment.create", expect(OFFICE, ok=422)),
    ("GET", UNKNOWN_EDIT, "equipment.edit", expect(OFFICE, ok=HIDDEN)),
    ("POST", UNKNOWN_EDIT, "equipment.edit", expect(OFFICE, ok=HIDDEN)),
]
