"""Access rows for the finance routes (see tests/test_access_matrix.py).

Finance and office look projects up and see the ready list (and its CSV); only finance records
payments. The matrix's projects have no certificate and it posts an empty form, so finance's
payment is refused with 422 (settlement not allowed, fields missing) on any visible project,
and 404 for a project that does not exist. Everybody else gets 403 (the role check comes first).
Real payments are checked in ``test_views.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, HIDDEN, LOGIN, expect

FINANCE_ROLES = {Role.FINANCE, Role.OFFICE}
FINANCE = {Role.FINANCE}

ROWS = [
    ("GET", "/finance/", "finance.lookup", expect(FINANCE_ROLES)),
    ("GET", "/finance/?q=T26", "finance.lookup", expect(FINANCE_ROLES)),
    ("GET", "/finance/ready", "finance.ready", expect(FINANCE_ROLES)),
    ("GET", "/finance/ready?from=2026-01-01&to=2026-12-31&format=csv", "finance.ready", expect(FINANCE_ROLES)),
    ("POST", "/finance/projects/{own}/payment", "finance.record_payment", expect(FINANCE, ok=422)),
    ("POST", "/finance/projects/{other}/payment", "finance.record_payment", expect(FINANCE, ok=422)),
    ("POST", "/finance/projects/999999/payment", "finance.record_payment", expect(FINANCE, ok=HIDDEN)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
