"""The owner's page from the pass on: issuing the pass certificate gives the project its owner's
link (printed as the certificate's second QR code), the page works before the handover without the
warranty card and repairs, the handover reuses the link, and revoking it makes the printed code 410.
"""
from __future__ import annotations

from portal.aftercare import owner_links, repair_requests, services
from portal.aftercare.models import OwnerLink, RepairPhoto, RepairRequest
from portal.auth.roles import Role
from portal.certificates.services import OWNER_PAGES
from portal.extensions import db
from tests.aftercare.conftest import accepted, paid_and_handed_over
from tests.factories import fake_pdf, issue_certificate, make_signed_inspection, make_user

def fake_card(acceptance, url: str) -> bytes:
    return b"%PDF-1.7 card " + url.encode()


def _path(url: str) -> str:
    return url.removeprefix("https://portal.test")


def certified(storage):
    """A project whose pre-acceptance passed and whose certificate is issued (no completion acceptance)."""
    certificate = issue_certificate(make_signed_inspection(storage=storage), storage=storage, render=fake_pdf)
    db.session.commit()
    return certificate


def links_of(project) -> list[OwnerLink]:
    return list(db.session.query(OwnerLink).filter_by(project_id=project.id).order_by(OwnerLink.id))


def test_aftercare_offers_the_owners_page_to_certificates(app):
    assert "aftercare" in OWNER_PAGES


def test_issuing_the_certificate_gives_the_project_its_owners_link(storage):
    certificate = certified(storage)
    [link] = links_of(certificate.project)
    token = certificate.facts["owner_url"].rpartition("/owner/")[2]
    assert owner_links.resolve_owner_link(token) == (link, "active")
    assert owner_links.printed_owner_link(certificate.project) == (link, token)


def test_the_public_verification_page_does_not_show_the_owners_link(client, storage):
    certificate = certified(storage)
    html = client.get(f"/verify/{certificate.number}").text
    assert certificate.number in html and "/owner/" not in html


def test_a_project_with_a_printed_link_keeps_it_for_the_next_certificate(app, storage):
    certificate = certified(storage)
    with app.test_request_context():
        again = owner_links.owner_url_for_certificate(certificate.project, make_user(Role.OFFICE))
    assert again == certificate.facts["owner_url"]
    assert len(links_of(certificate.project)) == 1


def test_before_the_handover_the_page_shows_the_result_and_the_certificate_but_no_repairs(client, storage):
    certificate = certified(storage)
    base = _path(certificate.facts["owner_url"])
    response = client.get(base)
    html = response.text
    assert response.status_code == 200 and certificate.project.contract_no in html
    assert "预验收" in html and "优秀" in html and certificate.number in html
    assert 'id="not-handed-over"' in html and "尚未交付" in html
    assert 'id="repair-form"' not in html and 'id="repairs"' not in html
    pdf = client.get(base + "/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data == fake_pdf(certificate)
    assert client.get(base + "/warranty-card.pdf").status_code == 404


def test_before_the_handover_the_owner_cannot_file_a_repair(client, storage):
    certificate = certified(storage)
    base = _path(certificate.facts["owner_url"])
    response = client.post(f"{base}/repairs", data={"kind": "general", "description": "墙面开裂"})
    assert response.status_code == 409 and "该工程尚未交付" in response.text
    assert db.session.query(RepairRequest).filter_by(project_id=certificate.project_id).count() == 0


def test_another_projects_ids_behind_the_printed_link_are_404(client, storage):
    certificate = certified(storage)
    other = certified(storage)
    other_repair = repair_requests.file_repair(other.project, kind="general", description="别家的问题", source="phone")
    photo = RepairPhoto(repair_id=other_repair.id, original_key="x", display_key="x", sha256="0" * 64)
    db.session.add(photo)
    db.session.commit()
    base = _path(certificate.facts["owner_url"])
    assert client.get(f"{base}/repairs/{other_repair.id}").status_code == 404
    assert client.get(f"{base}/repair-photos/{photo.id}").status_code == 404
    assert other.number not in client.get(base).text


def test_the_handover_reuses_the_printed_link(client, app, storage):
    acceptance = accepted(storage)
    certificate = owner_links.valid_certificate(acceptance.project)
    [printed] = links_of(acceptance.project)
    with app.test_request_context():
        result = paid_and_handed_over(acceptance, storage, fake_card)
    db.session.commit()
    assert result.link.id == printed.id and links_of(acceptance.project) == [printed]
    assert owner_links.owner_url(result.token) == certificate.facts["owner_url"]
    with storage.open(result.card_key) as handle:  # the card prints the same link
        assert handle.read().endswith(certificate.facts["owner_url"].encode())
    html = client.get(_path(certificate.facts["owner_url"])).text
    assert acceptance.card_number in html and 'id="repair-form"' in html and 'id="not-handed-over"' not in html


def test_a_revoked_printed_link_answers_410_and_the_handover_gives_a_new_one(client, app, storage, login_as):
    acceptance = accepted(storage)
    printed_url = owner_links.valid_certificate(acceptance.project).facts["owner_url"]
    [printed] = links_of(acceptance.project)
    login_as(Role.OFFICE)
    assert client.post(f"/owner-links/{printed.id}/revoke").status_code == 303
    db.session.expire_all()  # the request's change, seen from the test's session
    response = client.get(_path(printed_url))
    assert response.status_code == 410 and "撤销" in response.text
    assert client.get(_path(printed_url) + "/certificate.pdf").status_code == 410
    assert owner_links.printed_owner_link(acceptance.project) is None
    with app.test_request_context():
        result = paid_and_handed_over(acceptance, storage, fake_card)
    db.session.commit()
    assert result.link.id != printed.id and owner_links.owner_url(result.token) != printed_url
    assert client.get(_path(owner_links.owner_url(result.token))).status_code == 200
    assert client.get(_path(printed_url)).status_code == 410


def test_a_certificate_printed_without_the_owners_page_gets_a_new_link_at_handover(app, storage):
    acceptance = accepted(storage)
    certificate = owner_links.valid_certificate(acceptance.project)
    certificate.facts = {k: v for k, v in certificate.facts.items() if k != "owner_url"}  # issued before it
    [printed] = links_of(acceptance.project)
    printed.revoked_at = printed.created_at  # and no link known from it
    db.session.commit()
    with app.test_request_context():
        result = paid_and_handed_over(acceptance, storage, fake_card)
    assert result.link.id != printed.id and owner_links.resolve_owner_link(result.token)[1] == "active"


def test_office_sees_and_can_withdraw_the_printed_link_before_the_completion_acceptance(client, storage,
                                                                                       login_as):
    certificate = certified(storage)
    [link] = links_of(certificate.project)
    login_as(Role.OFFICE)
    html = client.get(f"/projects/{certificate.project_id}/completion").text
    assert 'id="owner-links"' in html and f"/owner-links/{link.id}/revoke" in html
    assert "/owner-link\"" not in html  # no new link and card before the handover
