"""The cron command for overdue after-sales steps, and the start-up check of the warranty table."""
from datetime import timedelta

import pytest

from portal import create_app
from portal.aftercare import complaint_handling, services
from portal.aftercare.warranty import WarrantyConfigError
from portal.auth.roles import Role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.timeutil import utcnow
from tests.factories import make_project, make_user


def test_send_aftercare_reminders_command(app):
    """Each overdue complaint step is told once to every office user and to the complaint's handler."""
    offices = [make_user(Role.OFFICE), make_user(Role.OFFICE)]
    head = make_user(Role.PROJECT_MANAGER)
    three_days_ago = utcnow() - timedelta(days=3)
    waiting = complaint_handling.register_complaint(make_project(), matter="噪音", description="周末施工", complained_about="",
                                          user=offices[0])  # never passed on: both steps overdue
    answered_late = complaint_handling.register_complaint(make_project(), matter="漏水", description="厨房漏水",
                                                complained_about="", user=offices[0])
    complaint_handling.pass_on(answered_late, head)  # passed on at once, never answered: the answer is overdue
    waiting.received_at = answered_late.received_at = three_days_ago
    answered_late.passed_on_at = three_days_ago + timedelta(minutes=1)
    db.session.flush()

    result = app.test_cli_runner().invoke(args=["send-aftercare-reminders"])
    assert result.exit_code == 0 and result.output.strip() == "7 after-sales reminders sent"
    told = {(n.user_id, n.link, n.dedupe_key.split(":")[0]) for n in db.session.query(Notification).filter_by(
        kind="complaint_overdue")}
    expected = {(office.id, f"/complaints/{c.id}", f"complaint-{step}") for office in offices
                for c, step in ((waiting, "pass_on"), (waiting, "answer"), (answered_late, "answer"))}
    assert told == expected | {(head.id, f"/complaints/{answered_late.id}", "complaint-answer")}
    assert db.session.query(Notification).filter_by(kind="complaint_overdue").count() == 7  # once per step and person

    again = app.test_cli_runner().invoke(args=["send-aftercare-reminders"])
    assert again.output.strip() == "0 after-sales reminders sent"


def test_warranty_below_the_national_minimum_refuses_to_start(tmp_path):
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": "k" * 40, "BASE_URL": "https://portal.test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WARRANTY_MONTHS": "waterproofing=24"}
    with pytest.raises(WarrantyConfigError):
        create_app(env)
    assert create_app({**env, "WARRANTY_MONTHS": "general=36"}).config["WARRANTY_MONTHS"] == {"general": 36}
