"""Stand-ins for the outside world that tests swap into the app."""
from __future__ import annotations

from portal.storage import FileSystemStorage, StorageError


class FailingStorage(FileSystemStorage):
    """A store whose ``fail_on``-th put fails, like a disk filling up in the middle of an upload."""

    def __init__(self, root, fail_on: int = 2):
        super().__init__(root)
        self.fail_on, self.puts = fail_on, 0

    def put(self, key: str, data: bytes) -> None:
        """Count the put; fail the ``fail_on``-th one."""
        self.puts += 1
        if self.puts == self.fail_on:
            raise StorageError("No space left on device")
        super().put(key, data)
