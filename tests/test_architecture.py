"""The shape holds: the import contract (pyproject ``[tool.importlinter]``, docs/ARCHITECTURE.md)
is kept, and no module imports inside a function body outside the app factory and the CLI."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
# The app factory wires features together and the CLI loads what a command needs: only there
# may an import sit inside a function.
INNER_IMPORTS_ALLOWED = {PORTAL / "__init__.py", PORTAL / "commands.py"}


def test_the_import_contracts_are_kept():
    """Layers, forbidden imports and no cycles, checked by import-linter from this repository."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.fail(f"import-linter is not installed next to {sys.executable} (pip install -e '.[test]')")
    result = subprocess.run([str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def inner_imports(source: str) -> list[tuple[int, str]]:
    """(line, statement) of every import inside a function (or lambda) body of ``source``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    found.add((inner.lineno, ast.unparse(inner)))
    return sorted(found)


def test_inner_imports_are_found_in_functions_and_methods_only():
    source = ("import os\n"
              "def f():\n    import json\n"
              "class C:\n    from typing import Any\n    def m(self):\n        from sys import path\n")
    assert inner_imports(source) == [(3, "import json"), (7, "from sys import path")]


def test_no_import_inside_a_function_body_outside_the_app_factory_and_cli():
    """An import in a function hides a dependency (often a cycle) from readers and from the contract."""
    offenders = [f"{path.relative_to(ROOT)}:{line}: {statement}"
                 for path in sorted(PORTAL.rglob("*.py")) if path not in INNER_IMPORTS_ALLOWED
                 for line, statement in inner_imports(path.read_text(encoding="utf-8"))]
    assert offenders == [], "move these imports to the top of their module:\n" + "\n".join(offenders)
