"""A registry that higher packages fill at start-up, so that a lower package needs no import of them.

Example: signatures knows nothing of inspections; inspections registers its record type into
the signatures registry when the app is created. Entries are keyed by name and adding a name
again replaces the entry, so registering twice (create_app may run more than once per process)
changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries, in the order they were first added."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        """Add (or replace) the entry ``name``; returns it."""
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T | None:
        """The entry ``name``, or None."""
        return self._entries.get(name)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"no {self.what} {name!r} registered (is the app created?)") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def values(self) -> list[T]:
        """Every entry, in the order first added."""
        return list(self._entries.values())
