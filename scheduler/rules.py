"""The campaign's rules: one stable label each. This registry is their table of contents.

Hard rules are never broken by a roster: the people rules are checked as
violations; the coverage rules, when supply cannot meet them, become named
"unfilled" slots weighted heavily in the objective (shortfall is data). Soft
rules are the weighted terms of the objective (``SoftWeights``). The exact
definitions, shared by the solver and the independent checker, are in
docs/rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    label: str
    kind: str  # "coverage" (hard, may be unfilled), "people" (hard, never broken) or "soft"
    name_vi: str
    source: str


RULES = (
    # Coverage: hard; a slot supply cannot fill becomes an Unfilled record.
    Rule("min_support_staff", "coverage", "tối thiểu 02 nhân sự hỗ trợ mỗi ca", "Chỉ thị 11/CT-UBND, II.3"),
    Rule("telecom_presence", "coverage", "tối thiểu 01 nhân sự viễn thông mỗi ngày", "Chỉ thị 11/CT-UBND, III.8"),
    Rule("oncall_24_7", "coverage", "kỹ thuật viên túc trực 24/7", "Chỉ thị 11/CT-UBND, III.5"),
    Rule("mobile_point_staffing", "coverage", "đủ nhân sự cho điểm lưu động", "Chỉ thị 11/CT-UBND, II.4"),
    # People: hard; a roster that breaks one is wrong.
    Rule("availability", "people", "chỉ xếp vào ngày và ca đã đăng ký", "CAMPAIGN.md"),
    Rule("eligibility", "people", "đúng nhóm, kỹ năng và phạm vi di chuyển", "CAMPAIGN.md"),
    Rule("night_eligibility", "people", "trực đêm chỉ người được phép", "Bộ luật Lao động 2019, Điều 106"),
    Rule("one_place_at_a_time", "people", "không ở hai nơi cùng lúc", "CAMPAIGN.md"),
    Rule("max_daily_hours", "people", "tối đa 8 giờ mỗi ngày", "Bộ luật Lao động 2019, Điều 105"),
    Rule(
        "max_weekly_hours",
        "people",
        "tối đa 48 giờ mỗi tuần, sinh viên theo mức trần",
        "Bộ luật Lao động 2019, Điều 105",
    ),
    Rule(
        "min_rest_between_shifts",
        "people",
        "nghỉ ít nhất 12 giờ giữa hai ngày làm việc",
        "Bộ luật Lao động 2019, Điều 109",
    ),
    Rule("min_weekly_rest", "people", "nghỉ ít nhất 24 giờ liên tục mỗi tuần", "Bộ luật Lao động 2019, Điều 111"),
    Rule("one_ward_per_student", "people", "mỗi sinh viên chỉ hỗ trợ một xã/phường", "Thành đoàn (CAMPAIGN.md)"),
    Rule("pinned", "people", "giữ nguyên phân công đã ghim", "Thành đoàn"),
    # Soft: weighted terms of the objective.
    Rule("travel_minutes", "soft", "quãng đường di chuyển ngắn", "CAMPAIGN.md"),
    Rule("continuity", "soft", "cùng người ở cùng xã/phường", "CAMPAIGN.md"),
    Rule("school_together", "soft", "sinh viên cùng trường làm cùng nhau", "CAMPAIGN.md"),
    Rule("fair_spread", "soft", "chia đều ca đêm và cuối tuần", "CAMPAIGN.md"),
    Rule("preferences", "soft", "tôn trọng nguyện vọng", "CAMPAIGN.md"),
    Rule("peak_students", "soft", "tăng cường sinh viên ngày cao điểm", "Chỉ thị 11/CT-UBND, II.3"),
)

RULES_BY_LABEL = {rule.label: rule for rule in RULES}
COVERAGE_RULES = tuple(r.label for r in RULES if r.kind == "coverage")
PEOPLE_RULES = tuple(r.label for r in RULES if r.kind == "people")
