"""The Pillow pipeline for uploaded photos: verify by decoding, orient, hash, derive, watermark.

Pure functions on bytes; no Flask. The original bytes are never changed (they are the
evidence); the display version (long side 1600 px, watermarked) and the thumbnail (320 px)
are new JPEGs without any EXIF, so they carry no GPS position.
"""
from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFile, ImageFont, UnidentifiedImageError

try:  # iPhones upload HEIC/HEIF
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    pillow_heif = None

from portal.timeutil import COMPANY_TZ

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
MAX_PIXELS = 50_000_000        # decompression bombs are refused before any pixel is decoded
MAX_EXIF_BYTES = 256 * 1024    # a real camera's EXIF is a few KB (thumbnail included)
DISPLAY_SIZE = 1600
THUMB_SIZE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75

# Pillow's own bomb guard stays on as a second line of defence.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class ImageRejected(ValueError):
    """The upload is not an acceptable photo; ``code`` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ProcessedPhoto:
    """What the pipeline learned and made from one upload."""

    format: str
    mime: str
    extension: str
    width: int
    height: int
    sha256: str
    size: int
    captured_at: datetime | None
    device_model: str | None
    display: bytes
    thumbnail: bytes


def process(data: bytes, watermark: Callable[[datetime | None], list[str]] | None = None) -> ProcessedPhoto:
    """Verify, orient and derive the display and thumbnail versions of ``data``.

    ``watermark`` gets the capture time from EXIF (or None) and returns the lines to stamp.
    """
    if not data:
        raise ImageRejected("empty")
    image = _open(data)
    fmt = image.format
    if len(image.info.get("exif") or b"") > MAX_EXIF_BYTES:
        raise ImageRejected("exif_too_large")
    exif = _read_exif(image)
    if len(image.info.get("exif") or b"") > MAX_EXIF_BYTES:  # PNG may carry eXIf after the image data
        raise ImageRejected("exif_too_large")
    captured_at, device_model = _capture_facts(exif)
    orientation = exif.get(0x0112)
    width, height = image.size
    if orientation in (5, 6, 7, 8):  # rotated by 90°: viewed with width and height swapped
        width, height = height, width
    image = _decode_for(image, DISPLAY_SIZE)
    display = _to_rgb(_orient(image, orientation))
    display.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.BICUBIC, reducing_gap=2.0)
    if watermark is not None:
        stamp(display, watermark(captured_at))
    thumbnail = display.copy()
    thumbnail.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return ProcessedPhoto(
        format=fmt, mime=ACCEPTED_FORMATS[fmt], extension=EXTENSIONS[fmt], width=width, height=height,
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), captured_at=captured_at,
        device_model=device_model, display=_jpeg(display, DISPLAY_QUALITY), thumbnail=_jpeg(thumbnail, THUMB_QUALITY))


def _open(data: bytes) -> Image.Image:
    """Open by content (never by name or Content-Type) and check the size before decoding."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Between 1× and 2× the limit Pillow only warns; where warnings are errors the warning arrives here.
        raise ImageRejected("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected("not_an_image") from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRejected("too_many_pixels")
    if width < 1 or height < 1:
        raise ImageRejected("not_an_image")
    return image


def _read_exif(image: Image.Image) -> Image.Exif:
    """The EXIF data, or an empty Exif when it is unreadable (damaged metadata is not a reason to refuse)."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # see _decode_for: PNG's getexif() may decode the image
    try:
        return image.getexif()
    except Exception:  # Pillow raises many kinds on broken metadata
        return Image.Exif()


ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orient(image: Image.Image, orientation) -> Image.Image:
    """Turn the pixels upright according to the EXIF orientation (the derived versions carry no EXIF)."""
    method = ORIENTATION_TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(method) if method is not None else image


def _decode_for(image: Image.Image, long_side: int) -> Image.Image:
    """Decode the pixels; JPEGs are scaled down by the decoder itself (draft mode), ~2.5× faster."""
    if image.format == "JPEG":
        width, height = image.size
        scale = long_side / max(width, height)
        if scale < 1:
            image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
    # WeasyPrint turns LOAD_TRUNCATED_IMAGES on for the whole process when it is imported;
    # an interrupted upload must be refused, not stored with a grey bottom.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
        raise ImageRejected("corrupt") from exc
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG output; transparency is flattened onto white."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _capture_facts(exif) -> tuple[datetime | None, str | None]:
    """Capture time (DateTimeOriginal, camera local time = company time) in UTC, and device model."""
    model = exif.get(0x0110)
    try:
        sub = exif.get_ifd(0x8769) if exif else {}
    except Exception:  # a broken Exif IFD: no capture time, still a usable photo
        sub = {}
    raw = sub.get(0x9003) or exif.get(0x0132)
    captured = None
    if isinstance(raw, str):
        try:
            local = datetime.strptime(raw.replace("\x00", "").strip(), "%Y:%m:%d %H:%M:%S")
            captured = local.replace(tzinfo=COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)
        except ValueError:
            captured = None
    if isinstance(model, str):
        model = "".join(ch for ch in model if ch.isprintable()).strip()[:100] or None
    else:
        model = None
    return captured, model


def stamp(image: Image.Image, lines: list[str]) -> None:
    """Draw a site-camera style watermark (dark band, white text) at the bottom of ``image``."""
    width, height = image.size
    size = max(14, width // 45)
    font = _font(size)
    padding = size // 2
    line_height = int(size * 1.35)
    band = line_height * len(lines) + padding * 2
    overlay = Image.new("RGBA", (width, band), (0, 0, 0, 150))
    image.paste(overlay, (0, height - band), overlay)
    draw = ImageDraw.Draw(image)
    y = height - band + padding
    for line in lines:
        draw.text((padding, y), line, font=font, fill=(255, 255, 255))
        y += line_height


@lru_cache(maxsize=8)
def _font(size: int):
    """A CJK-capable font (WenQuanYi Micro Hei or Noto CJK), or Pillow's default as a last resort."""
    path = os.environ.get("WATERMARK_FONT") or next((p for p in FONT_CANDIDATES if os.path.exists(p)), None)
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def cjk_font(size: int):
    """The watermark's font at ``size`` px (markup texts and plan pin numbers use it too)."""
    return _font(size)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode as progressive JPEG without EXIF (no GPS in derived versions)."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False, progressive=True)
    return out.getvalue()
