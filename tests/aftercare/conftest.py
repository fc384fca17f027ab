"""A handed-over project: passed, certified, completion accepted and signed, handed over."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from portal.aftercare import services
from portal.aftercare.card import render_card_pdf
from portal.auth.roles import Role
from portal.timeutil import local_today
from tests.factories import issue_certificate, make_signature, make_signed_inspection, make_user, set_finished_at


def accepted(storage, accepted_on: date | None = None):
    """A project with a valid certificate and a signed completion acceptance (not handed over yet)."""
    inspection = make_signed_inspection(storage=storage)
    if accepted_on is not None:  # passed that morning
        set_finished_at(inspection, datetime.combine(accepted_on, time(9)))
    issue_certificate(inspection, storage=storage, render=lambda cert: b"%PDF-1.7 fake")
    project = inspection.project
    acceptance = services.record_acceptance(project, inspection.inspector, accepted_on=accepted_on or local_today(),
                                            quality=5, service=4, timeliness=3, comment="很满意",
                                            warranty_explained=True)
    for slot, user in (("owner", None), ("foreman", project.foreman), ("inspector", inspection.inspector)):
        make_signature("completion", acceptance, slot, user=user or inspection.inspector, storage=storage,
                       signer_name="王业主" if slot == "owner" else None)
    return acceptance


def paid_and_handed_over(acceptance, storage, render):
    """Office records the final payment (on the acceptance day) and hands over; the handover."""
    office = make_user(Role.OFFICE)
    services.record_final_payment(acceptance, office, paid_on=acceptance.accepted_on)
    return services.hand_over(acceptance, office, storage, render)


def handed_over(app, storage, render=None, accepted_on: date | None = None):
    """(acceptance, handover) of a handed-over project (the final payment received on the acceptance day)."""
    acceptance = accepted(storage, accepted_on)
    with app.test_request_context():
        result = paid_and_handed_over(acceptance, storage, render or render_card_pdf)
    return acceptance, result


@pytest.fixture
def handed(app, storage):
    """A handed-over project (fake card PDF: fast)."""
    return handed_over(app, storage, render=lambda acceptance, url: b"%PDF-1.7 card " + url.encode())
