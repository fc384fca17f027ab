"""Access rows for the notifications (see tests/test_access_matrix.py): every logged-in user
has his own list and marks it read; anonymous users are sent to the login page."""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, LOGIN, expect

EVERYONE = set(Role)

ROWS = [
    ("GET", "/notifications/", "notifications.index", expect(EVERYONE)),
    ("POST", "/notifications/read", "notifications.mark_read", expect(EVERYONE, ok=302)),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON and LOGIN
