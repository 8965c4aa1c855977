"""House rules of the geographic layer: it logs rather than prints, and imports nothing above it."""

import ast
from pathlib import Path

GEO = Path(__file__).resolve().parents[2] / "geo"


def _trees():
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(GEO.glob("*.py"))}


def test_geo_modules_exist():
    assert {"units.py", "polygons.py", "adjacency.py", "travel.py", "export.py"} <= set(_trees())


def test_geo_never_prints():
    for name, tree in _trees().items():
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        ]
        assert not calls, name


def test_public_functions_and_classes_have_docstrings():
    for name, tree in _trees().items():
        for node in tree.body:
            kinds = (ast.FunctionDef,) if name == "units.py" else (ast.FunctionDef, ast.ClassDef)
            if isinstance(node, kinds) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{name}: {node.name}"
