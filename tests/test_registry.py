"""Registries that features fill at start-up."""
import pytest

from portal.registry import Registry


def test_entries_keep_the_order_they_were_first_added():
    registry = Registry("rule")
    registry.add("b", 2)
    registry.add("a", 1)
    assert list(registry) == ["b", "a"] and registry.values() == [2, 1] and len(registry) == 2


def test_adding_a_name_again_replaces_the_entry():
    registry = Registry("rule")
    registry.add("a", 1)
    registry.add("b", 2)
    registry.add("a", 3)
    assert registry.values() == [3, 2] and registry["a"] == 3 and "a" in registry


def test_a_missing_entry_is_none_or_a_key_error_naming_it():
    registry = Registry("record type")
    assert registry.get("x") is None
    with pytest.raises(KeyError, match="no record type 'x' registered"):
        registry["x"]
