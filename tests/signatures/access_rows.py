"""Access rows for the signature routes (see tests/test_access_matrix.py).

The signatures of a record are seen by the people who run it (collectors: office, and for an
inspection its own inspector) and by those with a slot on it (its project's foreman and project
manager, whose projects the matrix's inspections are not). Everybody else gets 404, never a
hint that the record exists. The matrix posts empty forms, so allowed posts answer 422. It
knows no signature, link or concealed-record ids: those rows use ids that do not exist. The
public signing page needs no login: a garbage token is 404 for everybody, anonymous included.
Real records are checked role by role in ``test_views.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, HIDDEN, LOGIN, OK, expect

COLLECTORS = {Role.INSPECTOR, Role.OFFICE}
NOBODY = expect(set(), denied=HIDDEN)
EVERYBODY_404 = {role: HIDDEN for role in ALL_ROLES}


def own_inspection(ok=OK) -> dict:
    """The logged-in inspector's inspection: he and office get ``ok``, everybody else 404."""
    return expect(COLLECTORS, ok=ok, denied=HIDDEN)


def other_inspection(ok=OK) -> dict:
    """Another inspector's inspection: office gets ``ok``, everybody else 404."""
    return expect({Role.OFFICE}, ok=ok, denied=HIDDEN)


ROWS = [
    ("GET", "/signatures/inspection/{insp_done}", "signatures.panel", own_inspection()),
    ("GET", "/signatures/inspection/{insp_own}", "signatures.panel", own_inspection()),  # not finished: no pad
    ("GET", "/signatures/inspection/{insp_other}", "signatures.panel", other_inspection()),
    ("GET", "/signatures/inspection/999999", "signatures.panel", NOBODY),
    ("GET", "/signatures/concealed/999999", "signatures.panel", NOBODY),
    ("GET", "/signatures/closure_test/999999", "signatures.panel", NOBODY),
    ("GET", "/signatures/no-such-type/{own}", "signatures.panel", NOBODY),
    ("POST", "/signatures/inspection/{insp_done}/sign", "signatures.sign", own_inspection(ok=422)),
    ("POST", "/signatures/inspection/{insp_own}/sign", "signatures.sign", own_inspection(ok=422)),
    ("POST", "/signatures/inspection/{insp_other}/sign", "signatures.sign", other_inspection(ok=422)),
    ("POST", "/signatures/inspection/999999/sign", "signatures.sign", NOBODY),
    ("POST", "/signatures/no-such-type/{own}/sign", "signatures.sign", NOBODY),
    ("POST", "/signatures/inspection/{insp_done}/links", "signatures.create_link", own_inspection(ok=422)),
    ("POST", "/signatures/inspection/{insp_other}/links", "signatures.create_link", other_inspection(ok=422)),
    ("POST", "/signatures/inspection/999999/links", "signatures.create_link", NOBODY),
    ("POST", "/signing-links/999999/revoke", "signatures.revoke_link", NOBODY),
    ("GET", "/signatures/image/999999", "signatures.image", NOBODY),
    ("GET", "/sign/not-a-token", "signatures.public_sign", EVERYBODY_404),
    ("POST", "/sign/not-a-token", "signatures.public_sign", EVERYBODY_404),
    ("GET", "/sign/eyJsIjoxLCJuIjoieCJ9.forged-signature", "signatures.public_sign", EVERYBODY_404),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
