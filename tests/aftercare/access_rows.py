"""Access rows for the after-sales routes (see tests/test_access_matrix.py).

The completion page follows the project (foremen and PMs see only their own); recording it is for
inspectors and office, and the matrix's projects have no pass certificate, so a posted form is
refused with 409 (empty forms: 422 first). Objects that do not exist are 404 for whoever passes
the area check. The owner's pages answer everybody alike: an unknown token is 404.

Complaints: {complaint_mine} was passed on to the logged-in user (whatever his role: a department
head), {complaint_repeat} is a second complaint whose first one he handled, {complaint_other} was
passed on to somebody else. He sees the first two and answers his own; office does everything.
"""
from portal.aftercare import complaint_handling, services
from portal.auth.roles import Role
from tests.factories import make_project, make_user
from tests.test_access_matrix import ALL_ROLES, DENIED, HIDDEN, expect

OFFICE = {Role.OFFICE}
EVERYONE = set(Role)
DESK = {Role.OFFICE, Role.ENGINEERING, Role.INSPECTOR, Role.FINANCE, Role.ADMIN}
TOKEN = "not-a-token"


def everybody(status) -> dict:
    return {role: status for role in ALL_ROLES}


def logged_in(status) -> dict:
    return expect(EVERYONE, ok=status)


ROWS = [
    ("GET", "/projects/{own}/completion", "aftercare.completion", expect(EVERYONE)),
    ("GET", "/projects/{other}/completion", "aftercare.completion", expect(DESK, denied=HIDDEN)),
    ("POST", "/projects/{own}/completion", "aftercare.completion", expect({Role.INSPECTOR, Role.OFFICE}, ok=422)),
    ("POST", "/completion/999999/hand-over", "aftercare.hand_over", logged_in(HIDDEN)),
    ("POST", "/completion/999999/owner-link", "aftercare.reissue_link", expect(OFFICE, ok=HIDDEN)),
    ("POST", "/completion/999999/final-payment", "aftercare.final_payment",
     expect({Role.OFFICE, Role.FINANCE}, ok=HIDDEN)),
    ("GET", "/completion/999999/card.pdf", "aftercare.card", logged_in(HIDDEN)),
    ("POST", "/owner-links/999999/revoke", "aftercare.revoke_link", expect(OFFICE, ok=HIDDEN)),
    ("GET", "/repairs/", "aftercare.repairs", expect(OFFICE)),
    ("GET", "/repairs/mine", "aftercare.my_repairs", expect({Role.FOREMAN})),
    ("GET", "/repairs/new", "aftercare.new_repair", expect(OFFICE)),
    ("POST", "/repairs/new", "aftercare.new_repair", expect(OFFICE, ok=422)),
    ("GET", "/repairs/999999", "aftercare.repair", logged_in(HIDDEN)),
    ("POST", "/repairs/999999/contact", "aftercare.contact", logged_in(HIDDEN)),
    ("POST", "/repairs/999999/plan", "aftercare.plan", logged_in(HIDDEN)),
    ("POST", "/repairs/999999/done", "aftercare.done", logged_in(HIDDEN)),
    ("POST", "/repairs/999999/accept", "aftercare.accept", logged_in(HIDDEN)),
    ("POST", "/repairs/999999/follow-up", "aftercare.follow_up", logged_in(HIDDEN)),
    ("GET", "/repair-photos/999999", "aftercare.repair_photo", logged_in(HIDDEN)),
    ("GET", "/repairs/deductions", "aftercare.deductions", expect({Role.FINANCE})),
    ("GET", "/return-calls/", "return_calls.index", expect(OFFICE)),
    ("POST", "/return-calls/999999", "return_calls.record", expect(OFFICE, ok=HIDDEN)),
    ("POST", "/return-calls/{own}", "return_calls.record", expect(OFFICE, ok=422)),
    ("GET", "/complaints/", "aftercare.complaints", expect(OFFICE)),
    ("GET", "/complaints/new", "aftercare.new_complaint", expect(OFFICE)),
    ("POST", "/complaints/new", "aftercare.new_complaint", expect(OFFICE, ok=422)),
    ("GET", "/complaints/999999", "aftercare.complaint", logged_in(HIDDEN)),
    ("POST", "/complaints/999999/pass-on", "aftercare.pass_on", logged_in(HIDDEN)),
    ("POST", "/complaints/999999/answer", "aftercare.answer", logged_in(HIDDEN)),
    ("POST", "/complaints/999999/close", "aftercare.close", logged_in(HIDDEN)),
    ("GET", "/complaints/{complaint_mine}", "aftercare.complaint", logged_in(200)),
    ("GET", "/complaints/{complaint_repeat}", "aftercare.complaint", logged_in(200)),
    ("GET", "/complaints/{complaint_other}", "aftercare.complaint", expect(OFFICE, denied=HIDDEN)),
    ("POST", "/complaints/{complaint_mine}/answer", "aftercare.answer", logged_in(422)),
    ("POST", "/complaints/{complaint_repeat}/answer", "aftercare.answer", expect(OFFICE, ok=422, denied=DENIED)),
    ("POST", "/complaints/{complaint_other}/answer", "aftercare.answer", expect(OFFICE, ok=422, denied=HIDDEN)),
    ("POST", "/complaints/{complaint_mine}/pass-on", "aftercare.pass_on", expect(OFFICE, ok=422)),
    ("POST", "/complaints/{complaint_mine}/close", "aftercare.close", expect(OFFICE, ok=422)),
    ("GET", f"/owner/{TOKEN}", "owner.page", everybody(HIDDEN)),
    ("POST", f"/owner/{TOKEN}/repairs", "owner.file_repair", everybody(HIDDEN)),
    ("GET", f"/owner/{TOKEN}/repairs/1", "owner.repair", everybody(HIDDEN)),
    ("GET", f"/owner/{TOKEN}/repair-photos/1", "owner.repair_photo", everybody(HIDDEN)),
    ("GET", f"/owner/{TOKEN}/warranty-card.pdf", "owner.card", everybody(HIDDEN)),
    ("GET", f"/owner/{TOKEN}/certificate.pdf", "owner.certificate", everybody(HIDDEN)),
    ("GET", f"/owner/{TOKEN}/concealed.zip", "owner.concealed", everybody(HIDDEN)),
]


def complaint_ids(user) -> dict:
    """{complaint_mine}, {complaint_repeat}, {complaint_other} (see the module's docstring); open ones."""
    office, other_head = make_user(Role.OFFICE), make_user(Role.PROJECT_MANAGER)
    head = user or other_head
    project = make_project()

    def passed_on(to, repeat_of=None):
        complaint = complaint_handling.register_complaint(project, matter="噪音", description="周末施工", complained_about="",
                                                user=office, repeat_of=repeat_of)
        complaint_handling.pass_on(complaint, to)
        return complaint

    first = passed_on(head)
    complaint_handling.answer_complaint(first, "已调整施工时间")
    complaint_handling.close_complaint(first, "业主认可", True)
    return {"complaint_mine": passed_on(head).id, "complaint_repeat": passed_on(other_head, repeat_of=first).id,
            "complaint_other": passed_on(other_head).id}


PLACEHOLDERS = {"complaint_": complaint_ids}
