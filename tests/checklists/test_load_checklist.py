"""``flask load-checklist``: the built-in checklist, or a company's own file, validated first."""
import json
from decimal import Decimal

from sqlalchemy import func, select

from portal.checklists.models import ChecklistItem, ChecklistTemplate
from portal.extensions import db

OWN = {"name": "公司检查表", "name_en": "Company checklist", "categories": [
    {"code": "walls", "title": "墙面", "items": [
        {"code": "walls.clean", "kind": "check", "text": "墙面洁净", "photo_required_on_fail": True},
        {"code": "walls.flatness", "kind": "measured", "text": "墙面平整度", "unit": "mm", "limit_max": "3",
         "source": "GB 50210"}]}]}


def write(tmp_path, data) -> str:
    path = tmp_path / "checklist.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_company_file_is_loaded_as_version_1(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["load-checklist", "--file", write(tmp_path, OWN)])
    assert result.exit_code == 0 and "version 1, published" in result.output
    template = db.session.scalar(select(ChecklistTemplate))
    assert (template.name, template.name_en) == ("公司检查表", "Company checklist")
    items = [item for category in template.categories for item in category.items]
    assert [(i.code, i.kind, i.unit, i.limit_max) for i in items] == [
        ("walls.clean", "check", "", None), ("walls.flatness", "measured", "mm", Decimal("3"))]


def test_a_bad_file_is_refused_whole_with_every_problem(app, tmp_path):
    bad = json.loads(json.dumps(OWN))
    bad["categories"][0]["items"][1]["code"] = "walls.clean"
    bad["categories"][0]["items"][0]["kind"] = "visual"
    result = app.test_cli_runner().invoke(args=["load-checklist", "--file", write(tmp_path, bad)])
    assert result.exit_code == 1
    assert "2 problem(s), nothing loaded" in result.output
    assert "items[0] (walls.clean): unknown kind 'visual' (check or measured)" in result.output
    assert "items[1] (walls.clean): duplicate item code 'walls.clean'" in result.output
    assert count(ChecklistTemplate) == 0 and count(ChecklistItem) == 0


def test_a_file_is_not_loaded_over_an_existing_checklist(app, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["load-checklist"]).exit_code == 0
    items = count(ChecklistItem)
    path = write(tmp_path, OWN)
    result = runner.invoke(args=["load-checklist", "--file", path])
    assert result.exit_code == 0 and f"it was there already; {path} was not loaded" in result.output
    assert count(ChecklistItem) == items == 89
    bad = runner.invoke(args=["load-checklist", "--file", write(tmp_path, {"name": "x"})])
    assert bad.exit_code == 1 and "categories is missing" in bad.output


def test_a_missing_file_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["load-checklist", "--file", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "does not exist" in result.output
