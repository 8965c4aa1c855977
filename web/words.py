"""The coordinator's words for what the solver and the data files call by their own names.

A solve's status (``OPTIMAL``, ``FEASIBLE``, ``FAILED``) and the objective's terms (``unfilled``,
``travel_minutes``, ...) are shown as what they mean for the campaign; templates reach them through the globals
:func:`install` registers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from flask_babel import lazy_gettext as _l

# What a stored version's solve status means to the coordinator.
SOLVE_STATUS_WORDS = {
    "OPTIMAL": _l("Tốt nhất có thể (đã chứng minh)"),
    "FEASIBLE": _l("Đạt mọi quy tắc bắt buộc; có thể còn cải thiện"),
    "FAILED": _l("Không lập được lịch đúng quy tắc"),
}

# The objective's terms: what each counts, in the coordinator's words (SoftWeights field order).
OBJECTIVE_TERM_WORDS = {
    "unfilled": _l("Người-ca còn thiếu so với quy tắc bắt buộc"),
    "travel_minutes": _l("Phút đi lại từ xã, phường nơi ở đến nơi trực (cộng mọi phân công)"),
    "continuity": _l("Lần một người phải trực thêm ở xã, phường khác"),
    "school_together": _l("Trường bị tách: sinh viên thêm trường ở cùng một xã, phường"),
    "fair_spread": _l("Ca đêm quá 2 hay ca cuối tuần quá 1 của một người trong tuần"),
    "preferences": _l("Phân công ngoài xã, phường người đó chọn"),
    "peak_students": _l("Người tăng cường còn thiếu trong ngày cao điểm"),
}


def solve_status_label(status: str | None) -> str:
    """The solve status in words (the raw status for one this module does not know, ``—`` for none)."""
    if not status:
        return "—"
    return str(SOLVE_STATUS_WORDS.get(status, status))


@dataclass(frozen=True)
class ObjectivePart:
    """One term of the objective: what it counts, how many, its weight and the points it adds."""

    name: str
    label: str
    count: int
    weight: int
    points: int


def objective_parts(terms: dict[str, int] | None, weights) -> list[ObjectivePart]:
    """The objective as its parts, largest points first; ``weights`` is the campaign's ``SoftWeights``."""
    if not terms:
        return []
    weight_of = {field.name: getattr(weights, field.name) for field in fields(weights)}
    parts = [
        ObjectivePart(
            name,
            str(OBJECTIVE_TERM_WORDS.get(name, name)),
            count,
            weight_of.get(name, 0),
            weight_of.get(name, 0) * count,
        )
        for name, count in terms.items()
    ]
    return sorted(parts, key=lambda part: (-part.points, part.name))


def install(app) -> None:
    """The templates' globals: ``solve_status_label``, ``objective_parts``."""
    app.jinja_env.globals["solve_status_label"] = solve_status_label
    app.jinja_env.globals["objective_parts"] = objective_parts
