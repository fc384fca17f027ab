"""Access rows for the dashboard, reports and awards (see tests/test_access_matrix.py).

Office only, but for the foremen's own awards page. The matrix posts an empty form, so the
confirmation is refused as incomplete (422); an unknown report kind is not a route (404 for
everybody, anonymous included). A custom period ending before it starts is a form error (422).
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, HIDDEN, LOGIN, expect

OFFICE = {Role.OFFICE}

ROWS = [
    ("GET", "/dashboard/?period=week", "dashboard.index", expect(OFFICE)),
    ("GET", "/dashboard/?period=custom&start=2026-11-10&end=2026-11-01", "dashboard.index", expect(OFFICE, ok=422)),
    ("GET", "/dashboard/?format=csv&table=foremen", "dashboard.index", expect(OFFICE)),
    ("GET", "/dashboard/?format=csv&table=nonsense", "dashboard.index", expect(OFFICE, ok=HIDDEN)),
    ("GET", "/dashboard/awards", "dashboard.awards", expect(OFFICE)),
    ("GET", "/dashboard/awards?month=2026-10", "dashboard.awards", expect(OFFICE)),
    ("POST", "/dashboard/awards", "dashboard.confirm_awards", expect(OFFICE, ok=422)),
    ("GET", "/dashboard/awards/mine", "dashboard.my_awards", expect({Role.FOREMAN})),
    ("GET", "/dashboard/reports/weekly", "dashboard.report", expect(OFFICE)),
    ("GET", "/dashboard/reports/monthly?day=2026-11-25", "dashboard.report", expect(OFFICE)),
    ("GET", "/dashboard/reports/monthly?day=not-a-day", "dashboard.report", expect(OFFICE, ok=422)),
    ("GET", "/dashboard/reports/yearly", "dashboard.report", {role: HIDDEN for role in ALL_ROLES}),
    ("GET", "/dashboard/reports/weekly/pdf", "dashboard.report_pdf", expect(OFFICE)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
