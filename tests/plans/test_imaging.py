"""Turning uploads into plan images (images, PDFs, hostile files) and drawing numbered pins."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.plans import imaging
from portal.plans.imaging import PlanRejected


def plan_image(width=1200, height=800, fmt="PNG", mode="RGB") -> bytes:
    """A white plan with a black wall along the top and a blue square near the bottom right."""
    image = Image.new(mode, (width, height), "white")
    image.paste((0, 0, 0) if mode == "RGB" else (0, 0, 0, 255), (0, 0, width, height // 20))
    image.paste((0, 0, 255) if mode == "RGB" else (0, 0, 255, 255), (int(width * 0.8), int(height * 0.8),
                                                                       int(width * 0.9), int(height * 0.9)))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def plan_pdf(pages: int = 2) -> bytes:
    """A PDF whose first page is the plan above, then blank pages."""
    first = Image.open(io.BytesIO(plan_image()))
    rest = [Image.new("RGB", (600, 400), "red") for _ in range(pages - 1)]
    out = io.BytesIO()
    first.save(out, "PDF", save_all=True, append_images=rest, resolution=100)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def near(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_an_image_plan_keeps_its_proportions(fmt):
    prepared = imaging.prepare(plan_image(fmt=fmt))
    assert prepared.source_format == fmt and (prepared.width, prepared.height) == (1200, 800)
    image = decoded(prepared.image)
    assert near(image.getpixel((1020, 680)), (0, 0, 255), 60) and near(image.getpixel((600, 400)), (255, 255, 255))


def test_a_large_plan_is_scaled_to_2400_px_and_transparency_becomes_white():
    prepared = imaging.prepare(plan_image(4800, 2400, mode="RGBA"))
    assert (prepared.width, prepared.height) == (2400, 1200)
    assert near(decoded(prepared.image).getpixel((1200, 600)), (255, 255, 255))


def test_the_first_page_of_a_pdf_becomes_the_plan():
    prepared = imaging.prepare(plan_pdf())
    assert prepared.source_format == "PDF" and prepared.extension == "pdf"
    assert max(prepared.width, prepared.height) == 2400
    image = decoded(prepared.image)
    assert near(image.getpixel((int(0.85 * image.width), int(0.85 * image.height))), (0, 0, 255), 60)
    assert near(image.getpixel((image.width // 2, image.height // 2)), (255, 255, 255))


@pytest.mark.parametrize("data, code", [
    (b"", "empty"),
    (b"hello, not a plan", "not_a_plan"),
    (b"%PDF-1.7\n garbage that no reader understands", "bad_pdf"),
    (b"GIF89a" + b"\0" * 100, "not_a_plan"),
])
def test_unreadable_files_are_refused(data, code):
    with pytest.raises(PlanRejected) as caught:
        imaging.prepare(data)
    assert caught.value.code == code


def test_a_truncated_image_is_refused():
    with pytest.raises(PlanRejected) as caught:
        imaging.prepare(plan_image(fmt="JPEG")[:2000])
    assert caught.value.code == "not_a_plan"


def test_a_decompression_bomb_is_refused_before_decoding():
    header = Image.new("1", (10001, 10000))  # 100 megapixels in a few KB
    out = io.BytesIO()
    header.save(out, "PNG")
    with pytest.raises(PlanRejected) as caught:
        imaging.prepare(out.getvalue())
    assert caught.value.code == "too_many_pixels"


def test_a_file_over_20_mb_is_refused():
    with pytest.raises(PlanRejected) as caught:
        imaging.prepare(b"%PDF-" + b"0" * (20 * 1024 * 1024))
    assert caught.value.code == "too_large"


def test_a_pdf_that_takes_too_long_is_stopped(monkeypatch):
    monkeypatch.setattr(imaging, "PDF_TIMEOUT_S", 0.001)
    with pytest.raises(PlanRejected) as caught:
        imaging.prepare(plan_pdf())
    assert caught.value.code == "pdf_timeout"


@pytest.mark.parametrize("x, y", [(-0.01, 0.5), (0.5, 1.01), ("nan", 0.5), ("x", "y"), (None, 0.2), ("inf", 0)])
def test_a_pin_outside_the_plan_is_refused(x, y):
    with pytest.raises(PlanRejected) as caught:
        imaging.check_point(x, y)
    assert caught.value.code == "outside"


def test_pins_inside_the_plan_are_kept_as_fractions():
    assert imaging.check_point("0", "1") == (0.0, 1.0)
    assert imaging.check_point("0.123456789", 0.5) == (0.12346, 0.5)


def test_numbered_pins_are_drawn_where_they_are():
    plan = imaging.prepare(plan_image()).image
    pinned = decoded(imaging.draw_pins(plan, [(0.25, 0.5, "1"), (0.75, 0.25, "12")], long_side=1200))
    assert pinned.size == (1200, 800)
    radius = max(10, round(1200 * 0.014))
    # the red disc around the number, left of the centre (the number is white in the middle)
    assert near(pinned.getpixel((300 - radius + 5, 400)), imaging.PIN_RED, 60)
    assert near(pinned.getpixel((900 - radius + 5, 200)), imaging.PIN_RED, 60)
    assert near(pinned.getpixel((600, 600)), (255, 255, 255))
