"""One commit per request: views and services never commit or roll back themselves.

The edge (portal/transaction.py) settles every request; views make refusable changes in
``transaction.savepoint()`` and the few requests that must commit early say why with
``transaction.commit_now("…")``. CLI commands (portal/commands.py, portal/demo.py) commit
themselves: they run outside requests.
"""
import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parent.parent / "portal"
VIEWS_AND_SERVICES = sorted([*PORTAL.glob("*/views.py"), *PORTAL.glob("*/services.py"), PORTAL / "web.py"])


def calls(path: Path, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every call ``<anything>.<name>(…)`` in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.lineno, node.func.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names]


@pytest.mark.parametrize("path", VIEWS_AND_SERVICES, ids=lambda p: str(p.relative_to(PORTAL)))
def test_no_commit_or_rollback_in_views_and_services(path):
    found = calls(path, {"commit", "rollback"})
    assert not found, f"{path.relative_to(PORTAL)} settles the transaction itself at lines {found}; " \
                      "the request's edge does (portal/transaction.py)"


def test_the_scan_finds_a_commit():
    """The check above would notice one (guards against a scan that finds nothing)."""
    sample = PORTAL.parent / "tests" / "conftest.py"
    assert calls(sample, {"commit"})


def test_every_early_commit_says_why():
    reasons = {}
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit_now":
                reason = node.args[0] if node.args else None
                assert isinstance(reason, ast.Constant) and isinstance(reason.value, str) and reason.value.strip(), \
                    f"{path.relative_to(PORTAL)}:{node.lineno}: commit_now needs its reason as a literal text"
                reasons[f"{path.relative_to(PORTAL)}:{node.lineno}"] = reason.value
    assert reasons, "the scan found no early commit at all"
