"""The gaps a coordinator acts on: a version's unfilled slots grouped by ward and day, filtered by rule, pool
and date, each with what is missing, why (the explanation's cause), the suggested change and links to the
pages where that change is made.

The explanation and the suggestion are :mod:`scheduler.explain`'s sentences as stored with the version; the
kind of change is read from the suggestion's first words, which :mod:`scheduler.explain` writes in one of five
forms ("xếp …", "giao thêm …", "cho phép … trực thêm …", "nới giới hạn …", "thêm …"). The pool a gap needs is
:func:`scheduler.candidates.seat_of`'s, the same one the repair's ranked list uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from scheduler.candidates import seat_of
from scheduler.model import Campaign
from web.models import RosterVersion, UnfilledRow

# The pool filter's value for a gap any pool can fill (support staff of a shift).
ANY_POOL = "any"

FIX_PLACE = "place"  # a free person can take the slot
FIX_WIDEN = "widen"  # a technician on duty nearby can answer for the ward too
FIX_CAP = "cap"  # a person held back only by their weekly cap
FIX_LIMIT = "limit"  # the night response limit is too short
FIX_PEOPLE = "people"  # nobody can: more people are needed
_FIX_PREFIXES = (
    ("xếp ", FIX_PLACE),
    ("giao thêm ", FIX_WIDEN),
    ("cho phép ", FIX_CAP),
    ("nới ", FIX_LIMIT),
    ("thêm ", FIX_PEOPLE),
)
_CAPPED_PERSON = re.compile(r"\(([^()\s]+)\) trực thêm")


@dataclass
class GapItem:
    """One unfilled slot as the list shows it."""

    row: UnfilledRow
    slot: str
    rule: str
    pool: str  # the pool it needs, or ANY_POOL
    short_text: str = ""  # "thiếu 1 nhân sự hỗ trợ", in the reader's language
    cause: str = ""  # why nobody is there, in words ("" when the explanation gives none)
    suggestion: str = ""
    fix: str = ""  # one of the FIX_* kinds, or ""
    actions: list[tuple[str, str]] = field(default_factory=list)  # (label, url) where the fix is made


@dataclass
class DayGroup:
    day: date
    label: str
    items: list[GapItem]

    @property
    def missing(self) -> int:
        return sum(item.row.missing for item in self.items)


@dataclass
class WardGroup:
    code: str
    name: str
    days: list[DayGroup]

    @property
    def count(self) -> int:
        return sum(len(group.items) for group in self.days)

    @property
    def missing(self) -> int:
        return sum(group.missing for group in self.days)


@dataclass
class Filters:
    """The list's filters from the query string (an unknown value is ignored)."""

    ward: str | None = None
    rule: str | None = None
    pool: str | None = None
    day: date | None = None

    @property
    def active(self) -> bool:
        return any((self.ward, self.rule, self.pool, self.day))


def reader_language() -> str:
    """ "vi" or "en": the language the page is read in."""
    return "en" if str(get_locale() or "vi").startswith("en") else "vi"


def day_text(day: date) -> str:
    """The weekday and date in the reader's language: "Thứ Năm 24/07/2025", "Thursday 24/07/2025"."""
    return format_date(day, "EEEE dd/MM/yyyy")


def gap_pool(campaign: Campaign, row: UnfilledRow) -> str:
    """The pool a gap needs (``student``, ``telecom``, ``technician``), or :data:`ANY_POOL`."""
    from web.store import unfilled_of

    gap = unfilled_of(row.rule, row.ward_code, row.date, row.shift_id, row.missing, row.mobile_point_id, row.need)
    try:
        _seat, pool = seat_of(campaign, gap)
    except (KeyError, IndexError):
        return ANY_POOL
    return pool.value if pool is not None else ANY_POOL


def fix_kind(suggestion: str) -> str:
    """The kind of change a (Vietnamese) suggestion asks for (one of the ``FIX_*``), or "" when it is none: for
    gaps stored before the explainer gave its kind (``UnfilledRow.suggestion_kind``)."""
    for prefix, kind in _FIX_PREFIXES:
        if suggestion.startswith(prefix):
            return kind
    return ""


def split_explanation(text: str) -> tuple[str, str]:
    """(what is missing, why) of an explanation "<ward>, <day>, <slot>: thiếu 1 … — <why>" (or in English)."""
    head, _dash, cause = text.partition(" — ")
    what = head.rsplit(": ", 1)[-1] if ": " in head else head
    return _capitalised(what), _capitalised(cause)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class FixPlaces:
    """Where a version's fixes are made: a repair draft's empty seat, the repairs page, or a new solve.

    The links every gap of a kind shares are made once; a page's gaps get theirs from :meth:`attach`.
    """

    def __init__(self, version_id: int, repair_draft: bool, latest_published: bool):
        self.version_id = version_id
        self.repair_draft = repair_draft  # a draft of kind repair: its empty seats take a person from the ranked list
        self.latest_published = latest_published  # the roster in force: repaired from "Sửa lịch"
        if latest_published:
            self.place = (_("Sửa lịch đang áp dụng"), url_for("coordinator.repairs"))
        else:
            self.place = (_("Xếp lịch lại"), url_for("coordinator.generate"))
        self.cap = (
            _("Đổi mức trần giờ của sinh viên"),
            url_for("coordinator.rules", _anchor="student_weekly_cap_hours"),
        )
        self.limit = (
            _("Đổi thời gian ứng cứu ban đêm"),
            url_for("coordinator.rules", _anchor="night_response_limit_minutes"),
        )
        self.people = (_("Nhập thêm người"), url_for("coordinator.import_data"))
        self.students = (_("Thành đoàn xếp sinh viên"), url_for("youth.students"))
        self.ward_day_label = _("Xem ngày này ở xã, phường")
        self.seat_label = _("Chọn người cho chỗ này")
        self.person_label = _("Xem người này")
        self._ward_urls: dict[str, str] = {}

    @classmethod
    def of(cls, record: RosterVersion, latest_published: RosterVersion | None) -> FixPlaces:
        from web.models import db
        from web.repairs import Repair

        repair_draft = record.status == "draft" and db.session.get(Repair, record.id) is not None
        latest = latest_published is not None and latest_published.id == record.id
        return cls(record.id, repair_draft, latest)

    def ward_day(self, row: UnfilledRow) -> tuple[str, str]:
        """The ward's page at the gap's day."""
        if row.ward_code not in self._ward_urls:
            self._ward_urls[row.ward_code] = url_for(
                "coordinator.ward", version_id=self.version_id, ward_code=row.ward_code
            )
        day = row.date.isoformat()
        return self.ward_day_label, f"{self._ward_urls[row.ward_code]}?ngay={day}#d{day}"

    def seat(self, row: UnfilledRow) -> tuple[str, str]:
        """Where a person is put on the slot."""
        if not self.repair_draft:
            return self.place
        from web.repairs import gap_key
        from web.store import unfilled_of

        gap = unfilled_of(row.rule, row.ward_code, row.date, row.shift_id, row.missing, row.mobile_point_id, row.need)
        return self.seat_label, url_for("coordinator.repair_seat", version_id=self.version_id, gap=gap_key(gap))

    def actions(self, item: GapItem) -> list[tuple[str, str]]:
        """The links of one gap: its fix's page first, then the ward's day."""
        row, found = item.row, []
        if item.fix in (FIX_PLACE, FIX_WIDEN):
            found.append(self.seat(row))
        elif item.fix == FIX_CAP:
            match = _CAPPED_PERSON.search(row.suggestion or "")
            person_id = row.suggestion_person_id or (match.group(1) if match else "")
            if person_id:
                found.append((self.person_label, url_for("coordinator.person", person_id=person_id)))
            found.append(self.cap)
        elif item.fix == FIX_LIMIT:
            found.append(self.limit)
        elif item.fix == FIX_PEOPLE:
            found.append(self.people)
            if item.pool == "student":
                found.append(self.students)
        found.append(self.ward_day(row))
        return found

    def attach(self, items: Iterable[GapItem]) -> None:
        """Give each gap its words in the reader's language, the kind of its fix and its links (only the gaps
        a page shows need them)."""
        lang = reader_language()
        for item in items:
            row = item.row
            item.short_text, item.cause = split_explanation(row.explanation_in(lang))
            item.suggestion = _capitalised(row.suggestion_in(lang))
            item.fix = row.suggestion_kind or fix_kind(row.suggestion or "")  # the words for gaps stored before
            item.actions = self.actions(item)


def gap_items(
    campaign: Campaign,
    rows: Iterable[UnfilledRow],
    slot_name: Callable[[UnfilledRow], str],
    rule_label: Callable[[str], str],
) -> list[GapItem]:
    """Each stored gap with its slot, rule and pool, to filter and group; the words and links of the gaps a page
    shows come from :meth:`FixPlaces.attach`."""
    rules: dict[str, str] = {}
    slots: dict[tuple, str] = {}
    pools: dict[tuple, str] = {}  # the pool depends on the slot, and for telecom presence on the ward's shifts
    items = []
    for row in rows:
        if row.rule not in rules:
            rules[row.rule] = rule_label(row.rule)
        slot_key = (row.shift_id, row.mobile_point_id)
        if slot_key not in slots:
            slots[slot_key] = slot_name(row)
        pool_key = (
            row.rule,
            row.shift_id,
            row.mobile_point_id,
            row.need,
            row.ward_code if row.shift_id is None else "",
        )
        if pool_key not in pools:
            pools[pool_key] = gap_pool(campaign, row)
        items.append(GapItem(row=row, slot=slots[slot_key], rule=rules[row.rule], pool=pools[pool_key]))
    return items


def item_words() -> dict[str, str]:
    """The words each listed gap repeats, translated once per page."""
    return {"open": _("Còn trống"), "why": _("Vì sao:"), "fix": _("Đề xuất:")}


def filtered(items: list[GapItem], filters: Filters) -> list[GapItem]:
    return [
        item
        for item in items
        if (filters.ward is None or item.row.ward_code == filters.ward)
        and (filters.rule is None or item.row.rule == filters.rule)
        and (filters.pool is None or item.pool == filters.pool)
        and (filters.day is None or item.row.date == filters.day)
    ]


def grouped(items: list[GapItem], ward_name: Callable[[str], str], order: dict[str, int]) -> list[WardGroup]:
    """The gaps by ward (most people missing first, then the campaign's order), each ward's by day and slot."""
    by_ward: dict[str, dict[date, list[GapItem]]] = {}
    for item in items:
        by_ward.setdefault(item.row.ward_code, {}).setdefault(item.row.date, []).append(item)
    groups = [
        WardGroup(
            code,
            ward_name(code),
            [DayGroup(day, day_text(day), days[day]) for day in sorted(days)],
        )
        for code, days in by_ward.items()
    ]
    groups.sort(key=lambda group: (-group.missing, order.get(group.code, len(order)), group.code))
    return groups
