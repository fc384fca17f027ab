"""Photo markup over HTTP: saving versions (again with the same id), bad markup, who may draw,
and the burned-in versions in the served photo, the notice PDF data and the owner's archive."""
from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.photos import services
from portal.photos.models import PhotoMarkup
from portal.photos.services import PhotoTarget, store_photo
from portal.rectification.pdf import notice_data
from portal.storage import get_storage
from tests.factories import (
    make_failed_inspection, make_image_bytes, make_photo, make_project, make_signature, make_user,
)
from tests.fakes import FailingStorage

CIRCLE = {"type": "ellipse", "color": "#1e88e5", "width": 0.02, "x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}


@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def files_of(store) -> list[str]:
    """Every file under the store's photos/ folder."""
    return sorted(p.relative_to(store.root).as_posix() for p in (store.root / "photos").rglob("*") if p.is_file())


def save(client, photo, shapes, client_id=None):
    """POST markup for ``photo`` as the logged-in user."""
    return client.post(f"/photos/{photo.uuid}/markup", data={
        "client_id": client_id or str(uuid.uuid4()), "markup": json.dumps({"shapes": shapes})})


def blue_at(jpeg: bytes, x: float, y: float) -> bool:
    """Whether the pixel at the fraction (x, y) of the image is the markup blue."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    r, g, b = image.getpixel((int(x * image.width), int(y * image.height)))
    return b > 170 and r < 90 and 100 < g < 170


def served(client, photo, variant: str) -> bytes:
    """The bytes of one version of the photo (the file is closed afterwards)."""
    response = client.get(f"/photos/{photo.uuid}/{variant}")
    try:
        assert response.status_code == 200
        return response.get_data()
    finally:
        response.close()


def markup_count(photo) -> int:
    return db.session.scalar(select(func.count()).select_from(PhotoMarkup).where(PhotoMarkup.photo_id == photo.id))


def test_inspector_marks_a_photo_and_sees_it_burned_in_while_the_original_stays(client, login_as, storage):
    project = make_project()
    data = make_image_bytes(1600, 1200)
    photo = make_photo(project, data=data)
    login_as(Role.INSPECTOR)
    db.session.commit()
    assert client.get(f"/photos/{photo.uuid}/markup").status_code == 200
    response = save(client, photo, [CIRCLE])
    assert response.status_code == 201, response.text
    assert response.json["version"] == 1
    display = client.get(f"/photos/{photo.uuid}/display")
    display.close()
    assert "no-cache" in display.headers["Cache-Control"]
    assert blue_at(served(client, photo, "display"), 0.25 + 0.005, 0.5)
    assert blue_at(served(client, photo, "thumb"), 0.25 + 0.008, 0.5)
    assert not blue_at(served(client, photo, "plain"), 0.25 + 0.005, 0.5)
    original = served(client, photo, "original")
    assert original == data and hashlib.sha256(original).hexdigest() == photo.sha256


def test_a_second_version_is_kept_and_an_empty_one_unmarks_the_photo(client, login_as, storage):
    photo = make_photo(make_project(), data=make_image_bytes(800, 600))
    inspector = login_as(Role.INSPECTOR)
    db.session.commit()
    assert save(client, photo, [CIRCLE]).json["version"] == 1
    assert save(client, photo, []).json["version"] == 2
    history = services.markup_history(photo)
    assert [(m.version, m.shape_count, m.created_by_id) for m in history] == [(2, 0, inspector.id), (1, 1, inspector.id)]
    assert not blue_at(served(client, photo, "display"), 0.25 + 0.005, 0.5)
    page = client.get(f"/photos/{photo.uuid}/markup").text
    assert "Version 2" in page and "Version 1" in page


def test_sending_the_same_save_again_stores_nothing_new(client, login_as, storage):
    photo = make_photo(make_project())
    login_as(Role.INSPECTOR)
    db.session.commit()
    client_id = str(uuid.uuid4())
    first = save(client, photo, [CIRCLE], client_id)
    files = files_of(storage)
    again = save(client, photo, [CIRCLE], client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["version"] == first.json["version"] == 1
    assert files_of(storage) == files and markup_count(photo) == 1


def test_the_same_client_id_on_another_photo_is_a_conflict(client, login_as, storage):
    project = make_project()
    one, two = make_photo(project), make_photo(project)
    login_as(Role.INSPECTOR)
    db.session.commit()
    client_id = str(uuid.uuid4())
    assert save(client, one, [CIRCLE], client_id).status_code == 201
    assert save(client, two, [CIRCLE], client_id).status_code == 409
    assert markup_count(two) == 0


@pytest.mark.parametrize("markup, fragment", [
    ("{broken", "could not be read"),
    (json.dumps({"shapes": [{**CIRCLE, "x": 0.9}]}), "outside the photo"),
    (json.dumps({"shapes": [{**CIRCLE, "color": "#010203"}]}), "colour"),
    (json.dumps({"shapes": [CIRCLE] * 61}), "too many"),
    ("x" * 70000, "too large"),
])
def test_bad_markup_is_a_422_and_nothing_is_stored(client, login_as, storage, markup, fragment):
    photo = make_photo(make_project())
    login_as(Role.INSPECTOR)
    db.session.commit()
    files = files_of(storage)
    response = client.post(f"/photos/{photo.uuid}/markup", data={"client_id": str(uuid.uuid4()), "markup": markup})
    assert response.status_code == 422 and fragment in response.json["error"]
    assert markup_count(photo) == 0 and files_of(storage) == files


def test_a_save_without_client_id_is_refused(client, login_as, storage):
    photo = make_photo(make_project())
    login_as(Role.INSPECTOR)
    db.session.commit()
    response = client.post(f"/photos/{photo.uuid}/markup", data={"markup": json.dumps({"shapes": [CIRCLE]})})
    assert response.status_code == 422 and markup_count(photo) == 0


def test_who_may_draw(client, login_as, storage):
    foreman = make_user(Role.FOREMAN)
    own, other = make_project(foreman=foreman), make_project()
    own_photo, other_photo = make_photo(own), make_photo(other)
    login_as(foreman)
    db.session.commit()
    assert save(client, own_photo, [CIRCLE]).status_code == 201
    # another project's photo: it does not exist for him
    assert client.get(f"/photos/{other_photo.uuid}/markup").status_code == 404
    assert save(client, other_photo, [CIRCLE]).status_code == 404
    assert markup_count(other_photo) == 0


def after_photo(notice, uploader=None):
    """A foreman's "after" photo of the notice's first item (the rework), as the notice page uploads it."""
    item = notice.items[0]
    photo, _created, _keys = store_photo(PhotoTarget(project=notice.project, notice_item_id=item.id, location="主卫"),
                                         str(uuid.uuid4()), make_image_bytes(), uploader or notice.project.foreman,
                                         get_storage())
    return photo


def test_the_projects_foreman_and_manager_mark_up_an_after_photo_another_foreman_cannot(client, login_as, storage):
    inspection, notice = make_failed_inspection()
    photo = after_photo(notice)
    other_foreman = make_project().foreman
    login_as(notice.project.foreman)
    db.session.commit()
    assert client.get(f"/photos/{photo.uuid}/markup").status_code == 200
    first = save(client, photo, [CIRCLE])
    assert first.status_code == 201 and first.json["version"] == 1
    login_as(notice.project.project_manager)
    second = save(client, photo, [dict(CIRCLE, color="#e53935")])
    assert second.status_code == 201 and second.json["version"] == 2
    assert [row.created_by_id for row in services.markup_history(photo)] == [  # newest first
        notice.project.project_manager_id, notice.project.foreman_id]
    login_as(other_foreman)
    assert client.get(f"/photos/{photo.uuid}/markup").status_code == 404
    assert save(client, photo, [CIRCLE]).status_code == 404
    assert markup_count(photo) == 2


def test_a_markup_that_cannot_be_stored_is_a_507_with_no_row_and_no_files(app, client, login_as, tmp_path):
    failing = FailingStorage(tmp_path / "failing", fail_on=99)
    previous = app.extensions.get("portal_storage")
    app.extensions["portal_storage"] = failing
    try:
        project = make_project()
        photo = make_photo(project)
        before = files_of(failing)
        failing.fail_on = failing.puts + 2  # the marked display version is written, the thumbnail fails
        login_as(project.foreman)
        db.session.commit()
        response = save(client, photo, [CIRCLE])
        assert response.status_code == 507
        assert "could not be stored" in response.json["error"]
        assert failing.puts == failing.fail_on  # it did fail half-way
        assert markup_count(photo) == 0 and files_of(failing) == before
        assert not blue_at(served(client, photo, "display"), 0.25 + 0.005, 0.5)
    finally:
        app.extensions["portal_storage"] = previous


def test_finance_sees_the_photo_but_does_not_draw(client, login_as, storage):
    photo = make_photo(make_project())
    login_as(Role.FINANCE)
    db.session.commit()
    assert served(client, photo, "display")
    assert client.get(f"/photos/{photo.uuid}/markup").status_code == 403
    assert save(client, photo, [CIRCLE]).status_code == 403


def test_the_notice_pdf_shows_marked_thumbnails(client, login_as, storage):
    inspection, notice = make_failed_inspection()
    photo = make_photo(inspection=inspection, item_id=notice.items[0].item_id)
    login_as(inspection.inspector)
    db.session.commit()
    assert save(client, photo, [CIRCLE]).status_code == 201
    marked = services.latest_markup(photo)
    assert notice_data(notice)["items"][0]["thumbs"] == [marked.thumb_key]
    assert "Mark up" in client.get(f"/notices/{notice.id}").text


def test_the_owner_archive_has_the_marked_version_beside_the_original(client, login_as, storage):
    project = make_project()
    photo = make_photo(project)
    login_as(Role.OFFICE)
    db.session.commit()
    assert save(client, photo, [CIRCLE]).status_code == 201
    response = client.get(f"/projects/{project.id}/concealed/archive.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    response.close()
    names = archive.namelist()
    marked = [n for n in names if n.endswith("_marked.jpg")]
    assert len(marked) == 1 and marked[0].replace("_marked.jpg", ".jpg") in names
    assert blue_at(archive.read(marked[0]), 0.25 + 0.005, 0.5)


def test_the_editor_offers_exactly_the_accepted_colours(app):
    from portal.photos import markup
    from portal.photos.messages import colour_names

    with app.test_request_context():
        assert [colour for colour, _name in colour_names()] == list(markup.COLOURS)
