"""Draw the app icons of the web app manifest (static/icons/*.png) from the favicon's design.

The favicon (static/favicon.svg) is a white check mark on the brand blue, rounded square. Phones
want PNGs: 192 and 512 px with rounded corners, and a "maskable" 512 px one filled to the edges
(the launcher cuts its own shape; the mark stays inside the central safe zone). The PNGs are
committed; run this again only when the design changes: ``.venv/bin/python scripts/make_icons.py``.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND_BLUE = "#0b4f8a"
ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
SUPERSAMPLE = 4  # draw large, then shrink: smooth edges without an SVG renderer
# The favicon's check mark in its 32-unit box: M8 17 l5 5 11-12, stroke 4, round caps.
CHECK = [(8, 17), (13, 22), (24, 10)]
STROKE = 4


def draw_icon(size: int, maskable: bool) -> Image.Image:
    """The check-mark icon at ``size`` px; ``maskable`` fills the square and shrinks the mark to the safe zone."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BRAND_BLUE)
        scale, offset = big * 0.7 / 32, big * 0.15
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 6 // 32, fill=BRAND_BLUE)
        scale, offset = big / 32, 0
    points = [(offset + x * scale, offset + y * scale) for x, y in CHECK]
    width = round(STROKE * scale)
    draw.line(points, fill="white", width=width, joint="curve")
    for x, y in (points[0], points[-1]):  # round caps
        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill="white")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon-192.png, icon-512.png and icon-maskable-512.png."""
    ICONS.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True)):
        draw_icon(size, maskable).save(ICONS / name, optimize=True)


if __name__ == "__main__":
    main()
