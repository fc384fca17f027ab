"""User administration and the CLI commands."""
from sqlalchemy import func, select

from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from tests.conftest import form_errors
from tests.factories import make_user


def user_named(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_admin_creates_a_user_with_roles(client, login_as):
    login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data={
        "username": "Wang.JG", "display_name": "王建国", "phone": "13800000001",
        "roles": ["inspector", "office"], "password": "long-enough-1", "active": "y"})
    assert response.status_code == 302
    user = user_named("wang.jg")
    assert user.roles == {Role.INSPECTOR, Role.OFFICE} and user.check_password("long-enough-1")


def test_duplicate_username_and_short_password(client, login_as):
    login_as(Role.ADMIN)
    make_user(Role.OFFICE, username="taken")
    db.session.commit()
    response = client.post("/admin/users/new", data={
        "username": "taken", "display_name": "X", "password": "long-enough-1"})
    assert "该用户名已被使用。" in form_errors(response.text)
    response = client.post("/admin/users/new", data={"username": "new1", "display_name": "X", "password": "short"})
    assert response.status_code == 422 and user_named("new1") is None


def test_deactivate_and_change_roles(client, login_as):
    login_as(Role.ADMIN)
    user = make_user(Role.FOREMAN, username="leaving")
    db.session.commit()
    response = client.post(f"/admin/users/{user.id}", data={"display_name": "离职", "roles": ["project_manager"]})
    assert response.status_code == 302
    changed = user_named("leaving")
    assert not changed.active and changed.roles == {Role.PROJECT_MANAGER} and changed.display_name == "离职"


def test_deactivated_user_loses_his_session(client, login_as):
    user = login_as(Role.OFFICE)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_reset_password(client, login_as):
    login_as(Role.ADMIN)
    user = make_user(Role.OFFICE, username="forgetful")
    db.session.commit()
    assert client.post(f"/admin/users/{user.id}/password", data={"password": "fresh-password"}).status_code == 302
    assert user_named("forgetful").check_password("fresh-password")


def test_users_are_never_deleted(app):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.") for m in rule.methods}
    assert "DELETE" not in methods


def test_cli_create_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "cli.user", "--name", "命令行", "--role", "finance",
                                 "--role", "office", "--password", "cli-password-1"])
    assert result.exit_code == 0, result.output
    assert user_named("cli.user").roles == {Role.FINANCE, Role.OFFICE}
    again = runner.invoke(args=["create-user", "cli.user", "--name", "x", "--role", "finance", "--password", "cli-password-1"])
    assert again.exit_code != 0 and "taken" in again.output


def test_cli_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "nothing changed" in second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == count
    assert user_named("inspector").roles == {Role.INSPECTOR}


def test_cli_load_checklist_is_idempotent(app):
    from portal.checklists.models import ChecklistItem

    runner = app.test_cli_runner()
    assert runner.invoke(args=["load-checklist"]).exit_code == 0
    count = db.session.scalar(select(func.count()).select_from(ChecklistItem))
    result = runner.invoke(args=["load-checklist"])
    assert "version 1, published" in result.output
    assert db.session.scalar(select(func.count()).select_from(ChecklistItem)) == count >= 60
