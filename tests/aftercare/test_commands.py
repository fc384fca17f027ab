"""The cron command for overdue after-sales steps, and the start-up check of the warranty table."""
from datetime import timedelta

import pytest

from portal import create_app
from portal.aftercare import services
from portal.aftercare.warranty import WarrantyConfigError
from portal.auth.roles import Role
from portal.extensions import db
from portal.timeutil import utcnow
from tests.factories import make_project, make_user


def test_send_aftercare_reminders_command(app):
    make_user(Role.OFFICE)
    complaint = services.register_complaint(make_project(), matter="噪音", description="周末施工", complained_about="",
                                            user=make_user(Role.OFFICE))
    complaint.received_at = utcnow() - timedelta(days=1)
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["send-aftercare-reminders"])
    assert result.exit_code == 0 and "after-sales reminders sent" in result.output
    assert not result.output.startswith("0 ")


def test_warranty_below_the_national_minimum_refuses_to_start(tmp_path):
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": "k" * 40, "BASE_URL": "https://portal.test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WARRANTY_MONTHS": "waterproofing=24"}
    with pytest.raises(WarrantyConfigError):
        create_app(env)
    assert create_app({**env, "WARRANTY_MONTHS": "general=36"}).config["WARRANTY_MONTHS"] == {"general": 36}
