"""Turning an uploaded floor plan into the image pins are placed on, and drawing numbered pins.

Plain functions on bytes, no Flask. A plan arrives as an image (JPEG, PNG, WebP) or as a PDF
whose first page is rasterised by ``pdftoppm`` (poppler-utils) in a separate process with a
time limit and a memory limit, so a hostile PDF costs at most a few seconds and is refused.
"""
from __future__ import annotations

import hashlib
import io
import resource
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFile, ImageFont, UnidentifiedImageError

# The photos' limit on pixels, which also sets Pillow's own bomb guard (one process-wide setting).
from portal.photos.imaging import MAX_PIXELS

MAX_BYTES = 20 * 1024 * 1024    # the request limit, checked again here
LONG_SIDE = 2400                # the plan image: enough to read room names at phone zoom
QUALITY = 88
PDF_TIMEOUT_S = 15
PDF_MEMORY = 1024 * 1024 * 1024
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
PIN_RED = (213, 0, 0)


class PlanRejected(ValueError):
    """The upload is not a usable plan; ``code`` says why (see plans.messages)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class PreparedPlan:
    """The plan image (JPEG) and what it was made from."""

    source_format: str
    extension: str
    sha256: str
    image: bytes
    width: int
    height: int


def prepare(data: bytes) -> PreparedPlan:
    """Check the upload and make the plan image (long side at most 2400 px, RGB JPEG)."""
    if not data:
        raise PlanRejected("empty")
    if len(data) > MAX_BYTES:
        raise PlanRejected("too_large")
    if data[:5] == b"%PDF-":
        source_format, extension, image = "PDF", "pdf", _open(rasterise_first_page(data))
    else:
        image = _open(data)
        source_format, extension = image.format, {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[image.format]
    image = _load(image)
    image = _flatten(image)
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return PreparedPlan(source_format=source_format, extension=extension, sha256=hashlib.sha256(data).hexdigest(),
                        image=out.getvalue(), width=image.width, height=image.height)


def rasterise_first_page(data: bytes) -> bytes:
    """The first page of a PDF as PNG (long side 2400 px), or PlanRejected("bad_pdf")."""
    with tempfile.TemporaryDirectory(prefix="plan-") as folder:
        source = Path(folder) / "plan.pdf"
        source.write_bytes(data)
        try:
            subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to", str(LONG_SIDE),
                            str(source), str(Path(folder) / "page")],
                           check=True, timeout=PDF_TIMEOUT_S, capture_output=True, preexec_fn=_limit_memory)
            return (Path(folder) / "page.png").read_bytes()
        except subprocess.TimeoutExpired:
            raise PlanRejected("pdf_timeout") from None
        except (subprocess.CalledProcessError, FileNotFoundError, OSError):
            raise PlanRejected("bad_pdf") from None


def _limit_memory() -> None:  # pragma: no cover - runs in the child process
    """In pdftoppm's process: at most 1 GB of address space and no core dump."""
    resource.setrlimit(resource.RLIMIT_AS, (PDF_MEMORY, PDF_MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _open(data: bytes) -> Image.Image:
    """Open by content and check the pixel count before decoding anything."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Between 1x and 2x the limit Pillow only warns; where warnings are errors the warning arrives here.
        raise PlanRejected("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PlanRejected("not_a_plan") from None
    if image.width * image.height > MAX_PIXELS:
        raise PlanRejected("too_many_pixels")
    return image


def _load(image: Image.Image) -> Image.Image:
    """Decode the pixels (JPEG scaled by the decoder); a truncated file is refused."""
    if image.format == "JPEG":
        scale = LONG_SIDE / max(image.size)
        if scale < 1:
            image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except Image.DecompressionBombError:
        raise PlanRejected("too_many_pixels") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise PlanRejected("not_a_plan") from None
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (transparent PNG plans)."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def check_point(x, y) -> tuple[float, float]:
    """A pin position as fractions of the plan (0..1 each), or PlanRejected("outside")."""
    try:
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        raise PlanRejected("outside") from None
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):  # NaN fails too
        raise PlanRejected("outside")
    return round(x, 5), round(y, 5)


def draw_pins(plan_image: bytes, pins: list[tuple[float, float, str]], long_side: int = 1600) -> bytes:
    """The plan (scaled to ``long_side``) with numbered red pins at (x, y, label); JPEG."""
    image = Image.open(io.BytesIO(plan_image)).convert("RGB")
    image.thumbnail((long_side, long_side), Image.Resampling.BICUBIC)
    radius = max(10, round(max(image.size) * 0.014))
    canvas = ImageDraw.Draw(image)
    font = ImageFont.load_default(round(radius * 1.3))
    for x, y, label in pins:
        cx, cy = x * image.width, y * image.height
        canvas.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=PIN_RED, outline=(255, 255, 255),
                       width=max(2, radius // 5))
        canvas.text((cx, cy), label, font=font, fill=(255, 255, 255), anchor="mm")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
