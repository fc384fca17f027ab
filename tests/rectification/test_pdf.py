"""The printable notice: A4, two copies, Chinese text in an embedded CJK font, photo thumbnails,
receipt signatures."""
import io
import re

import pytest
from pypdf import PdfReader

from portal.auth.roles import Role
from portal.timeutil import local_today
from tests.factories import (
    answer_items, finish_answered, make_failed_inspection, make_inspection, make_photo, make_signature, make_template,
    make_user, set_default_fixes,
)

SOCKET, MOISTURE = "插座左零右火上接地", "木材含水率"
A4 = (595.28, 841.89)  # points
CJK_FONT = re.compile(r"WenQuanYi|Noto|CJK|SourceHan|Droid", re.I)


def notice_with_photo(photo: bool = True, fail=(SOCKET,)):
    template = make_template()
    set_default_fixes(template)
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=fail)
    if photo:
        make_photo(inspection=inspection, item_id=template.categories[0].items[0].id)
    return finish_answered(inspection)


def get_pdf(client, login_as, notice, user=None) -> PdfReader:
    login_as(user or notice.project.foreman)
    response = client.get(f"/notices/{notice.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert notice.number in response.headers["Content-Disposition"]
    return PdfReader(io.BytesIO(response.data))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(page) -> list[str]:
    """BaseFont names of the page's fonts whose program is embedded (FontFile, FontFile2 or FontFile3)."""
    names = []
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        for described in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
            descriptor = described.get("/FontDescriptor")
            if descriptor is not None and any(k in descriptor.get_object()
                                               for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.append(str(described["/BaseFont"]))
    return names


def images(page) -> list:
    xobjects = page["/Resources"].get("/XObject") or {}
    return [x.get_object() for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]


def test_pdf_is_a4_with_two_copies_for_a_short_notice(client, login_as):
    reader = get_pdf(client, login_as, notice_with_photo(photo=False))
    assert len(reader.pages) == 2
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 1), round(height, 1)) == (round(A4[0], 1), round(A4[1], 1))
    first, second = (page.extract_text() for page in reader.pages)
    assert "第一联" in first and "第二联" in second


def test_pdf_text_has_the_number_items_fixes_and_dates(client, login_as):
    notice = notice_with_photo(photo=False, fail=(SOCKET, MOISTURE))
    text = text_of(get_pdf(client, login_as, notice)).replace("\n", "")
    assert text.count(notice.number) == 2  # once per copy
    assert SOCKET in text and MOISTURE in text
    assert "限期整改通知单" in text and "测试装饰工程有限公司" in text
    assert "按规范整改：插座左零右火上接地" in text
    assert "实测15（标准≤12%）" in re.sub(r"\s", "", text)  # measured value against its limit
    assert notice.deadline.isoformat() in text and notice.reinspection_date.isoformat() in text
    assert notice.project.contract_no in text and notice.project.foreman.display_name in text
    assert local_today().isoformat() in text  # issued today


def test_pdf_embeds_a_cjk_font(client, login_as):
    reader = get_pdf(client, login_as, notice_with_photo(photo=False))
    for page in reader.pages:
        fonts = embedded_fonts(page)
        assert any(CJK_FONT.search(name) for name in fonts), fonts


def test_pdf_has_a_thumbnail_of_the_failed_items_photo(client, login_as):
    reader = get_pdf(client, login_as, notice_with_photo(photo=True))
    for page in reader.pages:
        thumbs = images(page)
        assert thumbs, "no image on the page"
        assert all(int(image["/Width"]) <= 400 for image in thumbs)  # thumbnails, not the original


def test_pdf_without_photos_has_no_image(client, login_as):
    reader = get_pdf(client, login_as, notice_with_photo(photo=False))
    assert all(images(page) == [] for page in reader.pages)


def test_pdf_shows_the_receipt_signatures(client, login_as):
    notice = notice_with_photo(photo=False)
    foreman = notice.project.foreman
    make_signature("notice", notice, "foreman", user=foreman, signer_name="张工长")
    reader = get_pdf(client, login_as, notice)
    text = text_of(reader)
    assert text.count("张工长") == 2 and "工长签收" in text and "项目经理签收" in text
    assert all(len(images(page)) == 1 for page in reader.pages)  # the signature image on each copy


@pytest.mark.parametrize("who", ["project_manager", "office", "inspector"])
def test_pm_and_desk_roles_print_it(client, login_as, who):
    notice = notice_with_photo(photo=False)
    user = {"project_manager": notice.project.project_manager, "office": make_user(Role.OFFICE),
            "inspector": make_user(Role.INSPECTOR)}[who]
    assert len(get_pdf(client, login_as, notice, user).pages) == 2


def test_another_foreman_gets_404_for_the_pdf(client, login_as):
    _inspection, notice = make_failed_inspection()
    login_as(Role.FOREMAN)
    assert client.get(f"/notices/{notice.id}/pdf").status_code == 404
