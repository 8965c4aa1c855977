"""What a new roster changes against the one people were told about.

:func:`roster_changes` compares two rosters assignment by assignment. A person who
loses a slot and gains another on the same date has *moved*; the rest are added or
removed. The figures are what a repair minimises and what a coordinator reads before
publishing: changed assignments, people touched, and a plain summary.
:func:`changes_outside` is the check that a repair kept its promise: nothing that has
started moved, and nothing outside the part it was allowed to change.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from scheduler.clock import is_history
from scheduler.model import Assignment, Campaign


def _key(a: Assignment) -> tuple:
    return (a.person_id, a.date, a.ward_code, a.shift_id or "", a.mobile_point_id or "", a.need_index or 0)


@dataclass(frozen=True)
class RosterChanges:
    """The assignments a new roster adds and removes against an old one."""

    added: tuple[Assignment, ...]
    removed: tuple[Assignment, ...]

    @property
    def changed(self) -> int:
        """Changed assignments: each added or removed one counts once."""
        return len(self.added) + len(self.removed)

    @property
    def people(self) -> set[str]:
        """Everyone who gains or loses an assignment."""
        return {a.person_id for a in self.added} | {a.person_id for a in self.removed}

    def moves(self) -> list[tuple[Assignment, Assignment]]:
        """(removed, added) pairs of one person on one date: the person moved to another slot."""
        gained = defaultdict(list)
        for a in self.added:
            gained[(a.person_id, a.date)].append(a)
        pairs = []
        for a in self.removed:
            taken = gained.get((a.person_id, a.date))
            if taken:
                pairs.append((a, taken.pop(0)))
        return pairs

    def by_person(self) -> dict[str, tuple[list[Assignment], list[Assignment]]]:
        """Person id -> (added, removed)."""
        result: dict[str, tuple[list[Assignment], list[Assignment]]] = defaultdict(lambda: ([], []))
        for a in self.added:
            result[a.person_id][0].append(a)
        for a in self.removed:
            result[a.person_id][1].append(a)
        return dict(result)

    def counts(self) -> dict[str, int]:
        """People who only gain shifts, who move or both gain and lose, who only lose shifts."""
        gained, lost, moved = 0, 0, 0
        for added, removed in self.by_person().values():
            if added and removed:
                moved += 1
            elif added:
                gained += 1
            else:
                lost += 1
        return {"added": gained, "moved": moved, "removed": lost}

    def summary_vi(self, unfilled: int | None = None) -> str:
        """For example "12 người thêm ca, 3 người đổi ca, 1 người bớt ca, còn 0 ca thiếu người"."""
        counts = self.counts()
        parts = [f"{counts['added']} người thêm ca", f"{counts['moved']} người đổi ca"]
        if counts["removed"]:
            parts.append(f"{counts['removed']} người bớt ca")
        if unfilled is not None:
            parts.append(f"còn {unfilled} ca thiếu người")
        return ", ".join(parts)

    def by_ward_and_date(self) -> dict[tuple[str, date], tuple[list[Assignment], list[Assignment]]]:
        """(ward code, date) -> (added, removed), in ward and date order."""
        result: dict = defaultdict(lambda: ([], []))
        for a in self.added:
            result[(a.ward_code, a.date)][0].append(a)
        for a in self.removed:
            result[(a.ward_code, a.date)][1].append(a)
        return dict(sorted(result.items()))


def roster_changes(before, after) -> RosterChanges:
    """The changes from the assignments ``before`` to ``after`` (duplicates count as often as they occur)."""
    old = Counter(_key(a) for a in before)
    new = Counter(_key(a) for a in after)
    added_keys, removed_keys = new - old, old - new
    added, removed = [], []
    for a in after:
        if added_keys[_key(a)] > 0:
            added_keys[_key(a)] -= 1
            added.append(a)
    for a in before:
        if removed_keys[_key(a)] > 0:
            removed_keys[_key(a)] -= 1
            removed.append(a)
    order = lambda a: (a.date, a.ward_code, a.shift_id or a.mobile_point_id or "", a.person_id)  # noqa: E731
    return RosterChanges(tuple(sorted(added, key=order)), tuple(sorted(removed, key=order)))


def changes_outside(
    campaign: Campaign,
    changes: RosterChanges,
    now: datetime,
    allowed: set[tuple[str, date]] | None = None,
) -> list[str]:
    """The changes a repair was not allowed to make, in words (empty when it kept its promise).

    A change to a slot that has started by ``now`` is never allowed; with ``allowed`` (the
    (ward, date) pairs the repair was given), neither is one anywhere else.
    """
    problems = []
    for verb, group in (("thêm", changes.added), ("bỏ", changes.removed)):
        for a in group:
            slot = f"{a.person_id} {a.date.isoformat()} {a.shift_id or a.mobile_point_id} tại {a.ward_code}"
            if is_history(campaign, a, now):
                problems.append(f"{verb} {slot}: ca đã bắt đầu trước {now.isoformat(' ', 'minutes')}")
            elif allowed is not None and (a.ward_code, a.date) not in allowed:
                problems.append(f"{verb} {slot}: ngoài phần được sửa (xã, phường và ngày)")
    return problems
