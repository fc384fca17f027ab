"""Access rows for the accounting API and admin's token pages (see tests/test_access_matrix.py).

The API never looks at the session: without a Bearer token it answers 401 to everybody, logged
in or not, for known, unknown and malformed contract numbers alike (never a login redirect).
Only admin sees, creates and revokes tokens; an empty name makes a token called "accounting",
so admin's create answers 200 (the page showing the new token once). Unknown token ids are 404
for admin, 403 for the other roles. Tokens themselves are checked in ``test_api.py``.
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, HIDDEN, LOGIN, expect

UNAUTHORIZED = 401
ADMIN = {Role.ADMIN}


def everybody(status) -> dict:
    return {role: status for role in ALL_ROLES}


ROWS = [
    ("GET", "/api/v1/settlement/A26101201", "api.settlement_status", everybody(UNAUTHORIZED)),
    ("GET", "/api/v1/settlement/Z99123199", "api.settlement_status", everybody(UNAUTHORIZED)),
    ("GET", "/api/v1/settlement/not-a-contract", "api.settlement_status", everybody(UNAUTHORIZED)),
    ("GET", "/admin/api-tokens", "admin.api_tokens", expect(ADMIN)),
    ("POST", "/admin/api-tokens", "admin.create_api_token", expect(ADMIN)),
    ("POST", "/admin/api-tokens/999999/revoke", "admin.revoke_api_token", expect(ADMIN, ok=HIDDEN)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
