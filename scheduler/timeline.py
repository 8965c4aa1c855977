"""Time arithmetic shared by the solver and the checker: absolute minutes, nights, weeks.

An assignment's interval is in whole minutes from midnight of the campaign's
first day, so intervals of different days compare directly.
"""

from __future__ import annotations

from datetime import date

from scheduler.model import MINUTES_PER_DAY, Assignment, Campaign, night_overlap_minutes


def day_offset_minutes(campaign: Campaign, day: date) -> int:
    """Minutes from the campaign's first midnight to midnight of ``day``."""
    return (day - campaign.start_date).days * MINUTES_PER_DAY


def slot_minutes(campaign: Campaign, assignment: Assignment) -> tuple[int, int]:
    """The (start_minute, end_minute) of an assignment within its own day (end may pass 1440)."""
    if assignment.shift_id is not None:
        shift = campaign.shift(assignment.shift_id)
        return shift.start_minute, shift.end_minute
    assert assignment.mobile_point_id is not None  # an assignment names a shift or a mobile point
    point = campaign.mobile_point(assignment.mobile_point_id)
    return point.start_minute, point.end_minute


def interval(campaign: Campaign, assignment: Assignment) -> tuple[int, int]:
    """The assignment's [start, end) in absolute campaign minutes."""
    start, end = slot_minutes(campaign, assignment)
    offset = day_offset_minutes(campaign, assignment.date)
    return offset + start, offset + end


def work_minutes(campaign: Campaign, assignment: Assignment) -> int:
    start, end = slot_minutes(campaign, assignment)
    return end - start


def night_minutes(campaign: Campaign, start_minute: int, end_minute: int) -> int:
    """Minutes of a same-day slot [start, end) inside the night window (22:00-06:00 by default)."""
    rules = campaign.rules
    return night_overlap_minutes(start_minute, end_minute, rules.night_start_minute, rules.night_end_minute)


def is_night(campaign: Campaign, assignment: Assignment) -> bool:
    """Whether any minute of the assignment falls in the night window."""
    return night_minutes(campaign, *slot_minutes(campaign, assignment)) > 0


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def full_weeks(campaign: Campaign) -> range:
    """Indexes of the campaign's complete 7-day blocks (45 days: blocks 0-5)."""
    return range(campaign.days // 7)
