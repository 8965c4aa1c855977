"""The dispatch simulator: an incident stream replayed against a published roster, one policy at a time.

The mechanics, the same for every policy:

- Who is on duty at a minute, and which wards each technician answers for, is the
  roster in force: ``scheduler.dispatch.on_duty`` and ``scheduler.verify.responsible_wards``
  over the published roster's technician assignments (and, for Ra Quân's policy, the
  call-outs made so far).
- Each incident is dispatched the minute it is reported, to one technician the policy
  picks. A technician free at their post sets out from it at once. A technician
  returning from an incident is free too and sets out at once from the ward of that
  incident. A busy technician (travelling to or working at an incident) takes the new
  one after the work in hand: they set out, when it is done, from its ward (jobs are
  served in the order they were given). A call-out sets out from home
  ``CALLOUT_READY_MINUTES`` after the report; the call-out is the slot running then at
  the incident's ward, so they are on duty there for the rest of it.
- Arrival = departure + travel minutes (the campaign's travel matrix); the work lasts
  the incident's service minutes; then the technician travels back to their post.
- A technician answers for their wards only while free at their post. While engaged
  (travelling, working, returning) they answer only for the ward of the incident they
  are heading to or working at. A ward is uncovered at a minute when the roster makes
  someone responsible for it then and none of them answers for it; minutes when the
  roster itself has nobody for the ward are not counted (they are the roster's gaps,
  the same under every policy).
- An incident reported when nobody can be sent (no technician on duty and, for Ra
  Quân, nobody to call out) is unanswered: late, with no arrival.

Figures per run (:class:`Figures`): mean and 90th percentile of minutes from report to
arrival, the share within the ward's limit (``scheduler.dispatch.response_limit_minutes``),
late arrivals, ward-minutes left uncovered (``scheduler.dispatch.uncovered_minutes`` over
the uncovered intervals), the share sent with the category's skill, call-outs, and the
dispatches that carried a technician's position across the 07:30 boundary of the
offline model's day blocks (``carried``; the offline bound assumes none).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from scheduler.calendar import Calendar
from scheduler.dispatch import (
    CALLOUT_READY_MINUTES,
    CATEGORIES,
    Engagement,
    IncidentRecord,
    candidates,
    incident_figures,
    on_duty,
    response_limit_minutes,
    slots_at,
    uncovered_minutes,
)
from scheduler.model import Assignment, Campaign, Pool
from scheduler.verify import responsible_wards

from .stream import StreamIncident

logger = logging.getLogger(__name__)

BLOCK_START_MINUTE = 7 * 60 + 30  # the offline model's day blocks start at the morning shift change

Travel = Callable[[str, str], int]


def block_of(minute: int) -> int:
    """The offline model's day block of a campaign minute (blocks run 07:30 to 07:30)."""
    return (minute - BLOCK_START_MINUTE) // 1440


@dataclass
class TechState:
    """Where a technician is in their work."""

    free_at: int = -1  # minute the work in hand ends
    back_at: int = -1  # minute they are back at their post
    last_ward: str | None = None  # ward of the last incident given to them
    last_block: int | None = None  # block of that incident
    legs: list[tuple[int, int, str]] = field(default_factory=list)  # (set out, work ends, ward)
    away: list[tuple[int, int]] = field(default_factory=list)  # engaged intervals [from, to)


@dataclass(frozen=True)
class Dispatch:
    """One incident's outcome in a run."""

    item: StreamIncident
    person_id: str | None
    origin: str | None
    depart: int | None
    arrival: int | None  # minute of arrival (None: unanswered)
    limit_minutes: int
    skill_match: bool
    callout: Assignment | None = None

    @property
    def arrival_minutes(self) -> int | None:
        return None if self.arrival is None else self.arrival - self.item.minute

    @property
    def late(self) -> bool:
        return self.arrival is None or self.arrival_minutes > self.limit_minutes


@dataclass(frozen=True)
class Figures:
    """A run's figures."""

    incidents: int
    mean_arrival: float | None
    p90_arrival: float | None
    within_share: float
    late: int
    uncovered_minutes: int
    skill_share: float
    callouts: int
    unanswered: int
    carried: int
    arrival_sum: int  # the offline objective's second term, over answered incidents


class Roster:
    """The published roster's technician assignments, indexed by slot, with each one's wards."""

    def __init__(self, campaign: Campaign, assignments: Iterable[Assignment], travel: Travel):
        self.campaign = campaign
        self.travel = travel
        self.assignments = list(assignments)
        self.by_slot: dict[tuple, list[Assignment]] = {}
        for a in self.assignments:
            if a.shift_id is None or not campaign.has("people", a.person_id):
                continue
            if campaign.person(a.person_id).pool is Pool.TECHNICIAN:
                self.by_slot.setdefault((a.date, a.shift_id), []).append(a)
        self._wards: dict[Assignment, tuple[str, ...]] = {}
        self._limits: dict[tuple, int] = {}
        self.midnight = datetime.combine(campaign.start_date, datetime.min.time())

    def at(self, minute: int) -> datetime:
        return self.midnight + timedelta(minutes=minute)

    def running_keys(self, minute: int) -> list[tuple]:
        return [(day, shift.id) for day, shift in slots_at(self.campaign, self.at(minute))]

    def running(self, minute: int) -> list[Assignment]:
        return [a for key in self.running_keys(minute) for a in self.by_slot.get(key, ())]

    def wards(self, assignment: Assignment) -> tuple[str, ...]:
        wards = self._wards.get(assignment)
        if wards is None:
            wards = self._wards[assignment] = responsible_wards(self.campaign, assignment, self.travel)
        return wards

    def limit(self, ward_code: str, minute: int) -> int:
        key = (ward_code, tuple(self.running_keys(minute)))
        value = self._limits.get(key)
        if value is None:
            value = self._limits[key] = response_limit_minutes(self.campaign, ward_code, self.at(minute))
        return value

    def slot_span(self, key: tuple) -> tuple[int, int]:
        day, shift_id = key
        shift = self.campaign.shift(shift_id)
        base = (day - self.campaign.start_date).days * 1440
        return base + shift.start_minute, base + shift.end_minute


@dataclass(frozen=True)
class Choice:
    person_id: str
    callout: Assignment | None = None


class Simulation:
    """One replay of a stream under one policy."""

    def __init__(self, roster: Roster):
        self.roster = roster
        self.campaign = roster.campaign
        self.travel = roster.travel
        self.techs: dict[str, TechState] = {}
        self.callouts: list[Assignment] = []
        self.callouts_by_slot: dict[tuple, list[Assignment]] = {}
        self.dispatches: list[Dispatch] = []
        self.carried = 0  # dispatches that set out from an incident given in an earlier block

    def state(self, person_id: str) -> TechState:
        state = self.techs.get(person_id)
        if state is None:
            state = self.techs[person_id] = TechState()
        return state

    def duty(self, minute: int) -> dict[str, Assignment]:
        running = self.roster.running(minute)
        extra = [a for key in self.roster.running_keys(minute) for a in self.callouts_by_slot.get(key, ())]
        return on_duty(self.campaign, running + extra, self.roster.at(minute))

    def origin(self, person_id: str, post: str, minute: int) -> tuple[str, int]:
        """Where and when ``person_id`` (on duty, posted at ``post``) sets out for a job given at ``minute``."""
        state = self.state(person_id)
        if state.back_at > minute and state.last_ward is not None:
            return state.last_ward, max(minute, state.free_at)
        return post, minute

    def run(self, stream: Iterable[StreamIncident], policy: Policy) -> list[Dispatch]:
        for item in stream:
            self.dispatch(item, policy)
        return self.dispatches

    def dispatch(self, item: StreamIncident, policy: Policy) -> Dispatch:
        minute = item.minute
        limit = self.roster.limit(item.ward_code, minute)
        category = CATEGORIES[item.incident.category]
        choice = policy.choose(self, item)
        if choice is None:
            record = Dispatch(item, None, None, None, None, limit, False)
            self.dispatches.append(record)
            return record
        state = self.state(choice.person_id)
        person = self.campaign.person(choice.person_id)
        if choice.callout is not None:
            origin, depart, post = person.home_ward_code, minute + CALLOUT_READY_MINUTES, item.ward_code
            self.callouts.append(choice.callout)
            key = (choice.callout.date, choice.callout.shift_id)
            self.callouts_by_slot.setdefault(key, []).append(choice.callout)
            policy.called_out(choice.callout)
        else:
            post = self.duty(minute)[choice.person_id].ward_code
            origin, depart = self.origin(choice.person_id, post, minute)
            if state.back_at > minute and state.last_block is not None and state.last_block != block_of(minute):
                self.carried += 1
        arrival = depart + self.travel(origin, item.ward_code)
        end = arrival + item.service_minutes
        back = end + self.travel(item.ward_code, post)
        state.legs.append((depart, end, item.ward_code))
        state.away.append((minute, back))
        state.free_at, state.back_at = end, back
        state.last_ward, state.last_block = item.ward_code, block_of(minute)
        skill = category.skill is None or category.skill in person.skills
        record = Dispatch(item, choice.person_id, origin, depart, arrival, limit, skill, choice.callout)
        self.dispatches.append(record)
        return record

    # ----------------------------------------------------------------------------------- figures

    def uncovered(self, end_minute: int) -> dict[str, int]:
        """Ward → minutes left uncovered within [0, end_minute), as the module docstring defines them."""
        engaged: dict[str, np.ndarray] = {}
        for person_id, state in self.techs.items():
            mask = np.zeros(end_minute, dtype=bool)
            for low, high in state.away:
                mask[max(0, low) : max(0, min(high, end_minute))] = True
            engaged[person_id] = mask
        slot_keys = set(self.roster.by_slot) | set(self.callouts_by_slot)
        intervals = []
        for key in slot_keys:
            start, stop = self.roster.slot_span(key)
            if start >= end_minute:
                continue
            stop = min(stop, end_minute)
            by_ward: dict[str, list[str]] = {}
            for a in (*self.roster.by_slot.get(key, ()), *self.callouts_by_slot.get(key, ())):
                for code in self.roster.wards(a):
                    by_ward.setdefault(code, []).append(a.person_id)
            for code, people in by_ward.items():
                if not all(p in engaged and engaged[p][start:stop].any() for p in people):
                    continue  # someone stays at their post the whole slot
                missing = np.ones(stop - start, dtype=bool)
                for p in people:
                    absent = engaged[p][start:stop].copy()
                    for depart, work_end, ward in self.techs[p].legs:
                        if ward == code and depart < stop and work_end > start:
                            absent[max(depart, start) - start : min(work_end, stop) - start] = False
                    missing &= absent
                intervals.extend((code, low, high) for low, high in _runs(missing, start))
        midnight = self.roster.midnight
        return uncovered_minutes(
            (
                (code, midnight + timedelta(minutes=low), midnight + timedelta(minutes=high))
                for code, low, high in intervals
            ),
            midnight,
            midnight + timedelta(minutes=end_minute),
        )

    def figures(self, end_minute: int) -> Figures:
        records = []
        arrivals = []
        for d in self.dispatches:
            at = None if d.arrival is None else self.roster.at(d.arrival)
            records.append(IncidentRecord(d.item.ward_code, d.item.incident.reported_at, d.limit_minutes, at))
            if d.arrival is not None:
                arrivals.append(d.arrival_minutes)
        summary = incident_figures(records, self.roster.at(end_minute + 10**6))
        n = len(self.dispatches)
        return Figures(
            incidents=n,
            mean_arrival=sum(arrivals) / len(arrivals) if arrivals else None,
            p90_arrival=summary.arrival_p90,
            within_share=(n - summary.late) / n if n else 1.0,
            late=summary.late,
            uncovered_minutes=sum(self.uncovered(end_minute).values()),
            skill_share=sum(d.skill_match for d in self.dispatches if d.person_id) / n if n else 1.0,
            callouts=len(self.callouts),
            unanswered=sum(d.arrival is None for d in self.dispatches),
            carried=self.carried,
            arrival_sum=sum(arrivals),
        )


def _runs(mask: np.ndarray, offset: int) -> list[tuple[int, int]]:
    """The [low, high) runs of True in ``mask``, shifted by ``offset``."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(offset + int(low), offset + int(high)) for low, high in zip(edges[::2], edges[1::2], strict=True)]


# --------------------------------------------------------------------------------------------- policies


class Policy:
    """Picks the technician for an incident; None when nobody can be sent."""

    name = "policy"

    def choose(self, sim: Simulation, item: StreamIncident) -> Choice | None:
        raise NotImplementedError

    def called_out(self, callout: Assignment) -> None:
        """A call-out was recorded (the policy keeps its calendar)."""


class NearestIdle(Policy):
    """The nearest idle technician: among those on duty and free, the fewest travel minutes.

    No call-outs, no skills, no coverage. When nobody on duty is free, the one who can
    arrive first after the work in hand (the incident waits for the first technician free).
    """

    name = "nearest idle"

    def choose(self, sim: Simulation, item: StreamIncident) -> Choice | None:
        minute = item.minute
        best = None
        for person_id, a in sim.duty(minute).items():
            origin, depart = sim.origin(person_id, a.ward_code, minute)
            busy = depart > minute
            key = (busy, depart + sim.travel(origin, item.ward_code), person_id)
            if best is None or key < best:
                best = key
        return None if best is None else Choice(best[2])


class RaQuan(Policy):
    """Ra Quân's policy: the first of ``scheduler.dispatch.candidates``.

    It is given the assignments running now, the call-outs running now, the engaged
    technicians as engagements, and one calendar kept for the whole replay (the roster
    and every call-out made so far).
    """

    name = "Ra Quân"

    def __init__(self, roster: Roster, rank: Callable | None = None):
        self.calendar = Calendar(roster.campaign, roster.assignments, roster.travel)
        self.rank = rank or candidates

    def choose(self, sim: Simulation, item: StreamIncident) -> Choice | None:
        minute = item.minute
        roster = sim.roster
        now = roster.at(minute)
        keys = roster.running_keys(minute)
        running = [a for key in keys for a in roster.by_slot.get(key, ())]
        callouts = [a for key in keys for a in sim.callouts_by_slot.get(key, ())]
        engagements = [
            Engagement(person_id, state.last_ward, roster.at(max(minute, state.free_at)))
            for person_id, state in sim.techs.items()
            if state.back_at > minute and state.last_ward is not None
        ]
        found = self.rank(
            sim.campaign,
            running,
            item.incident,
            now,
            sim.travel,
            engagements=engagements,
            callouts=callouts,
            limit=1,
            calendar=self.calendar,
        )
        if not found:
            return None
        return Choice(found[0].person_id, found[0].callout)

    def called_out(self, callout: Assignment) -> None:
        self.calendar.add(callout)


def simulate(roster: Roster, stream: list[StreamIncident], policy: Policy, end_minute: int) -> Figures:
    """Replay ``stream`` under ``policy`` and return its figures (uncovered minutes up to ``end_minute``)."""
    sim = Simulation(roster)
    sim.run(stream, policy)
    return sim.figures(end_minute)


def replay(roster: Roster, stream: list[StreamIncident], policy: Policy) -> Simulation:
    """Replay ``stream`` under ``policy``; the simulation keeps every dispatch."""
    sim = Simulation(roster)
    sim.run(stream, policy)
    return sim


def ratio(value: float | None, best: float | None) -> float | None:
    """``value / best`` (1 when both are 0, None when not defined)."""
    if value is None or best is None:
        return None
    if best == 0:
        return 1.0 if value == 0 else math.inf
    return value / best
