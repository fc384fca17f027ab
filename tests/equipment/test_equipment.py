"""Equipment register: calibration state, list order, create/edit/retire, validation, access."""
from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.equipment import forms as equipment_forms
from portal.equipment.models import Equipment
from portal.equipment.services import CalibrationState, RegisterEntry, calibration_state, sort_register
from portal.extensions import db
from portal.timeutil import local_today
from tests.conftest import form_errors

DAY = date(2026, 3, 10)
_serials = count(1)


def make_equipment(*, name="激光水平仪", serial_no=None, calibrated_on=None, valid_until=None, retired=False,
                   notes="") -> Equipment:
    """An instrument calibrated 100 days ago and valid for another 200 unless told otherwise."""
    today = local_today()
    equipment = Equipment(name=name, serial_no=serial_no or f"TEST-{next(_serials):04d}",
                          calibrated_on=calibrated_on or today - timedelta(days=100),
                          valid_until=valid_until or today + timedelta(days=200), retired=retired, notes=notes)
    db.session.add(equipment)
    db.session.flush()
    return equipment


def equipment_form(**overrides) -> dict:
    today = local_today()
    data = {"name": "含水率测试仪", "serial_no": "MT-2025-001", "calibrated_on": (today - timedelta(days=10)).isoformat(),
            "valid_until": (today + timedelta(days=355)).isoformat(), "notes": ""}
    data.update(overrides)
    return data


def equipment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Equipment))


def login_office_in_english(client, login_as):
    """Office user reading English, so messages are checked against their msgids."""
    user = login_as(Role.OFFICE)
    client.post("/language", data={"language": "en"})
    return user


# --- calibration state (pure) --------------------------------------------------------------

def instrument(calibrated_on=DAY - timedelta(days=300), valid_until=DAY + timedelta(days=60), retired=False):
    return Equipment(name="x", serial_no="x", calibrated_on=calibrated_on, valid_until=valid_until, retired=retired)


@pytest.mark.parametrize("valid_until, expected", [
    (DAY + timedelta(days=31), "valid"),
    (DAY + timedelta(days=30), "expiring"),
    (DAY + timedelta(days=1), "expiring"),
    (DAY, "expiring"),  # the last valid day is still valid, and of course expiring
    (DAY - timedelta(days=1), "expired"),
])
def test_calibration_state_boundaries(valid_until, expected):
    assert calibration_state(instrument(valid_until=valid_until), DAY) == expected


def test_valid_until_today_is_still_usable():
    item = instrument(valid_until=DAY)
    assert item.is_valid_on(DAY) and calibration_state(item, DAY) != "expired"


def test_retired_wins_over_dates():
    assert calibration_state(instrument(retired=True), DAY) == "retired"
    assert calibration_state(instrument(valid_until=DAY - timedelta(days=5), retired=True), DAY) == "retired"


def test_calibration_dated_after_today_is_not_usable():
    assert calibration_state(instrument(calibrated_on=DAY + timedelta(days=1)), DAY) == "expired"


@pytest.mark.parametrize("offset", range(-3, 35))
def test_state_agrees_with_what_inspectors_may_choose(offset):
    item = instrument(valid_until=DAY + timedelta(days=offset))
    usable = calibration_state(item, DAY) in (CalibrationState.VALID, CalibrationState.EXPIRING)
    assert usable == item.is_valid_on(DAY)


def test_register_order_problems_first():
    entries = [RegisterEntry(instrument(valid_until=DAY + timedelta(days=d), retired=r), s) for d, r, s in [
        (300, False, CalibrationState.VALID), (5, True, CalibrationState.RETIRED),
        (20, False, CalibrationState.EXPIRING), (-1, False, CalibrationState.EXPIRED),
        (10, False, CalibrationState.EXPIRING), (100, False, CalibrationState.VALID)]]
    ordered = [(e.state, (e.equipment.valid_until - DAY).days) for e in sort_register(entries)]
    assert ordered == [("expired", -1), ("expiring", 10), ("expiring", 20), ("valid", 100), ("valid", 300),
                       ("retired", 5)]


# --- the register page ---------------------------------------------------------------------

def list_items(html: str) -> list[str]:
    return html.split('<li class="list-item')[1:]


def test_list_shows_expired_as_expired_and_problems_first(client, login_as):
    login_office_in_english(client, login_as)
    today = local_today()
    make_equipment(serial_no="OK-1")
    make_equipment(serial_no="OLD-1", valid_until=today - timedelta(days=1))
    make_equipment(serial_no="SOON-1", valid_until=today + timedelta(days=30))
    make_equipment(serial_no="GONE-1", retired=True)
    db.session.commit()
    response = client.get("/equipment/")
    assert response.status_code == 200
    items = list_items(response.text)
    assert [next(s for s in ("OLD-1", "SOON-1", "OK-1", "GONE-1") if s in item) for item in items] == [
        "OLD-1", "SOON-1", "OK-1", "GONE-1"]
    assert 'badge badge-bad">Expired<' in items[0]
    assert "Expires within 30 days" in items[1] and ">Valid<" in items[2] and ">Retired<" in items[3]
    assert (today - timedelta(days=1)).isoformat() in items[0]
    assert 'href="/equipment/new"' in response.text


def test_empty_register(client, login_as):
    login_as(Role.OFFICE)
    assert 'class="empty-state"' in client.get("/equipment/").text


# --- create, edit, retire ------------------------------------------------------------------

def test_office_adds_an_instrument(client, login_as):
    login_as(Role.OFFICE)
    form = equipment_form(name=" 含水率测试仪 ", serial_no=" MT-2025-001 ", notes=" 证书 JL-2025-118 ")
    response = client.post("/equipment/new", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/equipment/"
    item = db.session.scalar(select(Equipment).where(Equipment.serial_no == "MT-2025-001"))
    assert item.name == "含水率测试仪" and item.notes == "证书 JL-2025-118" and not item.retired
    assert item.calibrated_on == local_today() - timedelta(days=10)
    page = client.get("/equipment/").text
    assert "MT-2025-001" in page and "MT-2025-001" in page[page.index('id="flash"'):page.index("<main")]


def test_notes_may_be_left_out(client, login_as):
    login_as(Role.OFFICE)
    form = equipment_form()
    del form["notes"]
    assert client.post("/equipment/new", data=form).status_code == 302
    assert db.session.scalar(select(Equipment.notes).where(Equipment.serial_no == "MT-2025-001")) == ""


def test_office_recalibrates_an_instrument(client, login_as):
    login_as(Role.OFFICE)
    today = local_today()
    item = make_equipment(valid_until=today - timedelta(days=3))
    db.session.commit()
    page = client.get(f"/equipment/{item.id}/edit")
    assert page.status_code == 200 and item.serial_no in page.text and "校准证书" in page.text
    form = equipment_form(name=item.name, serial_no=item.serial_no, calibrated_on=today.isoformat(),
                          valid_until=(today + timedelta(days=365)).isoformat())
    assert client.post(f"/equipment/{item.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    item = db.session.get(Equipment, item.id)
    assert item.calibrated_on == today and item.valid_until == today + timedelta(days=365)
    assert calibration_state(item, today) == "valid" and not item.retired


def test_office_retires_and_reinstates_an_instrument(client, login_as):
    login_as(Role.OFFICE)
    item = make_equipment()
    db.session.commit()
    form = equipment_form(name=item.name, serial_no=item.serial_no, calibrated_on=item.calibrated_on.isoformat(),
                          valid_until=item.valid_until.isoformat())
    assert client.post(f"/equipment/{item.id}/edit", data={**form, "retired": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Equipment, item.id).retired
    assert 'data-state="retired"' in client.get("/equipment/").text
    assert 'name="retired"' in client.get(f"/equipment/{item.id}/edit").text
    assert client.post(f"/equipment/{item.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Equipment, item.id).retired


def test_new_form_has_no_retired_box(client, login_as):
    login_as(Role.OFFICE)
    assert 'name="retired"' not in client.get("/equipment/new").text


def test_editing_keeps_its_own_serial(client, login_as):
    login_as(Role.OFFICE)
    item = make_equipment(serial_no="KEEP-1")
    db.session.commit()
    form = equipment_form(name="新名称", serial_no="KEEP-1")
    assert client.post(f"/equipment/{item.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Equipment, item.id).name == "新名称"


# --- validation ----------------------------------------------------------------------------

def test_duplicate_serial_is_an_inline_error_and_nothing_saved(client, login_as):
    login_office_in_english(client, login_as)
    make_equipment(serial_no="DUP-1")
    db.session.commit()
    before = equipment_count()
    response = client.post("/equipment/new", data=equipment_form(serial_no=" DUP-1 "))
    assert response.status_code == 422
    assert form_errors(response.text) == ["Another instrument already has this serial number."]
    assert equipment_count() == before


def test_duplicate_serial_on_edit(client, login_as):
    login_office_in_english(client, login_as)
    make_equipment(serial_no="DUP-1")
    item = make_equipment(serial_no="OTHER-1")
    db.session.commit()
    response = client.post(f"/equipment/{item.id}/edit", data=equipment_form(serial_no="DUP-1"))
    assert response.status_code == 422
    assert form_errors(response.text) == ["Another instrument already has this serial number."]
    db.session.expire_all()
    assert db.session.get(Equipment, item.id).serial_no == "OTHER-1"


def test_serial_taken_meanwhile_is_reported_not_a_500(client, login_as, monkeypatch):
    """Another request saved the same serial between validation and commit."""
    login_office_in_english(client, login_as)
    make_equipment(serial_no="RACE-1")
    db.session.commit()
    before = equipment_count()
    monkeypatch.setattr(equipment_forms, "serial_no_taken", lambda *args: False)
    response = client.post("/equipment/new", data=equipment_form(serial_no="RACE-1"))
    assert response.status_code == 422
    assert form_errors(response.text) == ["Another instrument already has this serial number."]
    assert equipment_count() == before


def test_valid_until_before_calibration_is_refused(client, login_as):
    login_office_in_english(client, login_as)
    today = local_today()
    for until in (today - timedelta(days=11), today - timedelta(days=10)):
        response = client.post("/equipment/new", data=equipment_form(valid_until=until.isoformat()))
        assert response.status_code == 422
        assert form_errors(response.text) == ["The end of validity must be after the calibration date."]
    assert equipment_count() == 0


def test_calibration_in_the_future_is_refused(client, login_as):
    login_office_in_english(client, login_as)
    tomorrow = local_today() + timedelta(days=1)
    response = client.post("/equipment/new", data=equipment_form(calibrated_on=tomorrow.isoformat()))
    assert response.status_code == 422
    assert form_errors(response.text) == ["The calibration date cannot be in the future."]
    assert equipment_count() == 0


def test_calibrated_today_is_accepted(client, login_as):
    login_as(Role.OFFICE)
    assert client.post("/equipment/new", data=equipment_form(calibrated_on=local_today().isoformat())).status_code == 302


def test_required_fields_and_lengths(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/equipment/new", data={"name": " ", "serial_no": "", "calibrated_on": "",
                                                   "valid_until": "kein Datum", "notes": "x" * 1001})
    assert response.status_code == 422
    errors = form_errors(response.text)
    assert errors.count("该字段是必填字段。") == 3 and len(errors) == 5
    response = client.post("/equipment/new", data=equipment_form(name="x" * 101, serial_no="s" * 61))
    assert response.status_code == 422 and len(form_errors(response.text)) == 2
    assert equipment_count() == 0


def test_invalid_edit_changes_nothing(client, login_as):
    login_as(Role.OFFICE)
    item = make_equipment(name="原名称")
    db.session.commit()
    form = equipment_form(name="新名称", serial_no=item.serial_no, valid_until="2000-01-01")
    assert client.post(f"/equipment/{item.id}/edit", data=form).status_code == 422
    db.session.expire_all()
    assert db.session.get(Equipment, item.id).name == "原名称"


# --- access --------------------------------------------------------------------------------

def test_unknown_instrument_is_404(client, login_as):
    login_as(Role.OFFICE)
    assert client.get("/equipment/999999/edit").status_code == 404
    assert client.post("/equipment/999999/edit", data=equipment_form()).status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICE])
def test_only_office_may_edit_a_real_instrument(client, login_as, role):
    item = make_equipment(name="原名称")
    login_as(role)
    assert client.get(f"/equipment/{item.id}/edit").status_code == 403
    form = equipment_form(name="新名称", serial_no=item.serial_no)
    assert client.post(f"/equipment/{item.id}/edit", data=form).status_code == 403
    db.session.expire_all()
    assert db.session.get(Equipment, item.id).name == "原名称"


def test_office_may_open_a_real_instrument(client, login_as):
    item = make_equipment()
    login_as(Role.OFFICE)
    assert client.get(f"/equipment/{item.id}/edit").status_code == 200


def test_anonymous_is_sent_to_login(client):
    item = make_equipment()
    db.session.commit()
    response = client.get(f"/equipment/{item.id}/edit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
