"""Projects: create/edit with 档案号 validation, search, pagination, who sees what."""
from datetime import date

from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.projects.models import Project
from tests.conftest import form_errors
from tests.factories import make_project, make_user


def project_form(**overrides):
    foreman = make_user(Role.FOREMAN)
    pm = make_user(Role.PROJECT_MANAGER)
    db.session.commit()
    data = {
        "contract_no": "A25110301", "address": "西安市雁塔区科技路1号2单元301室", "owner_name": "王先生",
        "owner_phone": "13912345678", "design_studio": "A 曲江设计室", "designer": "孙雅",
        "project_manager_id": str(pm.id), "foreman_id": str(foreman.id), "contract_amount": "123456.78",
        "start_date": "2025-11-10", "planned_completion": "2026-01-20", "status": "in_progress",
    }
    data.update(overrides)
    return data


def project_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Project))


def test_office_creates_a_project(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/projects/new", data=project_form(contract_no=" a25110301 "))
    assert response.status_code == 302
    project = db.session.scalar(select(Project).where(Project.contract_no == "A25110301"))
    assert project.address == "西安市雁塔区科技路1号2单元301室"
    assert str(project.contract_amount) == "123456.78" and project.start_date == date(2025, 11, 10)
    assert "A25110301" in client.get(response.headers["Location"]).text


def test_engineering_may_create_too(client, login_as):
    login_as(Role.ENGINEERING)
    assert client.post("/projects/new", data=project_form()).status_code == 302


def test_invalid_contract_no_is_an_inline_error_and_nothing_saved(client, login_as):
    login_as(Role.OFFICE)
    before = project_count()
    for bad, message in [("A2511030", "格式为一个大写字母"), ("A25023001", "不是有效日期"), ("", "该字段是必填字段。")]:
        response = client.post("/projects/new", data=project_form(contract_no=bad))
        assert response.status_code == 422
        assert any(message in e for e in form_errors(response.text)), form_errors(response.text)
    assert project_count() == before


def test_duplicate_contract_no_is_an_inline_error(client, login_as):
    login_as(Role.OFFICE)
    make_project(contract_no="A25110301")
    db.session.commit()
    before = project_count()
    response = client.post("/projects/new", data=project_form())
    assert response.status_code == 422
    assert "该档案号已被其他工程使用。" in form_errors(response.text)
    assert project_count() == before


def test_other_field_errors(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/projects/new", data=project_form(
        owner_phone="call me", planned_completion="2025-01-01", contract_amount="-5", foreman_id="999999"))
    errors = " ".join(form_errors(response.text))
    assert response.status_code == 422
    assert "请输入数字电话号码" in errors and "计划竣工日期早于开工日期" in errors
    assert "不是有效的选择。" in errors and "数值大小必须介于 0 到 99999999.99 之间" in errors


def test_edit_keeps_own_contract_no(client, login_as):
    login_as(Role.OFFICE)
    project = make_project(contract_no="B25110301")
    db.session.commit()
    data = project_form(contract_no="B25110301", address="新地址 8 号")
    assert client.post(f"/projects/{project.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, project.id).address == "新地址 8 号"


def test_edit_form_keeps_a_deactivated_foreman_as_choice(client, login_as):
    login_as(Role.OFFICE)
    gone = make_user(Role.FOREMAN, active=False, display_name="离职工长")
    project = make_project(foreman=gone)
    db.session.commit()
    assert "离职工长" in client.get(f"/projects/{project.id}/edit").text


def test_search_by_contract_address_owner(client, login_as):
    login_as(Role.OFFICE)
    make_project(contract_no="C25010101", address="西安市碑林区南关正街88号", owner_name="冯晓燕")
    make_project(contract_no="D25010101", address="西安市未央区凤城八路1号", owner_name="郑海涛")
    db.session.commit()
    for q in ("C2501", "南关正街", "冯晓"):
        text = client.get("/projects/", query_string={"q": q}).text
        assert "C25010101" in text and "D25010101" not in text
    assert "没有与" in client.get("/projects/", query_string={"q": "100%_"}).text


def test_search_fragment_for_htmx_target(client, login_as):
    login_as(Role.OFFICE)
    make_project(contract_no="C25010101")
    db.session.commit()
    fragment = client.get("/projects/?q=C25", headers={"HX-Request": "true", "HX-Target": "project-results"})
    assert fragment.text.lstrip().startswith('<section id="project-results"') and "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/projects/?q=C25", headers={"HX-Request": "true"})
    assert "<html" in boosted.text


def test_pagination(client, login_as):
    login_as(Role.OFFICE)
    foreman, pm = make_user(Role.FOREMAN), make_user(Role.PROJECT_MANAGER)
    for i in range(25):
        make_project(contract_no=f"E2501{(i % 28) + 1:02d}{i + 1:02d}", foreman=foreman, project_manager=pm)
    db.session.commit()
    first = client.get("/projects/?q=E2501").text
    second = client.get("/projects/?q=E2501&page=2").text
    assert first.count('class="list-item"') == 20 and second.count('class="list-item"') == 5
    assert "第 1 页，共 2 页" in first
    assert client.get("/projects/?page=99").status_code == 200


def test_foreman_sees_only_his_projects(client, login_as):
    foreman = make_user(Role.FOREMAN)
    mine = make_project(foreman=foreman, contract_no="F25010101")
    other = make_project(contract_no="F25010102")
    login_as(foreman)
    listing = client.get("/projects/").text
    assert "F25010101" in listing and "F25010102" not in listing
    assert client.get(f"/projects/{mine.id}").status_code == 200
    assert client.get(f"/projects/{other.id}").status_code == 404
    assert client.get(f"/projects/{mine.id}/edit").status_code == 403


def test_project_manager_sees_only_his_projects(client, login_as):
    pm = make_user(Role.PROJECT_MANAGER)
    mine = make_project(project_manager=pm)
    other = make_project()
    login_as(pm)
    assert client.get(f"/projects/{mine.id}").status_code == 200
    assert client.get(f"/projects/{other.id}").status_code == 404
    assert client.get(f"/projects/{other.id}/edit").status_code == 404


def test_finance_sees_everything_read_only(client, login_as):
    project = make_project()
    login_as(Role.FINANCE)
    page = client.get(f"/projects/{project.id}")
    assert page.status_code == 200 and "/edit" not in page.text
    assert client.post(f"/projects/{project.id}/edit", data=project_form()).status_code == 403
    assert client.get("/projects/new").status_code == 403
