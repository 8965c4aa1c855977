"""Fill the gaps the cluster solves left, with anyone in the city who is free.

Cluster models only see the people allocated to their cluster. After they are
solved, an unfilled slot may still have someone elsewhere who could take it
without breaking any people rule. This pass walks the gaps in date order and
adds the nearest such person whom the people's calendar
(:mod:`scheduler.calendar`) lets take it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from dataclasses import replace

from scheduler.calendar import Calendar, need_matches
from scheduler.model import Assignment, Campaign, Person, Pool, ShiftKind

logger = logging.getLogger(__name__)


class GapFiller:
    """The roster's calendar, and the assignments added to it."""

    def __init__(self, campaign: Campaign, assignments, travel: Callable[[str, str], int]):
        self.campaign = campaign
        self.travel = travel
        self.calendar = Calendar(campaign, assignments, travel)
        self.added: list[Assignment] = []
        self._nearest: dict[tuple, list[Person]] = {}  # (ward, candidate list) -> the list, nearest first

    def add(self, assignment: Assignment) -> None:
        self.calendar.add(assignment)
        self.added.append(assignment)

    def try_fill(self, candidates, template: Assignment, ward: str, missing: int, group: Hashable) -> int:
        """Add up to ``missing`` of the nearest candidates who fit ``template`` (its person set to each
        candidate in turn); returns how many were added. ``group`` names the candidates (the same name,
        the same people), so that their order by distance to a ward is computed once."""
        filled = 0
        key = (ward, group)
        ordered = self._nearest.get(key)
        if ordered is None:
            ordered = self._nearest[key] = sorted(candidates, key=lambda p: (self.travel(p.home_ward_code, ward), p.id))
        for person in ordered:
            if filled >= missing:
                break
            assignment = replace(template, person_id=person.id)
            if self.calendar.fits(assignment):
                self.add(assignment)
                filled += 1
        return filled


def widen_posts(campaign: Campaign, assignments: list[Assignment], unfilled, travel) -> tuple[list[Assignment], int]:
    """Give each on-call gap to the nearest technician's post of that date and shift within the ward's limit.

    Widening a post's duty changes no one's hours, so no people rule can break; the
    post is chosen as the explanations choose it (:func:`scheduler.explain.posts_by_distance`).
    Returns the roster (the input is not changed) and the number of gaps so given.
    """
    from scheduler.explain import posts_by_distance

    oncall_ids = {s.id for s in campaign.shifts if s.kind is ShiftKind.ONCALL}
    posts: dict[tuple, list[Assignment]] = defaultdict(list)
    for a in assignments:
        if a.shift_id in oncall_ids:
            posts[(a.date, a.shift_id)].append(a)
    widened = 0
    for slot in sorted(unfilled, key=lambda u: (u.date, u.ward_code, u.shift_id or "")):
        if slot.rule != "oncall_24_7" or slot.shift_id not in oncall_ids:
            continue
        limit = campaign.demand(slot.ward_code).night_response_limit_minutes
        near = [
            (minutes, a)
            for minutes, a in posts_by_distance(campaign, posts[(slot.date, slot.shift_id)], slot.ward_code, travel)
            if minutes <= limit
        ]
        if not near:
            continue
        post = near[0][1]
        group = posts[(slot.date, slot.shift_id)]
        group[group.index(post)] = replace(
            post, covered_ward_codes=tuple(sorted({*post.covered_ward_codes, slot.ward_code}))
        )
        widened += 1
    result = [a for a in assignments if a.shift_id not in oncall_ids]
    result += [a for group in posts.values() for a in group]
    logger.info("widened on-call posts to %d gaps", widened)
    return sorted(result, key=roster_order), widened


def fill_gaps(
    campaign: Campaign, assignments: list[Assignment], unfilled, travel, deadline: float | None = None
) -> list[Assignment]:
    """Assignments that close gaps with people free anywhere; the input is not changed.

    The gaps are taken in date order; at ``deadline`` (a time.time() value) the rest are left.
    """
    filler = GapFiller(campaign, assignments, travel)
    technicians = campaign.people_in(Pool.TECHNICIAN)
    telecom = campaign.people_in(Pool.TELECOM)
    oncall_ids = {s.id for s in campaign.shifts if s.kind is ShiftKind.ONCALL}
    for slot in sorted(unfilled, key=lambda u: (u.date, u.ward_code, u.rule, u.shift_id or "")):
        if deadline is not None and time.time() > deadline:
            logger.info("gap filling stopped at its deadline")
            break
        ward, day = slot.ward_code, slot.date
        if slot.rule == "oncall_24_7" and slot.shift_id in oncall_ids:
            limit = campaign.demand(ward).night_response_limit_minutes
            near = [p for p in technicians if travel(p.home_ward_code, ward) <= limit]
            filler.try_fill(
                near,
                Assignment("", ward, day, shift_id=slot.shift_id, covered_ward_codes=(ward,)),
                ward,
                1,
                "technicians in reach",
            )
        elif slot.rule == "oncall_24_7":
            filler.try_fill(technicians, Assignment("", ward, day, shift_id=slot.shift_id), ward, 1, "technicians")
        elif slot.rule == "min_support_staff":
            filler.try_fill(
                campaign.people, Assignment("", ward, day, shift_id=slot.shift_id), ward, slot.missing, "everyone"
            )
        elif slot.rule == "telecom_presence":
            for shift_id in campaign.demand(ward).service_shift_ids:
                if filler.try_fill(telecom, Assignment("", ward, day, shift_id=shift_id), ward, 1, "telecom"):
                    break
        elif slot.rule == "mobile_point_staffing":
            point = campaign.mobile_point(slot.mobile_point_id)
            for k, need in enumerate(point.staff_needed):
                have = sum(1 for a in assignments + filler.added if a.mobile_point_id == point.id and a.need_index == k)
                if have >= need.count:
                    continue
                matching = [p for p in campaign.people if need_matches(need, p)]  # the calendar checks the rest
                filler.try_fill(
                    matching,
                    Assignment("", ward, day, mobile_point_id=point.id, need_index=k),
                    ward,
                    need.count - have,
                    ("need", need),
                )
    logger.info("gap filling added %d assignments", len(filler.added))
    return filler.added


def apply_explained_fixes(
    campaign: Campaign, assignments: list[Assignment], travel, deadline: float | None = None, round_seconds: float = 0.0
) -> tuple[list[Assignment], int, list | None]:
    """Apply every fix the explanations of the roster's gaps name, while the calendar still allows it.

    Round after round: explain the gaps (:func:`scheduler.explain.explain`), then take each
    named fix in turn — place a free person, or widen an on-call post's duty to a ward
    within its response limit — re-checking it with the calendar against the roster as it
    stands. Stops when a round applies nothing (no explanation then names a fix the software
    could make) or when the next round, expected to take as long as the last one (the first:
    ``round_seconds``), would end after ``deadline`` (a time.time() value). Returns the roster, the number of
    fixes applied and, when the last round changed nothing, its explanations (those of the
    roster returned, in :func:`scheduler.verify.unfilled_slots` order; else None).
    """
    from scheduler.explain import explain
    from scheduler.verify import unfilled_slots

    current = list(assignments)
    applied = 0
    while deadline is None or time.time() + round_seconds < deadline:
        round_started = time.time()
        explanations = explain(campaign, current, unfilled_slots(campaign, current, travel), travel)
        fixes = [e.fix for e in explanations if e.fix is not None]
        calendar = Calendar(campaign, current, travel)
        present = Counter(current)
        successor: dict[Assignment, Assignment] = {}
        done = 0
        for fix in fixes:
            if fix.replace is None:
                if calendar.breaks(fix.add):
                    continue
                calendar.add(fix.add)
                present[fix.add] += 1
            else:
                old = fix.replace
                while old in successor:
                    old = successor[old]
                if not present[old]:
                    continue
                new = replace(
                    old, covered_ward_codes=tuple(sorted({*old.covered_ward_codes, *fix.add.covered_ward_codes}))
                )
                calendar.remove(old)
                if calendar.breaks(new):
                    calendar.add(old)
                    continue
                calendar.add(new)
                present[old] -= 1
                present[new] += 1
                successor[old] = new
            done += 1
        if not done:
            return current, applied, explanations
        current = sorted(present.elements(), key=roster_order)
        applied += done
        round_seconds = time.time() - round_started
        logger.info("applied %d fixes named by the explanations", done)
    return current, applied, None


def roster_order(assignment: Assignment) -> tuple:
    """The order the solve keeps a roster's assignments in: date, ward, shift or point, person."""
    return (
        assignment.date,
        assignment.ward_code,
        assignment.shift_id or "",
        assignment.mobile_point_id or "",
        assignment.person_id,
    )
