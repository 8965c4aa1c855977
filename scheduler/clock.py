"""The campaign's clock: what "now" is, in Hanoi's local time.

Shifts are planned in local wall-clock time (Asia/Ho_Chi_Minh, UTC+7, no daylight
saving), so "now" is a naive local :class:`~datetime.datetime` everywhere in the
scheduler. It is the real time unless ``RAQUAN_NOW`` (or a command's ``--now``)
fixes it, for tests, replays and the demo.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.model import Assignment, Campaign
from scheduler.timeline import slot_minutes

TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
TIMEZONE = ZoneInfo(TIMEZONE_NAME)
NOW_VARIABLE = "RAQUAN_NOW"


def parse_now(text: str) -> datetime:
    """An ISO date or date-time as local time; one with an offset is converted to Hanoi's time.

    Raises ValueError with the text when it is not a date or time.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO date or time (for example 2025-08-01T09:30)") from None
    if value.tzinfo is not None:
        value = value.astimezone(TIMEZONE).replace(tzinfo=None)
    return value


def now(fixed: str | datetime | None = None) -> datetime:
    """The campaign's "now": ``fixed`` when given, else ``RAQUAN_NOW``, else the real local time."""
    if isinstance(fixed, datetime):
        return fixed
    text = fixed or os.environ.get(NOW_VARIABLE)
    if text:
        return parse_now(text)
    return datetime.now(TIMEZONE).replace(tzinfo=None, microsecond=0)


def slot_start(campaign: Campaign, assignment: Assignment) -> datetime:
    """When an assignment starts, in local time."""
    start_minute, _ = slot_minutes(campaign, assignment)
    return datetime.combine(assignment.date, datetime.min.time()) + timedelta(minutes=start_minute)


def slot_end(campaign: Campaign, assignment: Assignment) -> datetime:
    """When an assignment ends, in local time (the next day for a shift past midnight)."""
    _, end_minute = slot_minutes(campaign, assignment)
    return datetime.combine(assignment.date, datetime.min.time()) + timedelta(minutes=end_minute)


def is_history(campaign: Campaign, assignment: Assignment, at: datetime) -> bool:
    """A slot that has started (or ended) by ``at`` is history: no repair or re-solve changes it."""
    return slot_start(campaign, assignment) <= at
