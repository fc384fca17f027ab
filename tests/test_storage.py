"""Writing a row's files all or none."""
from __future__ import annotations

import pytest

from portal.storage import FileSystemStorage, StorageError, discard, put_all
from tests.fakes import FailingStorage


def test_put_all_writes_every_file_and_names_them(tmp_path):
    store = FileSystemStorage(tmp_path)
    assert put_all(store, {"a/1.jpg": b"one", "a/2.jpg": b"two"}) == ["a/1.jpg", "a/2.jpg"]
    with store.open("a/2.jpg") as handle:
        assert handle.read() == b"two"


@pytest.mark.parametrize("fail_on", [1, 2, 3])
def test_a_failing_write_removes_the_files_written_before_it(tmp_path, fail_on):
    store = FailingStorage(tmp_path, fail_on=fail_on)
    with pytest.raises(StorageError):
        put_all(store, {"a/1.jpg": b"one", "a/2.jpg": b"two", "a/3.jpg": b"three"})
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_discard_skips_files_that_are_gone(tmp_path):
    store = FileSystemStorage(tmp_path)
    put_all(store, {"b/1.jpg": b"one"})
    discard(store, ["b/1.jpg", "b/missing.jpg"])
    assert not store.exists("b/1.jpg")
