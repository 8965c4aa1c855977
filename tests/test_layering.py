"""The import rules of the architecture, checked on the source files."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("raquan", "scheduler", "geo", "web")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_domain_model_imports_only_the_standard_library():
    stdlib = sys.stdlib_module_names | {"__future__"}
    imports = imported_modules(ROOT / "scheduler" / "model.py")
    assert imports, "the model imports at least dataclasses"
    assert {name.split(".")[0] for name in imports} <= stdlib, imports


def test_only_geo_imports_geopandas_and_shapely():
    for package in ("scheduler", "web"):
        for path in sources(package):
            roots = {name.split(".")[0] for name in imported_modules(path)}
            assert not roots & {"geopandas", "shapely", "pyogrio"}, path


def test_only_web_imports_flask():
    for package in ("scheduler", "geo"):
        for path in sources(package):
            roots = {name.split(".")[0] for name in imported_modules(path)}
            assert not any(root.startswith("flask") for root in roots), path


def test_geo_imports_nothing_of_the_layers_above():
    for path in sources("geo"):
        roots = {name.split(".")[0] for name in imported_modules(path)}
        assert not roots & {"scheduler", "web"}, path


def test_scheduler_imports_nothing_of_web_or_the_command_line():
    for path in sources("scheduler"):
        roots = {name.split(".")[0] for name in imported_modules(path)}
        assert not roots & {"web", "raquan"}, path


def test_only_the_solver_imports_ortools():
    """The campaign's solver, the Curtois–Qu benchmark's package (a solver of its own) and the dispatch
    simulator's package (its offline optimum) may import OR-Tools; nothing else may, the benchmark scripts
    beside those packages included."""
    allowed = (ROOT / "scheduler" / "solver", ROOT / "benchmarks" / "curtois", ROOT / "benchmarks" / "dispatch")
    checked = []
    for package in (*PACKAGES, "benchmarks"):
        for path in sources(package):
            if any(directory in path.parents for directory in allowed):
                continue
            checked.append(path)
            roots = {name.split(".")[0] for name in imported_modules(path)}
            assert "ortools" not in roots, path
    assert ROOT / "benchmarks" / "hanoi_solve.py" in checked
    assert ROOT / "benchmarks" / "dispatch_sim.py" in checked


def test_imports_check_sees_a_forbidden_import(tmp_path):
    """The checker itself: a file importing shapely is seen as importing shapely."""
    bad = tmp_path / "bad.py"
    bad.write_text("from shapely.geometry import Point\nimport flask\n", encoding="utf-8")
    assert imported_modules(bad) == {"shapely.geometry", "flask"}


def test_only_the_routing_module_and_the_benchmarks_import_pyvrp():
    """PyVRP stays behind scheduler/routing.py: no other library, web or command-line module imports it."""
    allowed = ROOT / "scheduler" / "routing.py"
    importers = []
    for package in PACKAGES:
        for path in sources(package):
            roots = {name.split(".")[0] for name in imported_modules(path)}
            if "pyvrp" in roots:
                importers.append(path)
    assert importers == [allowed]


def test_only_the_runners_import_dask():
    """Dask stays behind scheduler/runners.py: the pipeline, the command line and the web app hand it their tasks
    through a runner and never import it themselves."""
    allowed = ROOT / "scheduler" / "runners.py"
    importers = []
    for package in PACKAGES:
        for path in sources(package):
            roots = {name.split(".")[0] for name in imported_modules(path)}
            if roots & {"dask", "distributed"}:
                importers.append(path)
    assert importers == [allowed]
