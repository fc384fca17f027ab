"""The owner's page: the token is the key, nothing of another project is reachable, limits apply."""
import io
from datetime import timedelta

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.aftercare import owner_links, repair_requests, services
from portal.auth.roles import Role
from portal.aftercare.models import RepairPhoto, RepairRequest
from portal.extensions import db
from portal.notifications.models import Notification
from portal.timeutil import utcnow
from tests.aftercare.conftest import handed_over
from tests.factories import make_image_bytes


def _path(url: str) -> str:
    return url.removeprefix("https://portal.test")


def _two_projects(app, storage):
    fake = lambda acceptance, url: b"%PDF-1.7 card"  # noqa: E731
    mine, result = handed_over(app, storage, render=fake)
    other, _ = handed_over(app, storage, render=fake)
    other_repair = repair_requests.file_repair(other.project, kind="general", description="别家的问题", source="phone")
    db.session.commit()
    return mine, result, other_repair


def test_page_shows_the_project_and_its_documents(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    response = client.get(_path(owner_links.owner_url(result.token)))
    html = response.text
    assert acceptance.project.contract_no in html and acceptance.card_number in html
    assert "no-store" in response.headers["Cache-Control"]
    card = client.get(_path(owner_links.owner_url(result.token)) + "/warranty-card.pdf")
    assert card.status_code == 200 and card.data.startswith(b"%PDF")
    assert client.get(_path(owner_links.owner_url(result.token)) + "/certificate.pdf").status_code == 200


def test_another_projects_ids_are_404(client, app, storage):
    _acceptance, result, other_repair = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    photo = RepairPhoto(repair_id=other_repair.id, original_key="x", display_key="x", sha256="0" * 64)
    db.session.add(photo)
    db.session.commit()
    assert client.get(f"{base}/repairs/{other_repair.id}").status_code == 404
    assert client.get(f"{base}/repair-photos/{photo.id}").status_code == 404
    assert "别家的问题" not in client.get(base).text


def test_expired_and_revoked_links_are_refused(client, app, storage):
    _acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    result.link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(base).status_code == 410
    assert client.get(base + "/warranty-card.pdf").status_code == 410
    result.link.expires_at = utcnow() + timedelta(days=1)
    result.link.revoked_at = utcnow()
    db.session.commit()
    response = client.get(base)
    assert response.status_code == 410 and "撤销" in response.text
    assert client.get(base[:-3] + "abc").status_code == 404  # tampered token


def test_reissuing_revokes_the_old_link(client, app, storage, login_as):
    acceptance, result, _ = _two_projects(app, storage)
    login_as(Role.OFFICE)
    response = client.post(f"/completion/{acceptance.id}/owner-link")
    assert response.status_code == 200 and "/owner/" in response.text
    assert client.get(_path(owner_links.owner_url(result.token))).status_code == 410


def test_owner_files_a_repair_with_a_photo(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    response = client.post(f"{base}/repairs", data={
        "kind": "waterproofing", "description": "卫生间地面渗水", "contact_phone": "13800000000",
        "photo": (io.BytesIO(make_image_bytes()), "leak.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 303
    repair = db.session.query(RepairRequest).filter_by(project_id=acceptance.project_id).one()
    assert repair.source == "owner_page" and repair.in_warranty is True
    assert len(repair_requests.repair_photos(repair)) == 1
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "卫生间地面渗水" in page.text and "在保修期内" in page.text
    photo = repair_requests.repair_photos(repair)[0]
    assert client.get(f"{base}/repair-photos/{photo.id}").status_code == 200
    assert db.session.query(Notification).filter_by(kind="repair_filed").count() >= 1


def test_bad_photo_saves_nothing(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    response = client.post(f"{base}/repairs", data={
        "kind": "general", "description": "墙裂", "photo": (io.BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.session.query(RepairRequest).filter_by(project_id=acceptance.project_id).count() == 0


def test_filing_is_rate_limited(client, app, storage):
    _acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    statuses = [client.post(f"{base}/repairs", data={"kind": "general", "description": ""}).status_code
                for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_unknown_token_is_404_for_everybody(client):
    assert client.get("/owner/garbage").status_code == 404
    assert client.get("/owner/" + "x" * 5000).status_code == 404


def _repair_files(storage) -> list:
    return sorted(p for p in (storage.root / "repairs").rglob("*") if p.is_file())


def _photos(*contents: bytes) -> list:
    return [(io.BytesIO(data), f"p{i}.jpg") for i, data in enumerate(contents, 1)]


def test_owner_files_a_repair_with_several_photos(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    page = client.get(base).text
    assert 'name="photo"' in page and "multiple" in page.split('name="photo"')[1].split(">")[0]
    response = client.post(f"{base}/repairs", data={
        "kind": "tiling", "description": "客厅地砖空鼓", "photo": _photos(*(make_image_bytes() for _ in range(3)))},
        content_type="multipart/form-data")
    assert response.status_code == 303
    repair = db.session.query(RepairRequest).filter_by(project_id=acceptance.project_id).one()
    assert len(repair_requests.repair_photos(repair)) == 3 and len(_repair_files(storage)) == 6  # original + display
    assert client.get(response.headers["Location"]).text.count('class="thumb"') == 3


def test_one_bad_photo_refuses_the_whole_filing(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    response = client.post(f"{base}/repairs", data={
        "kind": "general", "description": "墙裂", "photo": _photos(make_image_bytes(), make_image_bytes(), b"not a jpeg")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "第 3 张照片（共 3 张）无法接收" in response.text and "该文件不是照片" in response.text
    assert db.session.query(RepairRequest).filter_by(project_id=acceptance.project_id).count() == 0
    assert db.session.query(RepairPhoto).count() == 0 and _repair_files(storage) == []


def test_more_than_six_photos_are_refused(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    response = client.post(f"{base}/repairs", data={
        "kind": "general", "description": "墙裂", "photo": _photos(*(make_image_bytes(40, 30) for _ in range(7)))},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "每次报修最多6张照片" in response.text
    assert db.session.query(RepairRequest).filter_by(project_id=acceptance.project_id).count() == 0
    assert _repair_files(storage) == []


def oversize_body(**fields) -> tuple[str, bytes]:
    """A repair request over the 20 MB request limit, as (boundary, body); encoded here, in memory: the
    test client would spool a body this big to a temp file it never closes."""
    return encode_multipart({**fields, "photo": FileStorage(
        io.BytesIO(b"\xff\xd8\xff" + b"0" * (21 * 1024 * 1024)), "IMG_0001.jpg", content_type="image/jpeg")})


def test_the_form_is_set_up_for_downscaling_photos_on_the_phone(client, app, storage):
    _acceptance, result, _ = _two_projects(app, storage)
    page = client.get(_path(owner_links.owner_url(result.token))).text
    form = page.split('id="repair-form"')[1].split(">")[0]
    assert "data-photo-form" in form and 'data-max-photos="6"' in form and 'data-max-bytes="20971520"' in form
    assert "vendor/browser-image-compression.js" in form and "已选照片：{n} 张" in form and "正在发送…" in form
    assert page.index("js/photo-shrink.js") < page.index("js/repair-photos.js")


def test_photos_over_the_request_limit_show_the_form_again_with_a_clear_message(client, app, storage):
    acceptance, result, _ = _two_projects(app, storage)
    base = _path(owner_links.owner_url(result.token))
    boundary, data = oversize_body(kind="general", description="墙裂")
    response = client.post(f"{base}/repairs", data=data, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "照片合计过大：总共最多 20 MB，请少选几张。" in response.text
    assert 'id="repair-form"' in response.text and acceptance.project.contract_no in response.text
    assert db.session.query(RepairRequest).filter_by(project_id=acceptance.project_id).count() == 0
    assert not (storage.root / "repairs").exists() or _repair_files(storage) == []
    result.link.revoked_at = utcnow()
    db.session.commit()
    response = client.post(f"{base}/repairs", data=data, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 410 and "照片合计过大" not in response.text
    response = client.post(f"/owner/{'x' * 40}/repairs", data=data,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 404
