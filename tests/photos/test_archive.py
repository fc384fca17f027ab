"""The owner's archive writes user text safely: no live formulas in the CSV, no climbing folder names."""
import csv
import io
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from portal.photos.archive import _csv, archive_name, folder_name


def photo(**overrides):
    """A photo row with the fields the archive reads."""
    values = dict(system_label="给水", location="厨房", stage="", note="", sha256="ab" * 32, size_bytes=10,
                  width=4, height=3, device_model="", original_key="p/1/original.jpg",
                  captured_at=datetime(2026, 5, 1, 2, 3, 4, tzinfo=timezone.utc), uploaded_at=None)
    values.update(overrides)
    return SimpleNamespace(**values)


@pytest.mark.parametrize("text, expected", [
    ("..", "-"), (".", "-"), ("../../etc", "_.._etc"), ("厨房/阳台", "厨房_阳台"), ("a\\b", "a_b"),
    ("C:x", "C_x"), ("\x01卫生间\x7f", "_卫生间_"), ("", "-"), (None, "-"), ("  .hidden ", "hidden"),
])
def test_folder_names_are_single_harmless_segments(text, expected):
    assert folder_name(text) == expected


def test_archive_names_never_leave_their_folder():
    name = archive_name(photo(location="..", system_label="../x"), 7)
    assert not any(part in ("", ".", "..") for part in name.split("/"))
    assert name.endswith("/007_20260501_100304.jpg")


def test_csv_cells_typed_by_people_are_never_formulas():
    rows = list(csv.reader(io.StringIO(_csv(
        [photo(location='=HYPERLINK("http://x","y")', note="+1+2", device_model="@SUM(A1)")], ["a.jpg"]
    ).decode("utf-8-sig"))))
    location, note, device = rows[1][2], rows[1][6], rows[1][11]
    assert location == '\'=HYPERLINK("http://x","y")' and note == "'+1+2" and device == "'@SUM(A1)"
    assert rows[1][8] == "10"  # numbers stay numbers
