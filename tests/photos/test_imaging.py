"""The Pillow pipeline (portal.photos.imaging.process) on images generated in memory.

Pure tests: no app, no database. Every image is made with Pillow (or by hand, byte by
byte, for the malicious ones); no files in the repository.
"""
from __future__ import annotations

import hashlib
import io
import struct
import time
import warnings
import zipfile
import zlib
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from portal.photos import imaging
from portal.photos.imaging import DISPLAY_SIZE, MAX_EXIF_BYTES, THUMB_SIZE, ImageRejected, process
from tests.factories import make_image_bytes


def opened(data: bytes) -> Image.Image:
    """The image in ``data``, opened."""
    return Image.open(io.BytesIO(data))


def rejection(data: bytes) -> str:
    """The ImageRejected code ``process`` raises for ``data``."""
    with pytest.raises(ImageRejected) as info:
        process(data)
    return info.value.code


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC-32 of type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` RGB pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + png_chunk(b"IEND", b""))


def giant_exif() -> Image.Exif:
    """EXIF with a 300 KB UserComment (a real camera writes a few KB)."""
    exif = Image.Exif()
    exif[0x0110] = "Bloated"
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\0\0\0" + b"x" * 300_000
    return exif


def tiff_exif(entries: list[tuple[int, int, int, bytes]], sub_ifds: dict[int, list] | None = None,
              header: bytes = b"MM\0*") -> bytes:
    """Raw EXIF (big-endian TIFF) built by hand, for malformed cases Pillow would not write.

    ``entries`` are (tag, type, count, 4-byte value); ``sub_ifds`` maps a pointer tag
    (GPS 0x8825) to the entries of the IFD it points to.
    """
    sub_ifds = sub_ifds or {}
    ifd0_size = 2 + 12 * (len(entries) + len(sub_ifds)) + 4
    offset, blobs, pointers = 8 + ifd0_size, b"", []
    for tag, sub in sub_ifds.items():
        pointers.append((tag, 4, 1, struct.pack(">I", offset)))
        blob = struct.pack(">H", len(sub)) + b"".join(struct.pack(">HHI", *e[:3]) + e[3] for e in sub) + b"\0" * 4
        blobs += blob
        offset += len(blob)
    ifd0 = struct.pack(">H", len(entries) + len(pointers)) + b"".join(
        struct.pack(">HHI", *e[:3]) + e[3] for e in sorted(entries + pointers)) + b"\0" * 4
    return b"Exif\0\0" + header + struct.pack(">I", 8) + ifd0 + blobs


ORIENTATION_6 = (0x0112, 3, 1, struct.pack(">HH", 6, 0))


# --- what comes out ---------------------------------------------------------------------

def test_orientation_6_comes_out_upright():
    """Encoded landscape 400×300 with 'rotate 90° clockwise to view' is recorded and shown as portrait 300×400."""
    data = make_image_bytes(400, 300, orientation=6)
    result = process(data)
    display = opened(result.display).convert("RGB")
    assert (result.width, result.height) == (300, 400)
    assert display.size == (300, 400)
    assert opened(result.thumbnail).size == (240, 320)
    # The red top-left corner of the stored pixels is top-right once turned clockwise.
    red, green, blue = display.getpixel((display.width - 10, 10))
    assert red > 200 and green < 60 and blue < 60
    red, green, blue = display.getpixel((10, 10))
    assert abs(red - green) < 40 and abs(red - blue) < 40  # grey gradient, not the red corner


@pytest.mark.parametrize("orientation, size", [(1, (400, 300)), (3, (400, 300)), (8, (300, 400))])
def test_other_orientations_record_the_viewed_size(orientation, size):
    result = process(make_image_bytes(400, 300, orientation=orientation))
    assert (result.width, result.height) == size == opened(result.display).size


def test_sha256_and_size_are_those_of_the_uploaded_bytes():
    data = make_image_bytes(640, 480, gps=True)
    result = process(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)


@pytest.mark.parametrize("width, height, display, thumb", [
    (4000, 3000, (1600, 1200), (320, 240)),
    (3000, 4000, (1200, 1600), (240, 320)),
    (2000, 500, (1600, 400), (320, 80)),
])
def test_big_images_are_scaled_to_1600_and_320(width, height, display, thumb):
    result = process(make_image_bytes(width, height))
    assert (result.width, result.height) == (width, height)
    assert opened(result.display).size == display and max(display) == DISPLAY_SIZE
    assert opened(result.thumbnail).size == thumb and max(thumb) == THUMB_SIZE


def test_small_images_are_not_upscaled():
    result = process(make_image_bytes(400, 300))
    assert opened(result.display).size == (400, 300)
    assert opened(result.thumbnail).size == (320, 240)
    tiny = process(make_image_bytes(200, 100))
    assert opened(tiny.display).size == opened(tiny.thumbnail).size == (200, 100)


def test_derived_versions_are_jpegs_without_exif_or_gps():
    data = make_image_bytes(800, 600, gps=True, orientation=6, model="TestCam X1", captured="2026:05:01 10:30:00")
    assert opened(data).getexif().get_ifd(0x8825)  # the source really has a GPS position
    result = process(data)
    for derived in (result.display, result.thumbnail):
        image = opened(derived)
        assert image.format == "JPEG"
        assert "exif" not in image.info and not image.getexif()
        assert b"Exif\0\0" not in derived and b"TestCam" not in derived


def test_capture_time_is_company_time_stored_as_utc_and_device_model_kept():
    """Cameras write local wall-clock time; the company is in Asia/Shanghai (UTC+8)."""
    result = process(make_image_bytes(captured="2026:05:01 10:30:00", model="TestCam X1"))
    assert result.captured_at == datetime(2026, 5, 1, 2, 30)
    assert result.captured_at.tzinfo is None
    assert result.device_model == "TestCam X1"


def test_capture_time_across_midnight_moves_to_the_previous_utc_day():
    assert process(make_image_bytes(captured="2026:01:01 07:59:59")).captured_at == datetime(2025, 12, 31, 23, 59, 59)


def test_without_exif_there_is_no_capture_time_or_model():
    result = process(make_image_bytes())
    assert result.captured_at is None and result.device_model is None


@pytest.mark.parametrize("raw", ["0000:00:00 00:00:00", "2026-05-01 10:30", "    "])
def test_unreadable_capture_time_is_ignored(raw):
    assert process(make_image_bytes(captured=raw)).captured_at is None


def test_png_with_alpha_is_accepted_and_flattened_onto_white():
    image = Image.new("RGBA", (300, 200), (0, 0, 255, 255))
    image.paste((0, 0, 0, 0), (0, 0, 100, 200))  # left third fully transparent
    out = io.BytesIO()
    image.save(out, "PNG")
    result = process(out.getvalue())
    assert (result.format, result.mime, result.extension) == ("PNG", "image/png", "png")
    display = opened(result.display).convert("RGB")
    assert min(display.getpixel((20, 100))) > 240           # transparent became white
    assert display.getpixel((250, 100))[2] > 200             # opaque blue stays blue


def test_webp_is_accepted():
    result = process(make_image_bytes(500, 400, fmt="WEBP"))
    assert (result.format, result.mime, result.extension) == ("WEBP", "image/webp", "webp")
    assert (result.width, result.height) == (500, 400)


def test_heic_is_accepted():
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is not installed")
    out = io.BytesIO()
    try:
        pillow_heif.from_pillow(opened(make_image_bytes(480, 360))).save(out, format="HEIF")
    except Exception as exc:  # libheif built without an encoder
        pytest.skip(f"this pillow-heif cannot encode HEIF: {exc}")
    result = process(out.getvalue())
    assert (result.format, result.mime, result.extension) == ("HEIF", "image/heic", "heic")
    assert (result.width, result.height) == (480, 360)
    assert opened(result.display).format == "JPEG"


def test_watermark_is_stamped_on_the_display_version_only_when_asked():
    """The stamp is a dark band at the bottom of the display version (and so of the thumbnail)."""
    white = io.BytesIO()
    Image.new("RGB", (1000, 800), "white").save(white, "JPEG", quality=95)
    seen = []
    lines = ["T26010101 · 主卫", "2026-05-01 10:30"]
    stamped = process(white.getvalue(), lambda captured: seen.append(captured) or lines)
    plain = process(white.getvalue())
    assert seen == [None]
    bottom = (10, opened(stamped.display).height - 3)
    assert max(opened(stamped.display).convert("RGB").getpixel(bottom)) < 160
    assert min(opened(plain.display).convert("RGB").getpixel(bottom)) > 240
    assert min(opened(stamped.display).convert("RGB").getpixel((10, 10))) > 240


# --- what is refused ----------------------------------------------------------------------

def truncated_jpeg() -> bytes:
    """A JPEG cut in the middle of its scan data, as an interrupted upload leaves it."""
    out = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()[: len(out.getvalue()) // 2]


def truncated_png() -> bytes:
    """A PNG cut in the middle of its image data, as an interrupted upload leaves it."""
    out = io.BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(out, "PNG")
    return out.getvalue()[: len(out.getvalue()) // 2]


# Importing WeasyPrint (portal/pdf.py) sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole
# process; imaging.process must refuse truncated uploads either way.
WEASYPRINT_LOADED = ()


@pytest.fixture(params=[False, pytest.param(True, marks=WEASYPRINT_LOADED)],
                ids=["pillow default", "after WeasyPrint import"])
def truncated_images_flag(request, monkeypatch):
    """Run with Pillow's process-wide LOAD_TRUNCATED_IMAGES as Pillow ships it, and as WeasyPrint leaves it."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", request.param)


def test_truncated_jpeg_is_refused_as_corrupt(truncated_images_flag):
    assert rejection(truncated_jpeg()) == "corrupt"


def test_truncated_png_is_refused_as_corrupt(truncated_images_flag):
    """Regression too: PngImageFile.getexif() decodes the whole image, so the damage showed up there (HTTP 500)."""
    assert rejection(truncated_png()) == "corrupt"


def test_jpeg_cut_inside_its_header_is_not_an_image():
    assert rejection(make_image_bytes()[:200]) == "not_an_image"


def test_pdf_is_refused():
    assert rejection(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n") == "not_an_image"


def test_zip_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", make_image_bytes())
    assert rejection(out.getvalue()) == "not_an_image"


def test_empty_file_is_refused():
    assert rejection(b"") == "empty"


def test_svg_with_a_script_is_refused():
    svg = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>")
    assert rejection(svg) == "not_an_image"


@pytest.mark.parametrize("fmt", ["TIFF", "GIF", "BMP"])
def test_other_image_formats_are_refused(fmt):
    out = io.BytesIO()
    Image.new("RGB", (50, 40), "gray").save(out, fmt)
    assert rejection(out.getvalue()) == "not_an_image"


def test_png_declaring_100000_by_100000_pixels_is_refused_before_decoding():
    bomb = png_declaring(100_000, 100_000)
    assert len(bomb) < 200
    started = time.perf_counter()
    assert rejection(bomb) == "too_many_pixels"
    assert time.perf_counter() - started < 0.5


def test_png_just_over_our_pixel_limit_is_refused_too():
    """56 MP: over our 50 MP limit, under Pillow's hard limit (which only warns there)."""
    with pytest.warns(Image.DecompressionBombWarning):
        assert rejection(png_declaring(8000, 7000)) == "too_many_pixels"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_giant_exif_block_is_refused(fmt):
    """JPEG cannot carry more than 64 KB of EXIF; PNG (eXIf) and WebP (EXIF chunk) can."""
    out = io.BytesIO()
    opened(make_image_bytes()).save(out, fmt, exif=giant_exif())
    assert len(out.getvalue()) > MAX_EXIF_BYTES
    assert rejection(out.getvalue()) == "exif_too_large"


def test_giant_exif_after_the_image_data_is_refused_too():
    """Regression: the limit was checked before Pillow had read the chunks after IDAT."""
    out = io.BytesIO()
    opened(make_image_bytes()).save(out, "PNG", exif=giant_exif())
    data, chunks, pos = out.getvalue(), [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        chunks.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    order = [c for c in chunks if c[0] not in (b"eXIf", b"IEND")] + [c for c in chunks if c[0] == b"eXIf"]
    moved = data[:8] + b"".join(png_chunk(kind, body) for kind, body in order) + png_chunk(b"IEND", b"")
    assert moved.index(b"eXIf") > moved.index(b"IDAT")
    assert rejection(moved) == "exif_too_large"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_unreadable_exif_is_ignored_not_a_crash(fmt):
    """Regression: an invalid TIFF header in the EXIF made getexif() raise SyntaxError (HTTP 500)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gray").save(out, fmt, exif=tiff_exif([ORIENTATION_6], header=b"MM\0u"))
    result = process(out.getvalue())
    assert (result.width, result.height) == (40, 30)
    assert result.captured_at is None and result.device_model is None


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_rotated_photo_with_a_mistyped_exif_tag_is_still_turned_upright(fmt):
    """Regression: ImageOps.exif_transpose re-serialised the EXIF and raised TypeError on GPSLatitude as text."""
    gps_latitude_as_text = (0x0002, 2, 4, b"abc\0")
    out = io.BytesIO()
    exif = tiff_exif([ORIENTATION_6], {0x8825: [gps_latitude_as_text]})
    Image.new("RGB", (40, 30), "gray").save(out, fmt, exif=exif)
    result = process(out.getvalue())
    assert (result.width, result.height) == (30, 40) == opened(result.display).size


def test_device_model_never_contains_nul_characters():
    """Regression: only trailing NULs were stripped; PostgreSQL refuses text containing NUL (HTTP 500)."""
    model = b"Phone\0\0 X1\0"
    exif = tiff_exif([(0x0110, 2, len(model), (8 + 18).to_bytes(4, "big"))]) + model  # value right after IFD0
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gray").save(out, "JPEG", exif=exif)
    assert opened(out.getvalue()).getexif()[0x0110] == "Phone\0\0 X1"  # what Pillow reads
    assert process(out.getvalue()).device_model == "Phone X1"


# --- robustness ----------------------------------------------------------------------------

def _seed(fmt: str) -> bytes:
    """A small noisy image in ``fmt``, the starting point for damage."""
    out = io.BytesIO()
    Image.effect_noise((64, 48), 50).convert("RGB").save(out, fmt)
    return out.getvalue()


SEEDS = {fmt: _seed(fmt) for fmt in ("JPEG", "PNG", "WEBP")}


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.floats(0.05, 1))
def test_damaged_images_are_refused_or_processed_never_crash(fmt, edits, cut):
    """Bytes flipped and files cut short: the outcome is a photo or ImageRejected, nothing else."""
    data = bytearray(SEEDS[fmt])
    for where, value in edits:
        data[int(where * len(data))] = value
    data = bytes(data[: max(1, int(len(data) * cut))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about some damage; in production that is only a log line
        try:
            result = process(data)
        except ImageRejected as exc:
            assert exc.code in {"empty", "not_an_image", "corrupt", "too_many_pixels", "exif_too_large"}
        else:
            assert result.format in imaging.ACCEPTED_FORMATS and result.sha256 == hashlib.sha256(data).hexdigest()
