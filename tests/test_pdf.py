"""portal/pdf.py: print stylesheets parsed once per process and the layout rules that keep PDFs fast."""
import re
from pathlib import Path

import pytest

from portal.pdf import font_config, render_pdf, stylesheet

ROOT = Path(__file__).resolve().parent.parent
PRINT_STYLESHEETS = ["certificates/certificate_pdf.css", "rectification/notice_pdf.css"]


@pytest.mark.parametrize("name", PRINT_STYLESHEETS)
def test_a_print_stylesheet_is_parsed_once_per_process(app, name):
    with app.app_context():
        assert stylesheet(name) is stylesheet(name)
    assert font_config() is font_config()


def test_a_changed_stylesheet_is_parsed_again(app, tmp_path, monkeypatch):
    css = tmp_path / "print.css"
    css.write_text("@page { size: A5; }")
    monkeypatch.setattr(app.jinja_env.loader, "get_source",
                        lambda _env, _name: (css.read_text(), str(css), lambda: False))
    with app.app_context():
        assert stylesheet("tmp/print.css") is not stylesheet("tmp/print.css")


def test_render_pdf_applies_the_named_stylesheets(app):
    with app.test_request_context():
        pdf = render_pdf("certificates/certificate_pdf.html", stylesheets=("certificates/certificate_pdf.css",),
                         data={"number": "YS-2026-000001", "categories": [], "signatures": []})
    from io import BytesIO

    from pypdf import PdfReader
    page = PdfReader(BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # the sheet's A4


@pytest.mark.parametrize("name", PRINT_STYLESHEETS)
def test_print_stylesheets_keep_to_what_weasyprint_lays_out_fast(name):
    """Automatic table layout of long CJK text took minutes, flex boxes lay their items out several
    times, and each font family of a fallback list is looked up: the print sheets avoid all three."""
    css = (ROOT / "templates" / name).read_text()
    assert not re.search(r"display\s*:\s*(inline-)?flex", css)
    assert re.search(r"(^|\n)table\s*\{[^}]*table-layout:\s*fixed", css)
    for families in re.findall(r"font-family\s*:\s*([^;}]+)", css):
        assert "," not in families, families
    html = (ROOT / "templates" / name.replace(".css", ".html")).read_text()
    assert "<style" not in html  # the stylesheet lives in the .css file, parsed once
