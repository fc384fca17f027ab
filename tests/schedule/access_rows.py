"""Access rows for the schedule routes (see tests/test_access_matrix.py).

Engineering keeps next week's list (office may read it); office plans the week; inspectors
have their week and their calendar feed. The matrix posts empty forms: the allowed role gets
422 (nothing valid was sent) where a form is checked, 404 where the id does not exist.
The feed is public by URL: an unknown token is 404 for everybody, anonymous included.
{insp_own} is a started inspection (it cannot be moved any more, but the empty form fails first).
"""
from portal.auth.roles import Role
from tests.test_access_matrix import ALL_ROLES, ANON, HIDDEN, expect

ENGINEERING = {Role.ENGINEERING}
OFFICE = {Role.OFFICE}
INSPECTOR = {Role.INSPECTOR}

ROWS = [
    ("POST", "/schedule/submissions/entries", "schedule.add_entry", expect(ENGINEERING, ok=422)),
    ("POST", "/schedule/submissions/entries/999999/remove", "schedule.remove_entry", expect(ENGINEERING, ok=HIDDEN)),
    ("POST", "/schedule/submissions/submit", "schedule.submit", expect(ENGINEERING, ok=422)),
    ("GET", "/schedule/week", "schedule.week", expect(OFFICE)),
    ("GET", "/schedule/week?start=2026-11-23", "schedule.week", expect(OFFICE)),
    ("GET", "/schedule/week?start=not-a-date", "schedule.week", expect(OFFICE, ok=400)),
    ("GET", "/schedule/week?start=9999-12-31", "schedule.week", expect(OFFICE, ok=400)),
    ("GET", "/schedule/mine?start=0001-01-01", "schedule.mine", expect(INSPECTOR, ok=400)),
    ("POST", "/schedule/entries/999999/schedule", "schedule.schedule_entry", expect(OFFICE, ok=HIDDEN)),
    ("POST", "/schedule/inspections/{insp_own}/reschedule", "schedule.reschedule", expect(OFFICE, ok=422)),
    ("POST", "/schedule/inspections/{insp_other}/reschedule", "schedule.reschedule", expect(OFFICE, ok=422)),
    ("POST", "/schedule/inspections/999999/reschedule", "schedule.reschedule", expect(OFFICE, ok=HIDDEN)),
    ("GET", "/schedule/mine", "schedule.mine", expect(INSPECTOR)),
    ("GET", "/schedule/calendar", "schedule.calendar", expect(INSPECTOR)),
    ("POST", "/schedule/calendar", "schedule.create_calendar", expect(INSPECTOR)),
    ("POST", "/schedule/calendar/revoke", "schedule.revoke_calendar", expect(INSPECTOR, ok=303)),
    ("GET", "/schedule/ics/not-a-real-token.ics", "schedule.ics_feed", {role: HIDDEN for role in ALL_ROLES}),
]

assert all(set(expected) == set(ALL_ROLES) for _m, _u, _e, expected in ROWS)
assert ANON in ALL_ROLES
