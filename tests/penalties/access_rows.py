"""Access rows for the penalty register (see tests/test_access_matrix.py): office only.

The matrix knows no penalty ids: annulling uses an id that does not exist (404 for office once
past the role check, 403 for everybody else). The matrix posts an empty form; annulling a real
penalty without a reason (422) is checked in test_penalties.py.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, HIDDEN, LOGIN, expect

ROWS = [
    ("GET", "/penalties/", "penalties.index", expect({Role.OFFICE})),
    ("GET", "/penalties/?format=csv", "penalties.index", expect({Role.OFFICE})),
    ("GET", "/penalties/?kind=replacement&annulled=1", "penalties.index", expect({Role.OFFICE})),
    ("POST", "/penalties/999999/annul", "penalties.annul", expect({Role.OFFICE}, ok=HIDDEN)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
