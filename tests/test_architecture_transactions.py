"""One commit per request: no module settles the transaction itself, views and services least of all.

The edge (portal/transaction.py) settles every request; views make refusable changes in
``transaction.savepoint()`` and the few requests that must commit early say why with
``transaction.commit_now("…")``. Outside requests, the CLI (portal/commands.py,
portal/demo.py) commits itself; the error handlers (portal/errors.py) roll back before they
render the error page.
"""
import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"
SETTLE_THEMSELVES = {"transaction.py", "errors.py", "commands.py", "demo.py"}
MODULES = sorted(path for path in PORTAL.rglob("*.py") if str(path.relative_to(PORTAL)) not in SETTLE_THEMSELVES)


def calls(path: Path, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every call ``<anything>.<name>(…)`` in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.lineno, node.func.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names]


def test_views_and_services_are_scanned():
    names = {str(path.relative_to(PORTAL)) for path in MODULES}
    assert {"inspections/views.py", "inspections/services.py", "finance/services.py", "web.py"} <= names


def test_no_commit_or_rollback_outside_the_edge():
    found = [f"{path.relative_to(PORTAL)}:{line} {name}()" for path in MODULES
             for line, name in calls(path, {"commit", "rollback"})]
    assert not found, "these settle the transaction themselves; the request's edge does " \
                      "(portal/transaction.py):\n" + "\n".join(found)


def test_the_scan_finds_a_commit():
    """The check above would notice one (guards against a scan that finds nothing)."""
    assert calls(PORTAL / "commands.py", {"commit"})


def test_every_early_commit_says_why():
    found = 0
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit_now":
                reason = node.args[0] if node.args else None
                assert isinstance(reason, ast.Constant) and isinstance(reason.value, str) and reason.value.strip(), \
                    f"{path.relative_to(PORTAL)}:{node.lineno}: commit_now needs its reason as a literal text"
                found += 1
    assert found, "the scan found no early commit at all"
