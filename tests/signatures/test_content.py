"""The content fingerprint a signature is bound to: canonical JSON, SHA-256, what changes it."""
import copy
import hashlib
import json
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.inspections.services import answers_version, finish, load_answers, save_answer, save_note
from portal.inspections.signing import inspection_content
from portal.photos.signing import closure_test_content, concealed_content
from portal.signatures.content import canonical_json, fingerprint
from tests.factories import make_image_bytes, make_inspection, make_photo, make_project

SAMPLE = {
    "type": "inspection",
    "project": "T260101",
    "round": 1,
    "template": {"family": "default", "version": 2},
    "answers": [["electrical.1", "pass", None, ""], ["carpentry.1", "pass", Decimal("10.5"), "含水率合格"]],
    "result": {"passed": True, "grade": "good", "passed_count": 5, "applicable_count": 5},
    "photos": [["electrical.1", "ab" * 32]],
}


def answered(inspection, value="10"):
    """Answer every item of ``inspection`` (checks pass, the measured item ``value``)."""
    for row in load_answers(inspection):
        if row.item.is_measured:
            save_answer(row, inspection.inspector, raw_value=value)
        else:
            save_answer(row, inspection.inspector, outcome="pass")
    return inspection


def row_of(inspection, measured: bool):
    return next(a for a in load_answers(inspection) if a.item.is_measured == measured)


def fp(inspection) -> str:
    return fingerprint(inspection_content(inspection))


# --- the canonical form -------------------------------------------------------------------

def test_canonical_json_is_compact_sorted_utf8():
    raw = canonical_json({"b": 1, "a": {"z": "业主", "y": [1, 2]}})
    assert raw == '{"a":{"y":[1,2],"z":"业主"},"b":1}'.encode("utf-8")
    assert b" " not in raw and b"\\u" not in raw
    assert raw.decode("utf-8")  # plain UTF-8, not ASCII escapes


def test_fingerprint_is_the_sha256_hex_of_the_canonical_form():
    assert fingerprint(SAMPLE) == hashlib.sha256(canonical_json(SAMPLE)).hexdigest()
    assert len(fingerprint(SAMPLE)) == 64 and all(c in "0123456789abcdef" for c in fingerprint(SAMPLE))


def test_same_content_gives_the_same_hash_whatever_the_key_order():
    reordered = OrderedDict(reversed(list(copy.deepcopy(SAMPLE).items())))
    reordered["result"] = dict(reversed(list(SAMPLE["result"].items())))
    assert list(reordered) != list(SAMPLE)
    assert fingerprint(reordered) == fingerprint(SAMPLE) == fingerprint(copy.deepcopy(SAMPLE))


@pytest.mark.parametrize("a, b", [(Decimal("12.50"), Decimal("12.5")), (Decimal("12.5000"), Decimal("12.5")),
                                  (Decimal("100"), Decimal("100.00")), (Decimal("0.00"), Decimal("0")),
                                  (Decimal("1E+1"), Decimal("10"))])
def test_equal_decimals_give_the_same_hash(a, b):
    assert fingerprint({"v": a}) == fingerprint({"v": b})


def test_decimals_serialise_as_plain_strings_without_exponent():
    assert canonical_json({"v": Decimal("1E+2")}) == b'{"v":"100"}'
    assert canonical_json({"v": Decimal("12.50")}) == b'{"v":"12.5"}'


def test_datetimes_serialise_as_iso_strings():
    assert canonical_json({"t": datetime(2026, 5, 1, 10, 30)}) == b'{"t":"2026-05-01T10:30:00"}'


def test_unknown_types_are_refused_rather_than_guessed():
    with pytest.raises(TypeError):
        canonical_json({"v": object()})


@pytest.mark.parametrize("change", [
    lambda c: c["answers"][0].__setitem__(1, "fail"),                       # outcome
    lambda c: c["answers"][1].__setitem__(2, Decimal("10.6")),               # measured value
    lambda c: c["answers"][1].__setitem__(3, "含水率合格。"),                   # note
    lambda c: c["result"].__setitem__("passed", False),                      # result
    lambda c: c["result"].__setitem__("grade", "excellent"),
    lambda c: c["photos"].append(["carpentry.1", "cd" * 32]),                # added photo
    lambda c: c.__setitem__("round", 2),
    lambda c: c["template"].__setitem__("version", 3),
    lambda c: c.__setitem__("project", "T260102"),
], ids=["outcome", "value", "note", "passed", "grade", "photo", "round", "template", "project"])
def test_any_change_gives_another_hash(change):
    changed = copy.deepcopy(SAMPLE)
    change(changed)
    assert fingerprint(changed) != fingerprint(SAMPLE)


# --- real records ---------------------------------------------------------------------------

def test_inspection_content_names_project_round_template_answers_and_result():
    inspection = answered(make_inspection())
    finish(inspection, inspection.inspector, answers_version(inspection))
    content = inspection_content(inspection)
    assert content["project"] == inspection.project.contract_no and content["round"] == 1
    assert content["template"] == {"family": inspection.template.family, "version": inspection.template.version}
    assert [a[0] for a in content["answers"]] == [a.item.code for a in load_answers(inspection)]
    assert content["result"]["passed"] is True and content["result"]["applicable_count"] == 5
    json.loads(canonical_json(content))  # serialisable


def test_inspection_hash_survives_a_database_round_trip():
    """Numeric(14, 4) comes back as 10.0000 (PostgreSQL) or a float-made Decimal (SQLite): same hash."""
    inspection = answered(make_inspection(), value="10.5")
    finish(inspection, inspection.inspector, answers_version(inspection))
    before = fp(inspection)
    db.session.commit()
    db.session.expire_all()
    assert fp(inspection) == before


def test_inspection_hash_is_stable_when_nothing_changes():
    inspection = answered(make_inspection())
    assert fp(inspection) == fp(inspection)


@pytest.mark.parametrize("what", ["outcome", "value", "note"])
def test_any_answer_change_changes_the_inspection_hash(what):
    inspection = answered(make_inspection())
    before = fp(inspection)
    if what == "outcome":
        save_answer(row_of(inspection, measured=False), inspection.inspector, outcome="fail")
    elif what == "value":
        save_answer(row_of(inspection, measured=True), inspection.inspector, raw_value="11")
    else:
        save_note(row_of(inspection, measured=False), inspection.inspector, "插座面板略有歪斜")
    assert fp(inspection) != before


def test_the_same_measured_value_written_differently_keeps_the_hash():
    inspection = answered(make_inspection(), value="10.5")
    before = fp(inspection)
    save_answer(row_of(inspection, measured=True), inspection.inspector, raw_value="10.50")
    assert fp(inspection) == before


def test_the_result_changes_the_inspection_hash():
    passed = answered(make_inspection())
    before = fp(passed)
    finish(passed, passed.inspector, answers_version(passed))
    assert fp(passed) != before  # the frozen result is part of the content
    after = fp(passed)
    passed.grade = "excellent" if passed.grade != "excellent" else "good"
    assert fp(passed) != after


def test_an_added_item_photo_changes_the_inspection_hash():
    inspection = answered(make_inspection())
    before = fp(inspection)
    make_photo(inspection=inspection, item_id=row_of(inspection, measured=False).item_id)
    assert fp(inspection) != before


def test_concealed_record_hash_changes_with_an_added_photo():
    from portal.photos.services import concealed_record

    project = make_project()
    record = concealed_record(project)
    empty = fingerprint(concealed_content(record))
    make_photo(project)
    one = fingerprint(concealed_content(record))
    make_photo(project, data=make_image_bytes(320, 240))
    assert len({empty, one, fingerprint(concealed_content(record))}) == 3


def test_concealed_record_hash_changes_when_a_photo_is_deleted():
    from portal.photos.services import concealed_record, soft_delete

    project = make_project()
    record = concealed_record(project)
    photo = make_photo(project)
    before = fingerprint(concealed_content(record))
    soft_delete(photo, project.foreman, "拍错了", locked=False)
    assert fingerprint(concealed_content(record)) != before


def test_closure_test_hash_covers_result_and_end():
    from datetime import timedelta

    from portal.photos.models import ClosureTest
    from portal.photos.services import concealed_record

    project = make_project()
    test = ClosureTest(record_id=concealed_record(project).id, location="主卫", started_at=datetime(2026, 5, 1, 2, 0),
                       created_by_id=project.foreman_id)
    db.session.add(test)
    db.session.flush()
    test.ended_at, test.leak = test.started_at + timedelta(hours=24), False
    no_leak = fingerprint(closure_test_content(test))
    test.leak = True
    assert fingerprint(closure_test_content(test)) != no_leak
