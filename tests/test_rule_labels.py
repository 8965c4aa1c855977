"""Every rule of the registry is tested by name: its label appears in the name of at least one test function."""

import ast
from pathlib import Path

from scheduler.rules import RULES

TESTS = Path(__file__).resolve().parent


def collect_test_names(root: Path = TESTS) -> set[str]:
    """The names of the test functions of every test file under ``root`` (read from the source, not imported)."""
    names = set()
    for path in sorted(root.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"))
    return names


def test_every_rule_label_names_a_test():
    names = collect_test_names()
    untested = [rule.label for rule in RULES if not any(rule.label in name for name in names)]
    assert untested == [], f"no test function named after: {', '.join(untested)}"


def test_the_label_scan_sees_test_functions(tmp_path):
    (tmp_path / "test_sample.py").write_text("def test_max_daily_hours_at_8h():\n    pass\n\n"
                                             "def helper_min_weekly_rest():\n    pass\n", encoding="utf-8")
    assert collect_test_names(tmp_path) == {"test_max_daily_hours_at_8h"}
