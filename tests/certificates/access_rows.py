"""Access rows for the certificate routes (see tests/test_access_matrix.py).

Office issues and revokes; office and finance list, look at and download certificates; every
other role gets 403 (the role check comes before the lookup, so unknown numbers are 403 for them
too). The matrix posts empty forms: issuing for an inspection that is not finished, or finished
but unsigned, is refused with a flash and a 303 back to its summary. It knows no certificate,
so the object rows use numbers that do not exist (well-formed and malformed).
The public verification pages answer everybody, anonymous included, alike: 200 for the form,
a redirect for a typed number (an empty one goes to /verify/-), 404 for unknown numbers.
Real certificates are checked role by role in ``test_views.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, DENIED, HIDDEN, LOGIN, OK, expect

CERT_ROLES = {Role.OFFICE, Role.FINANCE}
OFFICE = {Role.OFFICE}
SEE_OTHER, FOUND = 303, 302
UNKNOWN = "YS-2026-999999"


def everybody(status) -> dict:
    return {role: status for role in ALL_ROLES}


ROWS = [
    ("POST", "/inspections/{insp_done}/certificate", "certificates.issue", expect(OFFICE, ok=SEE_OTHER)),  # unsigned
    ("POST", "/inspections/{insp_own}/certificate", "certificates.issue", expect(OFFICE, ok=SEE_OTHER)),  # unfinished
    ("POST", "/inspections/{insp_other}/certificate", "certificates.issue", expect(OFFICE, ok=SEE_OTHER)),
    ("POST", "/inspections/999999/certificate", "certificates.issue", expect(OFFICE, ok=HIDDEN)),
    ("GET", "/certificates/", "certificates.index", expect(CERT_ROLES)),
    ("GET", f"/certificates/{UNKNOWN}", "certificates.detail", expect(CERT_ROLES, ok=HIDDEN)),
    ("GET", "/certificates/not-a-number", "certificates.detail", expect(CERT_ROLES, ok=HIDDEN)),
    ("GET", f"/certificates/{UNKNOWN}/pdf", "certificates.pdf", expect(CERT_ROLES, ok=HIDDEN)),
    ("POST", f"/certificates/{UNKNOWN}/revoke", "certificates.revoke", expect(OFFICE, ok=HIDDEN)),
    ("GET", "/verify", "certificates.verify_form", everybody(OK)),
    ("POST", "/verify", "certificates.verify_form", everybody(FOUND)),
    ("GET", f"/verify/{UNKNOWN}", "certificates.verify", everybody(HIDDEN)),
    ("GET", "/verify/YS-2026-000001' OR 1=1", "certificates.verify", everybody(HIDDEN)),
    ("GET", "/verify/-", "certificates.verify", everybody(HIDDEN)),
    ("POST", f"/verify/{UNKNOWN}", "certificates.verify", everybody(HIDDEN)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN and DENIED
