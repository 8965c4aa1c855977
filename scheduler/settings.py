"""How a campaign is solved: a validated dataclass, loadable from ``[solver]`` in campaign.toml.

Every caller (the command line, the web app's jobs, the benchmarks) builds one of
these and hands it to :func:`scheduler.pipeline.solve`; no caller keeps its own
solver flags.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

# [solver] key -> (field, kind, minimum, maximum)
SOLVER_KEYS: dict[str, tuple[type, float, float]] = {
    "time_limit_seconds": (float, 0.5, 24 * 3600),
    "processes": (int, 1, 64),
    "cp_sat_workers": (int, 1, 64),
    "seed": (int, 0, 2**31 - 1),
    "repair": (bool, 0, 1),
    "fill_gaps": (bool, 0, 1),
    "max_cluster_size": (int, 1, 50),
}


@dataclass(frozen=True)
class SolveSettings:
    """The solve's settings.

    Attributes
    ----------
    time_limit_seconds
        The whole solve, checking and explaining included, ends by then.
    processes
        Cluster models solved at once, each in its own process.
    cp_sat_workers
        CP-SAT's search workers inside each cluster model.
    seed
        The random seed of the greedy starts and of CP-SAT.
    repair
        Solve short clusters again with the nearest idle people of the pools they lack.
    fill_gaps
        Close leftover gaps with anyone free in the city, then apply every fix the explanations name.
    max_cluster_size
        Most wards in one cluster (one on-call post, one model).
    """

    time_limit_seconds: float = 30.0
    processes: int = 2
    cp_sat_workers: int = 1
    seed: int = 0
    repair: bool = True
    fill_gaps: bool = True
    max_cluster_size: int = 4

    def __post_init__(self) -> None:
        for name, (kind, low, high) in SOLVER_KEYS.items():
            value = getattr(self, name)
            if kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"solver.{name} must be true or false")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
                raise ValueError(f"solver.{name} must be a {'whole ' if kind is int else ''}number")
            if not low <= value <= high:
                raise ValueError(f"solver.{name} must be between {low:g} and {high:g}")

    def with_changes(self, **changes: Any) -> SolveSettings:
        """A copy with the given fields changed (None values are ignored), validated again."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_from_table(table: Any) -> tuple[SolveSettings, list[tuple[str, str]]]:
    """``[solver]`` of campaign.toml as settings, and the problems found as (key, message) pairs.

    Unknown keys and bad values are problems; the other keys keep their defaults.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(table, dict):
        return SolveSettings(), [("solver", "'solver' phải là một bảng [solver]")]
    values: dict[str, Any] = {}
    names = {f.name for f in fields(SolveSettings)}
    for key, value in table.items():
        if key not in names:
            problems.append(
                (f"solver.{key}", f"khoá không được hỗ trợ '{key}'; các khoá của [solver]: {', '.join(SOLVER_KEYS)}")
            )
            continue
        try:
            SolveSettings(**{key: value})
        except (ValueError, TypeError) as error:
            problems.append((f"solver.{key}", str(error)))
            continue
        values[key] = value
    return SolveSettings(**values), problems
