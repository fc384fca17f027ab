"""Drawn site photos for the demo: simple shapes that look like what they are labelled.

Pipes on a wall for water supply, grey drain pipes, red heating loops, wires in conduit for
electrical work, a duct for ventilation, a grey coating turned up a tiled wall for
waterproofing; a marked defect for a failed checklist item and the same spot, fixed, for the
foreman's "after" photo. Plain JPEG bytes: the demo uploads them through the photos service, so
they get the real pipeline (EXIF check, display size, thumbnail, watermark).
"""
from __future__ import annotations

import io
import random
from functools import cache

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 480  # the shapes are drawn on this canvas, then saved at SAVED
SAVED = (400, 300)
WALL = (214, 206, 190)
CONCRETE = (168, 165, 158)


def site_photo(subject: str, variant: int = 0) -> bytes:
    """A JPEG of ``subject`` (a concealed system name, ``defect:<category>`` or ``fixed:<category>``)."""
    return _photo(subject, variant % 4)


@cache
def _photo(subject: str, variant: int) -> bytes:
    rng = random.Random(f"{subject}/{variant}")
    image = Image.new("RGB", (WIDTH, HEIGHT), _shade(WALL, rng))
    draw = ImageDraw.Draw(image)
    _floor(draw, rng)
    kind, _sep, category = subject.partition(":")
    painter = PAINTERS.get(kind) or PAINTERS.get(_category_scene(category)) or _tiles
    painter(draw, rng)
    if kind == "defect":
        x, y = rng.randrange(160, 480), rng.randrange(120, 300)
        draw.ellipse((x - 55, y - 55, x + 55, y + 55), outline=(220, 30, 30), width=6)
        draw.line((x - 30, y - 10, x + 25, y + 20), fill=(70, 60, 50), width=4)  # the crack / leak / gap
    elif kind == "fixed":
        draw.line((470, 380, 500, 420, 580, 320), fill=(40, 170, 60), width=12)
    out = io.BytesIO()
    image.resize(SAVED, Image.Resampling.BILINEAR).save(out, "JPEG", quality=80)
    return out.getvalue()


def _shade(colour, rng: random.Random):
    return tuple(max(0, min(255, c + rng.randrange(-12, 13))) for c in colour)


def _floor(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    draw.rectangle((0, 380, WIDTH, HEIGHT), fill=_shade(CONCRETE, rng))


def _pipes(colours, width: int):
    def paint(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
        for n, colour in enumerate(colours):
            y = 110 + n * 70 + rng.randrange(-10, 10)
            draw.line((0, y, 420, y, 420, 380), fill=colour, width=width, joint="curve")
            for x in range(60, 420, 90):  # pipe clamps
                draw.rectangle((x, y - width, x + 10, y + width), fill=(90, 90, 90))
    return paint


def _conduit(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """Electrical: wire colours in conduits chased into the wall, to a socket box."""
    draw.rectangle((0, 170, WIDTH, 250), fill=(190, 180, 165))  # the chase in the wall
    for n, colour in enumerate([(200, 40, 40), (40, 80, 200), (230, 200, 40)]):
        y = 185 + n * 22
        draw.line((0, y, 470, y), fill=(235, 235, 235), width=16)  # conduit
        draw.line((0, y, 470, y), fill=colour, width=4)  # the wire inside
    draw.rectangle((470, 165, 560, 255), outline=(60, 60, 60), width=5, fill=(245, 245, 240))  # box
    draw.line((490, 210, 540, 210), fill=(60, 60, 60), width=3)


def _duct(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    draw.rectangle((0, 60, 520, 160), fill=(200, 205, 210), outline=(120, 125, 130), width=4)
    for x in range(40, 520, 80):
        draw.line((x, 60, x, 160), fill=(150, 155, 160), width=3)
    draw.ellipse((480, 70, 580, 150), fill=(170, 175, 180), outline=(110, 110, 110), width=4)


def _tiles(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """Waterproofing: grey coating on the floor turned up the wall, tiles above it."""
    for x in range(0, WIDTH, 80):
        for y in range(0, 300, 60):
            draw.rectangle((x + 2, y + 2, x + 78, y + 58), fill=_shade((236, 236, 230), rng))
    draw.rectangle((0, 300, WIDTH, 380), fill=(110, 120, 130))  # coating turned up 250 mm
    draw.rectangle((0, 380, WIDTH, HEIGHT), fill=(95, 105, 115))
    draw.ellipse((300, 420, 340, 450), fill=(60, 60, 60))  # floor drain


def _boards(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """Carpentry, floors, doors: wooden boards."""
    for x in range(0, WIDTH, 70):
        draw.rectangle((x, 300, x + 66, HEIGHT), fill=_shade((170, 120, 70), rng))
    draw.rectangle((380, 60, 520, 300), fill=_shade((150, 100, 60), rng), outline=(90, 60, 30), width=6)  # a door


def _ceiling(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    for x in range(0, WIDTH, 60):
        draw.line((x, 0, x, 160), fill=(150, 150, 155), width=6)  # keel
    draw.line((0, 160, WIDTH, 160), fill=(120, 120, 125), width=8)
    draw.ellipse((280, 40, 360, 100), fill=(250, 240, 200))  # a lamp


PAINTERS = {
    "water_supply": _pipes([(225, 225, 225), (200, 60, 40)], 14),  # PPR cold and hot supply
    "drainage": _pipes([(150, 150, 150)], 30),
    "heating": _pipes([(200, 40, 30), (160, 30, 20)], 12),
    "electrical": _conduit,
    "ventilation": _duct,
    "waterproofing": _tiles,
    "other": _boards,
    "boards": _boards,
    "ceiling": _ceiling,
}


def _category_scene(category: str) -> str:
    return {"sanitary": "water_supply", "electrical": "electrical", "ceiling": "ceiling", "floors": "waterproofing",
            "concealed": "waterproofing", "carpentry": "boards", "doors_windows": "boards",
            "soft_panels": "boards", "carpets": "boards"}.get(category, "other")
