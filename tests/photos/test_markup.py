"""Markup rules and rendering: what the phone may send, and where the pixels land."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from portal.photos import markup
from portal.photos.markup import MarkupError

RED, BLUE = "#e53935", "#1e88e5"


def doc(*shapes) -> str:
    return json.dumps({"shapes": list(shapes)})


def ellipse(**kw) -> dict:
    return {"type": "ellipse", "color": RED, "width": 0.01, "x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5, **kw}


def gray_image(width=800, height=600) -> Image.Image:
    return Image.new("RGB", (width, height), (128, 128, 128))


def close(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


# --- validation -----------------------------------------------------------------------------

def test_every_shape_type_is_accepted_in_canonical_form():
    shapes = markup.parse(doc(
        ellipse(),
        {"type": "rect", "color": "#FDD835", "width": 0.005, "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.3},
        {"type": "arrow", "color": BLUE, "width": 0.008, "points": [0.1, 0.9, 0.5, 0.5]},
        {"type": "line", "color": "#43a047", "points": [0, 0, 0.1, 0.1, 0.2, 0.15, 1, 1]},
        {"type": "text", "color": "#ffffff", "x": 0.3, "y": 0.8, "text": " 裂缝 2mm ", "size": 0.05},
    ))
    assert [s["type"] for s in shapes] == ["ellipse", "rect", "arrow", "line", "text"]
    assert shapes[1]["color"] == "#fdd835"          # colours lower-cased
    assert shapes[3]["width"] == 0.006              # default width
    assert shapes[4]["text"] == "裂缝 2mm"
    assert json.loads(markup.dumps(shapes)) == {"shapes": shapes}


def test_an_empty_markup_is_valid():
    assert markup.parse(doc()) == []


@pytest.mark.parametrize("text, code", [
    ("", "markup_missing"),
    (None, "markup_missing"),
    ("{not json", "markup_not_json"),
    ("[1, 2]", "markup_shape"),
    ('{"shapes": "x"}', "markup_shape"),
    (doc({"type": "polygon", "color": RED}), "markup_shape"),
    (doc(ellipse(color="#123456")), "markup_colour"),
    (doc(ellipse(color=None)), "markup_colour"),
    (doc(ellipse(x=-0.1)), "markup_coordinates"),
    (doc(ellipse(x=0.8, w=0.5)), "markup_coordinates"),         # reaches outside the photo
    (doc(ellipse(w=0)), "markup_coordinates"),
    (doc(ellipse(x="0.2")), "markup_coordinates"),
    (doc(ellipse(x=True)), "markup_coordinates"),
    ('{"shapes": [{"type": "ellipse", "color": "#e53935", "x": NaN, "y": 0, "w": 0.1, "h": 0.1}]}',
     "markup_coordinates"),
    (doc(ellipse(width=0.5)), "markup_shape"),                   # absurd stroke
    (doc({"type": "arrow", "color": RED, "points": [0.1, 0.1]}), "markup_shape"),
    (doc({"type": "arrow", "color": RED, "points": [0.1, 0.1, 0.2, 0.2, 0.3, 0.3]}), "markup_too_many"),
    (doc({"type": "line", "color": RED, "points": [0.1, 0.1, 0.2]}), "markup_shape"),
    (doc({"type": "line", "color": RED, "points": [0.1, 0.1, 2, 0.2]}), "markup_coordinates"),
    (doc({"type": "line", "color": RED, "points": [0.5] * 1202}), "markup_too_many"),
    (doc({"type": "text", "color": RED, "x": 0.1, "y": 0.1, "text": ""}), "markup_text"),
    (doc({"type": "text", "color": RED, "x": 0.1, "y": 0.1, "text": "x" * 41}), "markup_text"),
    (doc({"type": "text", "color": RED, "x": 0.1, "y": 0.1, "text": "a\nb"}), "markup_text"),
    (doc(*[ellipse()] * 61), "markup_too_many"),
    (doc(*[{"type": "line", "color": RED, "points": [0.5] * 1000}] * 9), "markup_too_many"),  # 4500 points
    ("{" + " " * (64 * 1024) + "}", "markup_too_large"),
    ("[" * 100000, "markup_too_large"),
])
def test_bad_markup_is_refused_with_its_reason(text, code):
    with pytest.raises(MarkupError) as caught:
        markup.parse(text)
    assert caught.value.code == code


def test_deeply_nested_json_is_refused_not_crashing():
    with pytest.raises(MarkupError):
        markup.parse("[" * 20000 + "]" * 20000)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(
                        st.sampled_from(["shapes", "type", "color", "x", "y", "w", "h", "points", "text", "width"]),
                        children, max_size=5), max_leaves=20))
def test_any_json_is_either_shapes_or_a_markup_error(value):
    try:
        shapes = markup.parse(json.dumps({"shapes": value} if isinstance(value, list) else value))
    except MarkupError:
        return
    image = gray_image(64, 48)
    markup.draw(image, shapes)  # whatever passes the check can be drawn


# --- rendering ------------------------------------------------------------------------------

def test_a_red_ellipse_lands_where_it_was_drawn():
    image = gray_image()
    markup.draw(image, markup.parse(doc(ellipse(x=0.25, y=0.25, w=0.5, h=0.5, width=0.01))))
    # the outline passes through the middle of the left edge of its box: (200, 300); the centre stays gray
    assert close(image.getpixel((200 + 3, 300)), (229, 57, 53))
    assert close(image.getpixel((400, 300)), (128, 128, 128), tolerance=0)
    assert close(image.getpixel((10, 10)), (128, 128, 128), tolerance=0)


def test_a_rectangle_an_arrow_and_a_line_land_where_drawn():
    image = gray_image()
    markup.draw(image, markup.parse(doc(
        {"type": "rect", "color": BLUE, "width": 0.01, "x": 0.5, "y": 0.5, "w": 0.25, "h": 0.25},
        {"type": "arrow", "color": "#fdd835", "width": 0.01, "points": [0.05, 0.05, 0.2, 0.05]},
        {"type": "line", "color": "#43a047", "width": 0.01, "points": [0.05, 0.9, 0.3, 0.9]},
    )))
    assert close(image.getpixel((500, 302)), (30, 136, 229))     # rectangle's top edge
    assert close(image.getpixel((100, 30)), (253, 216, 53))      # arrow shaft
    assert close(image.getpixel((150, 540)), (67, 160, 71))      # freehand line
    assert close(image.getpixel((500, 380)), (128, 128, 128), tolerance=0)  # inside the rectangle


def test_text_is_drawn_near_its_anchor():
    image = gray_image()
    markup.draw(image, markup.parse(doc({"type": "text", "color": RED, "x": 0.5, "y": 0.5, "text": "裂缝",
                                         "size": 0.06})))
    box = image.crop((400, 300, 500, 360))
    assert any(close(pixel, (229, 57, 53)) for pixel in box.get_flattened_data())
    assert close(image.getpixel((100, 100)), (128, 128, 128), tolerance=0)


def test_coordinates_are_relative_so_markup_fits_any_size():
    shapes = markup.parse(doc(ellipse(x=0.1, y=0.1, w=0.2, h=0.2, width=0.01)))
    for width, height in ((1600, 1200), (320, 240)):
        image = gray_image(width, height)
        markup.draw(image, shapes)
        stroke = max(1, round(0.01 * width))
        assert close(image.getpixel((int(0.1 * width) + stroke // 2, int(0.2 * height))), (229, 57, 53))


def test_render_versions_makes_a_marked_display_and_thumbnail():
    source = io.BytesIO()
    gray_image(1600, 1200).save(source, "JPEG", quality=90)
    display, thumb = markup.render_versions(source.getvalue(), markup.parse(doc(ellipse(width=0.01))))
    big, small = Image.open(io.BytesIO(display)), Image.open(io.BytesIO(thumb))
    assert big.size == (1600, 1200) and small.size == (320, 240)
    assert close(big.getpixel((400 + 8, 600)), (229, 57, 53))
    assert close(small.getpixel((80 + 2, 120)), (229, 57, 53), tolerance=60)
    assert "exif" not in big.info
