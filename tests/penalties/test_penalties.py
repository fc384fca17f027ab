"""The penalty register for office: filters, CSV for HR, annulment with a kept reason."""
import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.auth.roles import Role
from portal.extensions import db
from portal.penalties.models import Penalty, PenaltyKind
from portal.penalties.services import HANDBOOK_MISSING, active_order_stops, record_penalty
from portal.timeutil import local_today, utcnow
from tests.factories import make_inspection, make_user


@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them (the default language is Chinese)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


@pytest.fixture
def register():
    """Three penalties on one inspection: the foreman's general fault and replacement, the PM's serious fault."""
    inspection = make_inspection()
    project = inspection.project
    project.foreman.display_name, project.project_manager.display_name = "王工长", "李经理"
    general = record_penalty(project.foreman, "foreman", PenaltyKind.GENERAL_FAULT, "round_1_failed", inspection)
    replacement = record_penalty(project.foreman, "foreman", PenaltyKind.REPLACEMENT, "round_3_failed", inspection,
                                 amount=Decimal("500"), order_stop_until=date(2027, 2, 24))
    serious = record_penalty(project.project_manager, "project_manager", PenaltyKind.SERIOUS_FAULT, HANDBOOK_MISSING,
                             inspection)
    return {"general": general, "replacement": replacement, "serious": serious, "project": project}


def rows_on(page: str) -> list[str]:
    return re.findall(r'<li class="list-item[^"]*"><div>.*?</div></li>', page, re.S)


def read_csv(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_office_sees_every_active_penalty(client, login_as, register):
    login_as(Role.OFFICE)
    page = client.get("/penalties/")
    assert page.status_code == 200
    rows = rows_on(page.text)
    assert len(rows) == 3
    text = page.text
    assert "General fault" in text and "Serious fault" in text and "Replaced, fined and order stop" in text
    assert "¥500" in text and "no new orders until 2027-02-24" in text
    assert "Pre-acceptance round 3 failed" in text and "Project handbook (工程管理手册) not brought" in text


@pytest.mark.parametrize("kind, expected", [
    ("general_fault", ["general"]),
    ("serious_fault", ["serious"]),
    ("replacement", ["replacement"]),
    ("", ["general", "replacement", "serious"]),
], ids=["general", "serious", "replacement", "all"])
def test_filter_by_kind(client, login_as, register, kind, expected):
    login_as(Role.OFFICE)
    rows = read_csv(client.get(f"/penalties/?format=csv&kind={kind}"))[1:]
    labels = {"general": "General fault", "serious": "Serious fault", "replacement": "Replaced, fined and order stop"}
    assert sorted(row[3] for row in rows) == sorted(labels[k] for k in expected)
    page = client.get(f"/penalties/?kind={kind}").text
    assert len(rows_on(page)) == len(expected)


def test_filter_by_person(client, login_as, register):
    login_as(Role.OFFICE)
    rows = read_csv(client.get(f"/penalties/?format=csv&person={register['project'].project_manager_id}"))[1:]
    assert [row[1] for row in rows] == ["李经理"]


def test_filter_by_period(client, login_as, register):
    register["general"].created_at = utcnow() - timedelta(days=40)
    login_as(Role.OFFICE)
    since = (local_today() - timedelta(days=10)).isoformat()
    assert len(read_csv(client.get(f"/penalties/?format=csv&from={since}"))) == 1 + 2
    assert len(read_csv(client.get(f"/penalties/?format=csv&to={since}"))) == 1 + 1
    assert len(read_csv(client.get("/penalties/?format=csv&from=&to="))) == 1 + 3  # empty: no limit


@pytest.mark.parametrize("fmt", ["html", "xlsx", ""])
def test_another_format_shows_the_register_with_its_csv_link(client, login_as, register, fmt):
    login_as(Role.OFFICE)
    response = client.get(f"/penalties/?format={fmt}&kind=general_fault")
    assert response.status_code == 200
    link = re.search(r'href="(/penalties/\?[^"]*format=csv[^"]*)"', response.text)
    assert link and "format=csv" in link.group(1) and "kind=general_fault" in link.group(1)
    assert link.group(1).count("format=") == 1


@pytest.mark.parametrize("query", ["kind=no-such-kind", "from=garbage", "to=9999-12-31", "from=0001-01-01",
                                   "person=" + "9" * 20, "person=-1"])
def test_unusable_filters_are_a_400_with_a_message(client, login_as, register, query):
    login_as(Role.OFFICE)
    for fmt in ("", "&format=csv"):
        response = client.get(f"/penalties/?{query}{fmt}")
        assert response.status_code == 400 and "<h1>" in response.text


@pytest.mark.parametrize("query", ["format=xlsx", "format=", "format=pdf&kind=general_fault", "endpoint=x",
                                   "_scheme=javascript", "_external=1", "_anchor=x"])
def test_any_other_format_or_a_url_option_shows_the_page_with_a_plain_csv_link(client, login_as, register, query):
    login_as(Role.OFFICE)
    response = client.get(f"/penalties/?{query}")
    assert response.status_code == 200
    link = re.search(r'href="([^"]*format=csv[^"]*)"', response.text).group(1)
    assert "endpoint" not in link and "_scheme" not in link and "_external" not in link and link.startswith("/")
    assert link.count("format=") == 1


def test_period_filter_uses_the_local_date_that_is_shown(client, login_as, register):
    register["general"].created_at = datetime(2026, 3, 1, 17, 30)  # 2026-03-02 01:30 in Xi'an
    login_as(Role.OFFICE)
    rows = read_csv(client.get("/penalties/?format=csv&kind=general_fault"))[1:]
    assert rows[0][0] == "2026-03-02"
    same_day = read_csv(client.get("/penalties/?format=csv&kind=general_fault&from=2026-03-02&to=2026-03-02"))[1:]
    assert len(same_day) == 1


def test_csv_for_hr_has_a_bom_a_header_and_a_row_per_penalty(client, login_as, register):
    login_as(Role.OFFICE)
    response = client.get("/penalties/?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="penalties.csv"'
    assert response.data.startswith("\ufeff".encode())
    rows = read_csv(response)
    assert rows[0] == ["Date", "Person", "Role", "Kind", "Amount (¥)", "No new orders until", "Reason", "Project",
                       "Annulled", "Annul reason"]
    assert len(rows) == 1 + 3 and all(len(row) == 10 for row in rows)
    by_kind = {row[3]: row for row in rows[1:]}
    replacement = by_kind["Replaced, fined and order stop"]
    assert replacement[:8] == [local_today().isoformat(), "王工长", "foreman", "Replaced, fined and order stop", "500.00",
                               "2027-02-24", "Pre-acceptance round 3 failed", register["project"].contract_no]
    assert replacement[8:] == ["", ""]
    assert by_kind["Serious fault"][4:7] == ["", "", "Project handbook (工程管理手册) not brought"]


def test_csv_content_type_names_the_charset_once(client, login_as):
    login_as(Role.OFFICE)
    assert client.get("/penalties/?format=csv").headers["Content-Type"] == "text/csv; charset=utf-8"


def test_csv_of_an_empty_register_has_the_header_only(client, login_as):
    login_as(Role.OFFICE)
    assert len(read_csv(client.get("/penalties/?format=csv"))) == 1


@pytest.mark.parametrize("reason", [None, "", "   \n\t "], ids=["missing", "empty", "blank"])
def test_annul_without_a_reason_is_422_and_changes_nothing(client, login_as, register, reason):
    login_as(Role.OFFICE)
    penalty = register["general"]
    response = client.post(f"/penalties/{penalty.id}/annul", data={} if reason is None else {"reason": reason})
    assert response.status_code == 422 and "Write why the penalty is annulled." in response.text
    db.session.expire_all()
    penalty = db.session.get(Penalty, penalty.id)
    assert (penalty.annulled_at, penalty.annulled_by_id, penalty.annul_reason) == (None, None, "")


def test_annul_with_a_reason_keeps_it_and_hides_the_penalty_unless_asked(client, login_as, register):
    office = login_as(Role.OFFICE)
    penalty = register["general"]
    response = client.post(f"/penalties/{penalty.id}/annul", data={"reason": "  复查发现系误判  "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/penalties/")
    db.session.expire_all()
    penalty = db.session.get(Penalty, penalty.id)
    assert penalty.annulled_at is not None and penalty.annulled_by_id == office.id
    assert penalty.annul_reason == "复查发现系误判"
    assert len(rows_on(client.get("/penalties/").text)) == 2
    page = client.get("/penalties/?annulled=1").text
    assert len(rows_on(page)) == 3 and "Annulled: 复查发现系误判" in page
    rows = read_csv(client.get("/penalties/?format=csv&annulled=1"))[1:]
    annulled = [row for row in rows if row[3] == "General fault"]
    assert annulled[0][8:] == [local_today().isoformat(), "复查发现系误判"]
    assert len(read_csv(client.get("/penalties/?format=csv"))) == 1 + 2


def test_annulling_twice_keeps_the_first_reason(client, login_as, register):
    login_as(Role.OFFICE)
    penalty = register["serious"]
    client.post(f"/penalties/{penalty.id}/annul", data={"reason": "第一次"})
    client.post(f"/penalties/{penalty.id}/annul", data={"reason": "第二次"})
    db.session.expire_all()
    assert db.session.get(Penalty, penalty.id).annul_reason == "第一次"


def test_an_annulled_penalty_is_never_deleted(client, login_as, register):
    login_as(Role.OFFICE)
    client.post(f"/penalties/{register['general'].id}/annul", data={"reason": "误判"})
    assert len(db.session.scalars(select(Penalty).where(Penalty.project_id == register["project"].id)).all()) == 3


def test_annul_reason_is_cut_to_1000_characters(client, login_as, register):
    login_as(Role.OFFICE)
    client.post(f"/penalties/{register['general'].id}/annul", data={"reason": "长" * 1500})
    db.session.expire_all()
    assert db.session.get(Penalty, register["general"].id).annul_reason == "长" * 1000


def test_annul_an_unknown_penalty_is_404(client, login_as):
    login_as(Role.OFFICE)
    assert client.post("/penalties/999999/annul", data={"reason": "x"}).status_code == 404


@pytest.mark.parametrize("role", [Role.FOREMAN, Role.PROJECT_MANAGER, Role.INSPECTOR, Role.FINANCE, Role.ADMIN,
                                  Role.ENGINEERING])
def test_only_office_reads_or_annuls(client, login_as, register, role):
    user = register["project"].foreman if role == Role.FOREMAN else make_user(role)
    login_as(user)
    assert client.get("/penalties/").status_code == 403
    assert client.get("/penalties/?format=csv").status_code == 403
    assert client.post(f"/penalties/{register['general'].id}/annul", data={"reason": "自己撤销"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Penalty, register["general"].id).annulled_at is None


def test_record_penalty_once_per_inspection_person_and_reason(register):
    inspection_id = register["general"].inspection_id
    from portal.inspections.models import Inspection

    inspection = db.session.get(Inspection, inspection_id)
    again = record_penalty(register["project"].foreman, "foreman", PenaltyKind.SERIOUS_FAULT, "round_1_failed", inspection)
    assert again.id == register["general"].id and again.kind == "general_fault"


def test_running_order_stops(register):
    foreman_id = register["project"].foreman_id
    assert active_order_stops(date(2027, 2, 24)) == {foreman_id: date(2027, 2, 24)}
    assert foreman_id not in active_order_stops(date(2027, 2, 25))
    register["replacement"].annulled_at = utcnow()
    db.session.flush()
    assert foreman_id not in active_order_stops(date(2026, 12, 1))
