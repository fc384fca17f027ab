"""Named blinker signals whose receivers run in the order they were connected.

A feature declares its signals in its own ``signals.py`` (``portal.inspections.signals``);
other features connect receivers at start-up. Receivers of one signal often write to the same
transaction (a penalty, then a notice and more penalties), so the order must not depend on
hashing: blinker's default receiver set has no order, this one keeps insertion order.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSet

import blinker


class _OrderedSet(MutableSet):
    """A set that iterates in insertion order (what blinker needs of its ``set_class``)."""

    def __init__(self, items: Iterable = ()):
        self._items = dict.fromkeys(items)

    def __contains__(self, item) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item) -> None:
        self._items[item] = None

    def discard(self, item) -> None:
        self._items.pop(item, None)

    def copy(self) -> _OrderedSet:
        """A shallow copy, same order."""
        return _OrderedSet(self._items)


class OrderedSignal(blinker.NamedSignal):
    """A named signal that calls its receivers in connection order."""

    set_class = _OrderedSet


class Namespace(blinker.Namespace):
    """A blinker namespace of :class:`OrderedSignal`."""

    def signal(self, name: str, doc: str | None = None) -> OrderedSignal:
        """The signal called ``name``, created on first use."""
        if name not in self:
            self[name] = OrderedSignal(name, doc)
        return self[name]
