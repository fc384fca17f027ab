"""Photo markup: arrows, ellipses, rectangles, freehand lines and short texts drawn on a photo.

The markup is vector data (JSON) kept beside the photo; the original never changes. These
are plain functions without Flask: :func:`parse` checks what the phone sent and returns the
shapes in a canonical form (or raises :class:`MarkupError`), :func:`draw` burns shapes into a
Pillow image and :func:`render_versions` makes the marked display version and thumbnail.

Coordinates are fractions (0..1) of the photo's width and height as it is shown (upright),
so the same markup fits the 1600 px display version, the thumbnail and any screen. Stroke
widths and text sizes are fractions of the image's long side.
"""
from __future__ import annotations

import io
import json
import math

from PIL import Image, ImageDraw

from portal.photos import imaging

MAX_JSON_BYTES = 64 * 1024
MAX_SHAPES = 60
MAX_LINE_POINTS = 600        # points of one freehand line
MAX_TOTAL_POINTS = 4000      # points of all lines together
MAX_TEXT = 40
WIDTH_RANGE = (0.002, 0.03)  # stroke width, fraction of the long side
SIZE_RANGE = (0.015, 0.12)   # text size, fraction of the long side
# The colours the phone offers; anything else is refused (no near-invisible markup).
COLOURS = {"#e53935": (229, 57, 53), "#fdd835": (253, 216, 53), "#43a047": (67, 160, 71),
           "#1e88e5": (30, 136, 229), "#ffffff": (255, 255, 255), "#000000": (0, 0, 0)}
SHAPE_TYPES = ("arrow", "ellipse", "rect", "line", "text")


class MarkupError(ValueError):
    """The markup is not acceptable; ``code`` says why (see photos.messages)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse(text: str | bytes | None) -> list[dict]:
    """The shapes of a markup document (``{"shapes": [...]}``), checked and in canonical form."""
    if text is None or not len(text):
        raise MarkupError("markup_missing")
    if len(text.encode() if isinstance(text, str) else text) > MAX_JSON_BYTES:
        raise MarkupError("markup_too_large")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise MarkupError("markup_not_json") from None
    if not isinstance(document, dict) or not isinstance(document.get("shapes"), list):
        raise MarkupError("markup_shape")
    shapes = document["shapes"]
    if len(shapes) > MAX_SHAPES:
        raise MarkupError("markup_too_many")
    checked = [_shape(shape) for shape in shapes]
    if sum(len(s.get("points", ())) // 2 for s in checked) > MAX_TOTAL_POINTS:
        raise MarkupError("markup_too_many")
    return checked


def _shape(raw) -> dict:
    """One shape, checked: type, colour, coordinates inside the photo, width or text."""
    if not isinstance(raw, dict) or raw.get("type") not in SHAPE_TYPES:
        raise MarkupError("markup_shape")
    kind = raw["type"]
    shape = {"type": kind, "color": _colour(raw.get("color"))}
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT or not text.isprintable():
            raise MarkupError("markup_text")
        shape.update(x=_coordinate(raw.get("x")), y=_coordinate(raw.get("y")), text=text.strip(),
                     size=_number_in(raw.get("size", 0.04), SIZE_RANGE))
        return shape
    shape["width"] = _number_in(raw.get("width", 0.006), WIDTH_RANGE)
    if kind in ("ellipse", "rect"):
        x, y, w, h = (_coordinate(raw.get(name)) for name in ("x", "y", "w", "h"))
        if x + w > 1.0 or y + h > 1.0 or w <= 0 or h <= 0:
            raise MarkupError("markup_coordinates")
        shape.update(x=x, y=y, w=w, h=h)
        return shape
    points = raw.get("points")
    minimum = 4
    if not isinstance(points, list) or len(points) < minimum or len(points) % 2:
        raise MarkupError("markup_shape")
    if len(points) > (4 if kind == "arrow" else 2 * MAX_LINE_POINTS):
        raise MarkupError("markup_too_many")
    shape["points"] = [_coordinate(value) for value in points]
    return shape


def _colour(value) -> str:
    colour = value.lower() if isinstance(value, str) else None
    if colour not in COLOURS:
        raise MarkupError("markup_colour")
    return colour


def _coordinate(value) -> float:
    """A fraction of the photo's size: 0..1, rounded to 1/10000 (sub-pixel on a 1600 px image)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MarkupError("markup_coordinates")
    if not 0.0 <= value <= 1.0:
        raise MarkupError("markup_coordinates")
    return round(float(value), 4)


def _number_in(value, bounds: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MarkupError("markup_shape")
    if not bounds[0] <= value <= bounds[1]:
        raise MarkupError("markup_shape")
    return round(float(value), 4)


def dumps(shapes: list[dict]) -> str:
    """The stored form of checked shapes (compact, stable key order)."""
    return json.dumps({"shapes": shapes}, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


# --- rendering ------------------------------------------------------------------------------

def draw(image: Image.Image, shapes: list[dict]) -> None:
    """Burn ``shapes`` (checked by :func:`parse`) into ``image`` (RGB), in place."""
    width, height = image.size
    long_side = max(width, height)
    canvas = ImageDraw.Draw(image)
    for shape in shapes:
        colour = COLOURS[shape["color"]]
        if shape["type"] == "text":
            _text(canvas, shape, width, height, long_side, colour)
            continue
        stroke = max(1, round(shape["width"] * long_side))
        if shape["type"] in ("ellipse", "rect"):
            box = (shape["x"] * width, shape["y"] * height,
                   (shape["x"] + shape["w"]) * width, (shape["y"] + shape["h"]) * height)
            if shape["type"] == "ellipse":
                canvas.ellipse(box, outline=colour, width=stroke)
            else:
                canvas.rectangle(box, outline=colour, width=stroke)
            continue
        points = [(shape["points"][i] * width, shape["points"][i + 1] * height)
                  for i in range(0, len(shape["points"]), 2)]
        canvas.line(points, fill=colour, width=stroke, joint="curve")
        if shape["type"] == "arrow":
            _arrow_head(canvas, points[-2], points[-1], stroke, colour)


def _arrow_head(canvas: ImageDraw.ImageDraw, start, end, stroke: int, colour) -> None:
    """A filled triangle at ``end`` pointing away from ``start``."""
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    length = stroke * 4
    left = (end[0] - length * math.cos(angle - 0.45), end[1] - length * math.sin(angle - 0.45))
    right = (end[0] - length * math.cos(angle + 0.45), end[1] - length * math.sin(angle + 0.45))
    canvas.polygon([end, left, right], fill=colour)


def _text(canvas: ImageDraw.ImageDraw, shape: dict, width: int, height: int, long_side: int, colour) -> None:
    """Text with a dark (or light) outline, readable on any background."""
    size = max(8, round(shape["size"] * long_side))
    outline = (255, 255, 255) if colour == (0, 0, 0) else (0, 0, 0)
    canvas.text((shape["x"] * width, shape["y"] * height), shape["text"], font=imaging.cjk_font(size), fill=colour,
                stroke_width=max(1, size // 12), stroke_fill=outline)


def render_versions(display: bytes, shapes: list[dict]) -> tuple[bytes, bytes]:
    """The marked display version and thumbnail, drawn on the (watermarked) display JPEG.

    Baseline JPEG, unlike the progressive ingest versions: encoding progressively takes four
    times as long, and a marked version is made while the phone waits for the save.
    """
    image = Image.open(io.BytesIO(display))
    image = image.convert("RGB") if image.mode != "RGB" else image
    draw(image, shapes)
    factor = math.ceil(max(image.size) / imaging.THUMB_SIZE)
    thumbnail = image.reduce(factor) if factor > 1 else image.copy()  # area average: fast and smooth
    return _baseline_jpeg(image, imaging.DISPLAY_QUALITY), _baseline_jpeg(thumbnail, imaging.THUMB_QUALITY)


def _baseline_jpeg(image: Image.Image, quality: int) -> bytes:
    """A baseline JPEG without EXIF."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
