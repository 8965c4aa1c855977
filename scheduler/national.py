"""The national summary of a solve of many provinces: coverage and unfilled slots by rule, per province and in all.

:func:`national_summary` reads a :class:`~scheduler.pipeline.ManyResult` (each province's result was checked by
the independent checker in its closing task) and lists the provinces worst first: those that failed, then by
coverage from the lowest. :func:`summary_lines` is the text the command line prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from scheduler.model import Campaign
from scheduler.pipeline import ManyResult
from scheduler.problems import number_vi


def _percent_vi(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "%"


@dataclass(frozen=True)
class ProvinceLine:
    """One province's figures (``failure`` set and the figures zero when it has no roster)."""

    key: str
    name: str
    wards: int
    people: int
    asked: int = 0
    filled: int = 0
    unfilled_by_rule: dict[str, int] = field(default_factory=dict)
    violations: int = 0
    assignments: int = 0
    failure: str | None = None

    @property
    def coverage_percent(self) -> float:
        return 100.0 * self.filled / self.asked if self.asked else 0.0

    @property
    def verified(self) -> bool:
        """Solved, and the independent checker found no broken rule."""
        return self.failure is None and self.violations == 0


@dataclass(frozen=True)
class NationalSummary:
    provinces: tuple[ProvinceLine, ...]  # worst first
    asked: int
    filled: int
    unfilled_by_rule: dict[str, int]
    violations: int

    @property
    def coverage_percent(self) -> float:
        return 100.0 * self.filled / self.asked if self.asked else 0.0

    @property
    def verified(self) -> int:
        return sum(1 for line in self.provinces if line.verified)


def national_summary(
    campaigns: Mapping[str, Campaign], result: ManyResult, not_loaded: Mapping[str, str] | None = None
) -> NationalSummary:
    """The figures of every province of ``campaigns`` (and of those that did not load, with their reason)."""
    lines = []
    for key, campaign in campaigns.items():
        name = campaign.province
        if key in result.results:
            report = result.results[key].report
            lines.append(
                ProvinceLine(
                    key,
                    name,
                    len(campaign.wards),
                    len(campaign.people),
                    report.asked,
                    report.filled,
                    dict(report.missing_by_rule()),
                    len(report.violations),
                    len(result.results[key].roster.assignments),
                )
            )
        else:
            reason = result.failed.get(key, "không có kết quả")
            lines.append(ProvinceLine(key, name, len(campaign.wards), len(campaign.people), failure=reason))
    for key, reason in (not_loaded or {}).items():
        lines.append(ProvinceLine(key, key, 0, 0, failure=reason))
    lines.sort(key=lambda line: (line.failure is None, line.coverage_percent, line.key))
    unfilled: Counter[str] = Counter()
    for line in lines:
        unfilled.update(line.unfilled_by_rule)
    return NationalSummary(
        tuple(lines),
        sum(line.asked for line in lines),
        sum(line.filled for line in lines),
        dict(unfilled.most_common()),
        sum(line.violations for line in lines),
    )


def summary_lines(summary: NationalSummary) -> list[str]:
    """The summary in Vietnamese, a line per province (worst first) after the national totals."""
    by_rule = ", ".join(f"{rule} {number_vi(n)}" for rule, n in summary.unfilled_by_rule.items()) or "không"
    lines = [
        f"Cả nước: {len(summary.provinces)} tỉnh, thành phố; {summary.verified} đã xếp và kiểm tra không vi phạm",
        f"Phủ: {_percent_vi(summary.coverage_percent)} ({number_vi(summary.filled)}/{number_vi(summary.asked)} lượt người)",
        f"Chỗ trống theo quy tắc: {by_rule}",
        f"Vi phạm quy tắc cứng: {summary.violations}",
        "Theo tỉnh (kém nhất trước):",
    ]
    for line in summary.provinces:
        if line.failure is not None:
            lines.append(f"  {line.key}: THẤT BẠI — {line.failure}")
            continue
        gaps = sum(line.unfilled_by_rule.values())
        lines.append(
            f"  {line.key}: phủ {_percent_vi(line.coverage_percent)}, {number_vi(gaps)} chỗ trống, {line.violations} "
            f"vi phạm ({line.wards} xã/phường, {number_vi(line.people)} người)"
        )
    return lines
