"""After the pass, on phones: the inspector records the completion acceptance, collects the three
signatures on his phone, finance records the owner's final payment and the inspector hands the
project over; the owner, with no account, opens his page from the link and files a repair request
with photos; office dispatches a leak repair whose first water test fails and is done again.

The live server is shared by the whole session, so SETUP_SCRIPT makes projects of their own
(with a foreman and a project manager of their own): a finished, passed, fully signed inspection
by the demo inspector and its pass certificate, through the services. With ``handover`` it also
records the completion acceptance, signs it and hands the project over, and prints the owner's URL.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import login, logout
from tests.browser.test_layout import check_page
from tests.browser.test_uploads import camera_jpeg
from tests.live import COMMAND_TIMEOUT, REPO_ROOT

SETUP_SCRIPT = r"""
import base64, io, json, sys
from datetime import timedelta
from decimal import Decimal
from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select
from portal import create_app
from portal.aftercare import owner_links, repair_requests, services as aftercare
from portal.aftercare.card import render_card_pdf
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import create_user
from portal.certificates import services as certificates
from portal.certificates.pdf import render_certificate_pdf
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import (answers_version, create_inspection, finish, load_answers, record_start,
                                         save_answer)
from portal.projects.models import Project
from portal.signatures import services as sig
from portal.signatures.records import RECORD_TYPES
from portal.storage import get_storage
from portal.timeutil import local_today

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context(), app.test_request_context():
    today = local_today()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    office = db.session.scalar(select(User).where(User.username == "office"))
    suffix = args["contract_no"][-2:]
    foreman = create_user(f"ac_foreman{suffix}", f"售后工长{suffix}", "demo1234", {Role.FOREMAN})
    manager = create_user(f"ac_pm{suffix}", f"售后经理{suffix}", "demo1234", {Role.PROJECT_MANAGER})
    project = Project(contract_no=args["contract_no"], address=args["address"], owner_name=args["owner"],
                      owner_phone="13700000088", design_studio="Y 测试设计室", designer="测试",
                      contract_amount=Decimal("150000.00"), start_date=today - timedelta(days=90),
                      planned_completion=today, foreman=foreman, project_manager=manager)
    db.session.add(project)
    db.session.flush()
    inspection = create_inspection(project, today, inspector, office)
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-KC-001")).all()
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=list(equipment))
    for answer in load_answers(inspection):
        item = answer.item
        if item.is_measured:
            limit = item.limit
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            save_answer(answer, inspector, raw_value=format(value.normalize(), "f"))
        else:
            save_answer(answer, inspector, outcome="pass")
    finish(inspection, inspector, answers_version(inspection))

    canvas = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(100, 100), (300, 120), (450, 90)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    strokes = json.dumps([{"points": [{"x": 100 + i, "y": 100 + i, "time": 1000 + i} for i in range(5)]}])

    def sign_all(rtype, record, people):
        for slot, user, name in people:
            data = sig.SignatureInput(slot=slot, signer_name=name, png=out.getvalue(),
                                      strokes=sig.parse_strokes(strokes),
                                      seen_fingerprint=sig.current_fingerprint(rtype, record))
            sig.sign(rtype, record, data, get_storage(), user=user)

    sign_all(RECORD_TYPES["inspection"], inspection, [("inspector", inspector, inspector.display_name),
             ("foreman", foreman, foreman.display_name), ("project_manager", manager, manager.display_name)])
    certificate, _key = certificates.issue(inspection, office, get_storage(), render_certificate_pdf)
    result = {"project_id": project.id, "certificate_owner_url": certificate.facts["owner_url"]}
    if args["handover"]:
        acceptance = aftercare.record_acceptance(project, inspector, accepted_on=today, quality=5, service=5,
                                                 timeliness=5, comment="", warranty_explained=True)
        sign_all(RECORD_TYPES["completion"], acceptance, [("owner", inspector, args["owner"]),
                 ("foreman", foreman, foreman.display_name), ("inspector", inspector, inspector.display_name)])
        aftercare.record_final_payment(acceptance, office, paid_on=today)
        handover = aftercare.hand_over(acceptance, office, get_storage(), render_card_pdf)
        result["owner_url"] = owner_links.owner_url(handover.token)
    if args.get("repair"):
        repair = repair_requests.file_repair(project, kind="plumbing", description=args["repair"], source="owner_page")
        repair.received_at = repair.received_at - timedelta(hours=30)
        result["repair_id"] = repair.id
    db.session.commit()
    print(json.dumps(result))
"""

PHOTOS_SCRIPT = r"""
import json, sys
from sqlalchemy import select
from portal import create_app
from portal.aftercare.models import RepairPhoto, RepairRequest
from portal.extensions import db

app = create_app()
with app.app_context():
    rows = db.session.execute(select(RepairRequest.id, RepairPhoto.original_key, RepairPhoto.display_key)
                              .join(RepairPhoto, RepairPhoto.repair_id == RepairRequest.id)
                              .where(RepairRequest.project_id == int(sys.argv[1])).order_by(RepairPhoto.id)).all()
    print(json.dumps([list(row) for row in rows]))
"""

# Records what the page's fetch() sends (the photos' count and bytes) in sessionStorage, which the
# page the answer leads to can still read.
RECORD_SENT = """
(() => {
  const fetch0 = window.fetch;
  window.fetch = function (url, init) {
    if (init && init.body instanceof FormData) {
      let files = 0, bytes = 0;
      init.body.forEach((value) => { if (value instanceof Blob) { files += 1; bytes += value.size; } });
      sessionStorage.setItem("sent", JSON.stringify({ files: files, bytes: bytes }));
    }
    return fetch0.apply(this, arguments);
  };
})();
"""
REQUEST_LIMIT = 20 * 1024 * 1024

FINGER_SPEED_MS = 20


def run_setup(live_server, **args) -> dict:
    """Run SETUP_SCRIPT against the live server's database; its JSON answer."""
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT, json.dumps(args)], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"setup exited with {result.returncode}\n{result.stdout}\n{result.stderr}", pytrace=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


def scribble(page: Page, form) -> None:
    """A signature drawn on the form's pad (mouse strokes, as in the signature tests)."""
    canvas = form.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    points = [(box["x"] + box["width"] * (0.15 + 0.05 * i), box["y"] + box["height"] * (0.4 if i % 2 else 0.6))
              for i in range(15)]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.wait_for_timeout(FINGER_SPEED_MS)
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def sign_slot(page: Page, slot: str, name: str | None = None) -> None:
    """Sign one slot of the panel on this phone (collecting it with the signer's name if given)."""
    form = page.locator(f"form[data-sign-form]:has(input[name=slot][value={slot}])")
    expect(form).to_be_visible()
    if name is not None:
        form.locator("input[name=signer_name]").fill(name)
    scribble(page, form)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success").first).to_be_visible()


def photo_jpeg() -> bytes:
    """A wet corner of a bathroom wall."""
    image = Image.new("RGB", (1200, 900), (222, 222, 215))
    ImageDraw.Draw(image).ellipse([(700, 500), (1100, 880)], fill=(150, 140, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_inspector_records_completion_acceptance_and_hands_over(page: Page, live_server):
    owner = "验收业主"
    data = run_setup(live_server, contract_no="Y26120651", address="西安市雁塔区售后测试小区1号楼101室",
                     owner=owner, handover=False)
    project_id = data["project_id"]
    login(page, "inspector")
    page.goto(f"/projects/{project_id}")
    with page.expect_navigation():
        page.locator("#completion-link").click()
    assert check_page(page, "completion form", overflow=False) == []
    form = page.locator("#acceptance-form")
    for name, value in (("quality", "5"), ("service", "4"), ("timeliness", "5")):
        form.locator(f"input[name={name}][value='{value}']").check()
    form.locator("textarea[name=comment]").fill("工地干净，工长负责。")
    form.locator("input[name=warranty_explained]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/signatures/completion/" in page.url

    sign_slot(page, "inspector")             # his own slot: his name is filled in
    sign_slot(page, "foreman", "售后工长51")   # collected on his phone
    sign_slot(page, "owner", owner)

    page.goto(f"/projects/{project_id}/completion")
    expect(page.locator("#hand-over-waits")).to_be_visible()  # the card follows the final payment
    expect(page.locator("#hand-over")).to_have_count(0)
    logout(page)
    login(page, "finance")  # the owner paid the final payment at finance (003 流程25)
    page.goto(f"/projects/{project_id}/completion")
    payment = page.locator("#final-payment-form")
    payment.locator("input[name=amount]").fill("12000")
    assert check_page(page, "final payment form", overflow=False) == []
    with page.expect_navigation():
        payment.locator("button[type=submit]").click()
    expect(page.locator("#final-payment")).to_contain_text("12000.00")
    logout(page)
    login(page, "inspector")
    page.goto(f"/projects/{project_id}/completion")
    with page.expect_navigation():
        page.locator("#hand-over").click()
    link = page.locator("#owner-link a")
    expect(link).to_be_visible()
    expect(page.locator("#owner-link .qr svg")).to_be_visible()
    owner_url = link.get_attribute("href")
    assert check_page(page, "handed over", overflow=False) == []
    assert owner_url.startswith(f"{live_server.url}/owner/")
    assert owner_url == data["certificate_owner_url"]  # the link printed on the pass certificate
    expect(page.locator("main")).to_contain_text("已交付")
    card = page.request.get(page.locator("#card-link").get_attribute("href"))
    assert card.status == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(card.body())).pages)
    assert "保修卡" in text and "Y26120651" in text and "防水" in text


def test_owner_files_a_repair_with_photos(live_server, browser, browser_context_args, tmp_path):
    owner_url = run_setup(live_server, contract_no="Y26120652", address="西安市雁塔区售后测试小区2号楼202室",
                          owner="报修业主", handover=True)["owner_url"]
    photos = [tmp_path / "leak.jpg", tmp_path / "ceiling.jpg"]
    for photo in photos:
        photo.write_bytes(photo_jpeg())
    context = browser.new_context(**browser_context_args)  # the owner's phone: no account, no session
    try:
        page = context.new_page()
        assert page.goto(owner_url).status == 200
        expect(page.locator("h1")).to_contain_text("Y26120652")
        expect(page.locator("a[href$='/warranty-card.pdf']")).to_be_visible()
        assert check_page(page, "owner's page", overflow=False) == []
        form = page.locator("#repair-form")
        form.locator("select[name=kind]").select_option("waterproofing")
        form.locator("textarea[name=description]").fill("主卫淋浴区墙角渗水")
        form.locator("input[name=contact_phone]").fill("13700000088")
        form.locator("input[name=photo]").set_input_files([str(photo) for photo in photos])
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/repairs/" in page.url
        expect(page.locator("main")).to_contain_text("主卫淋浴区墙角渗水")
        expect(page.locator("main")).to_contain_text("在保修期内")
        images = page.locator("img.thumb")
        expect(images).to_have_count(2)
        assert check_page(page, "owner's repair", overflow=False) == []
        for image in images.all():
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        with page.expect_navigation():
            page.locator("#back").click()
        expect(page.locator("#repairs li a")).to_have_count(1)
    finally:
        context.close()


def test_owner_sends_six_camera_photos_downscaled_on_his_phone(live_server, browser, browser_context_args, tmp_path):
    """Six photos straight from a phone camera (5 MB each, 33 MB together) would be refused with a 413:
    the phone downscales them before the form goes up, and all six are filed."""
    data = run_setup(live_server, contract_no="Y26120655", address="西安市雁塔区售后测试小区5号楼505室",
                     owner="拍照业主", handover=True)
    originals = []
    for number in range(1, 7):
        path = tmp_path / f"IMG_20261120_09150{number}.jpg"
        path.write_bytes(camera_jpeg(4000, 3000))
        assert path.stat().st_size > 3.5 * 1024 * 1024
        originals.append(path)
    assert sum(path.stat().st_size for path in originals) > REQUEST_LIMIT  # as they are, they would not fit
    context = browser.new_context(**browser_context_args)  # the owner's phone: no account, no session
    context.add_init_script(RECORD_SENT)
    try:
        page = context.new_page()
        assert page.goto(data["owner_url"]).status == 200
        form = page.locator("#repair-form")
        form.locator("select[name=kind]").select_option("waterproofing")
        form.locator("textarea[name=description]").fill("阳台窗台下墙面渗水")
        picker = form.locator("input[name=photo]")
        picker.set_input_files([str(path) for path in originals[:4]])
        expect(form.locator(".picked-count")).to_have_text("已选照片：4 张")
        picker.set_input_files([str(path) for path in originals[4:]])  # picked again: added to the four
        expect(form.locator(".picked-count")).to_have_text("已选照片：6 张")
        expect(form.locator(".picked-list li")).to_have_count(6)
        expect(form.locator(".picked-name").last).to_have_text(originals[5].name)
        form.locator(".picked-remove").last.click()
        expect(form.locator(".picked-count")).to_have_text("已选照片：5 张")
        picker.set_input_files(str(originals[5]))
        expect(form.locator(".picked-count")).to_have_text("已选照片：6 张")
        for thumb in form.locator("img.picked-thumb").all():
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        assert check_page(page, "owner's page with six photos picked", overflow=False) == []
        button = form.locator("button[type=submit]")
        with page.expect_navigation(timeout=120_000):
            button.click()
            expect(button).to_be_disabled()
            expect(button).to_have_text("正在发送…")
        assert "/repairs/" in page.url
        expect(page.locator("main")).to_contain_text("阳台窗台下墙面渗水")
        expect(page.locator("img.thumb")).to_have_count(6)
        sent = json.loads(page.evaluate("sessionStorage.getItem('sent')"))
    finally:
        context.close()
    assert sent["files"] == 6 and sent["bytes"] < REQUEST_LIMIT / 2

    result = subprocess.run([sys.executable, "-c", PHOTOS_SCRIPT, str(data["project_id"])], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(rows) == 6 and len({repair_id for repair_id, _o, _d in rows}) == 1  # one request, six photos
    uploads = Path(live_server.env["UPLOAD_DIR"])
    stored = [(uploads / original).read_bytes() for _repair, original, _display in rows]
    assert sum(map(len, stored)) == sent["bytes"]  # what the phone sent is what was stored
    for original, photo in zip(originals, stored):
        assert len(photo) < original.stat().st_size / 4  # downscaled on the phone
        with Image.open(io.BytesIO(photo)) as image:
            assert image.format == "JPEG" and max(image.size) == 2048


def test_office_enters_a_call_whose_refusal_keeps_the_photos_picked(page: Page, live_server, tmp_path):
    """A refused phone entry (no description) comes back in place with its message; the photos picked
    stay listed, and the corrected entry is filed with them, downscaled."""
    data = run_setup(live_server, contract_no="Y26120656", address="西安市雁塔区售后测试小区6号楼606室",
                     owner="来电业主", handover=True)
    photo = tmp_path / "IMG_20261121_101500.jpg"
    photo.write_bytes(camera_jpeg(4000, 3000))
    login(page, "office")
    page.goto("/repairs/new")
    form = page.locator("#phone-repair-form")
    form.locator("input[name=contract_no]").fill("Y26120656")
    form.locator("input[name=photo]").set_input_files(str(photo))
    expect(form.locator(".picked-count")).to_have_text("已选照片：1 张")
    form.locator("button[type=submit]").click()
    expect(form.locator(".has-error")).to_be_visible(timeout=60_000)  # the same page, <main> replaced
    expect(form.locator(".picked-count")).to_have_text("已选照片：1 张")
    form.locator("textarea[name=description]").fill("客厅吊顶裂缝")
    with page.expect_navigation(timeout=60_000):
        form.locator("button[type=submit]").click()
    assert "/repairs/" in page.url
    expect(page.locator("img.thumb")).to_have_count(1)
    result = subprocess.run([sys.executable, "-c", PHOTOS_SCRIPT, str(data["project_id"])], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(rows) == 1
    stored = (Path(live_server.env["UPLOAD_DIR"]) / rows[0][1]).stat().st_size
    assert stored < photo.stat().st_size / 4


def test_owner_scans_the_certificate_before_the_handover(live_server, browser, browser_context_args):
    owner_url = run_setup(live_server, contract_no="Y26120654", address="西安市雁塔区售后测试小区4号楼404室",
                          owner="扫码业主", handover=False)["certificate_owner_url"]
    context = browser.new_context(**browser_context_args)  # the owner's phone: no account, no session
    try:
        page = context.new_page()
        assert page.goto(owner_url).status == 200
        expect(page.locator("h1")).to_contain_text("Y26120654")
        expect(page.locator("main")).to_contain_text("优秀")
        expect(page.locator("#not-handed-over")).to_contain_text("尚未交付")
        expect(page.locator("#repair-form")).to_have_count(0)
        expect(page.locator("a[href$='/warranty-card.pdf']")).to_have_count(0)
        assert check_page(page, "owner's page before the handover", overflow=False) == []
        certificate = page.request.get(page.locator("a[href$='/certificate.pdf']").get_attribute("href"))
        assert certificate.status == 200
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(certificate.body())).pages)
        assert "预验收合格证书" in text and "业主服务页" in "".join(text.split())
    finally:
        context.close()


def test_office_dispatches_an_overdue_repair(page: Page, live_server):
    data = run_setup(live_server, contract_no="Y26120653", address="西安市雁塔区售后测试小区3号楼303室",
                     owner="派工业主", handover=True, repair="厨房下水管接口滴水")
    login(page, "office")
    page.goto("/repairs/")
    row = page.locator(f"#repairs a[href$='/repairs/{data['repair_id']}']")
    expect(row).to_contain_text("Y26120653")
    expect(row.locator(".badge-bad")).to_be_visible()  # contact and plan are overdue
    assert check_page(page, "repairs", overflow=False) == []
    with page.expect_navigation():
        row.click()
    expect(page.locator("main")).to_contain_text("在保修期内")
    assert check_page(page, "repair", overflow=False) == []
    with page.expect_navigation():
        page.locator("form[action$='/contact'] button").click()
    plan = page.locator("form[action$='/plan']")
    plan.locator("select[name=assignee_id]").select_option(label="售后工长53")
    plan.locator("textarea[name=solution]").fill("更换下水管接口密封圈")
    with page.expect_navigation():
        plan.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("已派工给 售后工长53")
    done = page.locator("form[action$='/done']")
    expect(done.locator("input[name=water_test]")).to_have_count(2)  # a leak: the water test is asked for
    assert check_page(page, "repair planned", overflow=False) == []

    def record(work: str, water_test: str) -> None:
        form = page.locator("form[action$='/done']")
        form.locator("textarea[name=work_done]").fill(work)
        form.locator("input[name=cost]").fill("80")
        form.locator("input[name=responsibility][value=crew]").check()
        form.locator(f"input[name=water_test][value={water_test}]").check()
        with page.expect_navigation():
            form.locator("button[type=submit]").click()

    record("更换密封圈", "failed")  # still dripping: the repair is done again
    expect(page.locator(".flash-error")).to_contain_text("试水不合格")
    expect(page.locator("#redo")).to_be_visible()
    expect(page.locator("#repair-attempts li")).to_have_count(1)
    expect(page.locator("a[href*='/signatures/repair/']")).to_have_count(0)
    assert check_page(page, "water test failed", overflow=False) == []
    record("更换整段下水管", "passed")
    expect(page.locator("#redo")).to_have_count(0)
    expect(page.locator("#repair-attempts li")).to_have_count(2)
    expect(page.locator("a[href*='/signatures/repair/']")).to_be_visible()  # now the owner can sign
