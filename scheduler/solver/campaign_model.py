"""The campaign on top of the engine: one cluster of wards and its team as an engine Problem.

Tasks exist for the cluster's service shifts, its on-call shifts (posted at
the cluster's post, covering its wards) and the staff needs of its mobile
points. A Boolean exists only for an eligible (person, task) pair: the person
belongs to the ward (service), is a technician (on call), matches the need and
lives within the travel limit (mobile point), is free that day and shift, and
is night-eligible for night work. Covers and penalties follow docs/rules.md
term by term, so the engine's objective is the checker's objective.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from scheduler.model import Assignment, Campaign, Person, Pool, ShiftKind
from scheduler.solver.engine import Cover, CountPenalty, DistinctPenalty, Problem, Task, Worker
from scheduler.timeline import day_offset_minutes, full_weeks, is_weekend, night_minutes


@dataclass(frozen=True)
class ClusterSpec:
    """Plain input of one cluster's solve (pickles cheaply to a worker process)."""

    index: int
    post: str
    wards: tuple[str, ...]
    team: dict  # ward code -> tuple of person ids allocated to it


def _worker(campaign: Campaign, person: Person) -> Worker:
    rules = campaign.rules
    weekly = min(campaign.weekly_cap_hours(person), rules.max_work_hours_per_week)
    return Worker(person.id, rules.max_work_hours_per_day * 60, weekly * 60)


def build_problem(campaign: Campaign, spec: ClusterSpec, travel: Callable[[str, str], int]) -> Problem:
    """The engine problem of one cluster."""
    rules, weights = campaign.rules, campaign.weights
    dates = campaign.dates
    problem = Problem(
        days=campaign.days,
        week_of_day=tuple(campaign.week_index(d) for d in dates),
        full_weeks=tuple(full_weeks(campaign)),
        min_rest_minutes=rules.min_rest_between_shifts_hours * 60,
        weekly_rest_minutes=rules.min_weekly_rest_hours * 60,
    )
    people_ids = sorted({pid for team in spec.team.values() for pid in team})
    people = [campaign.person(pid) for pid in people_ids]
    worker_of = {p.id: i for i, p in enumerate(people)}
    problem.workers = [_worker(campaign, p) for p in people]

    def add_task(key, day_index, start_minute, end_minute):
        offset = day_offset_minutes(campaign, dates[day_index])
        problem.tasks.append(Task(key, day_index, offset + start_minute, offset + end_minute,
                                  night=night_minutes(campaign, start_minute, end_minute) > 0,
                                  weekend=is_weekend(dates[day_index])))
        return len(problem.tasks) - 1

    def cost(person: Person, ward: str) -> int:
        value = weights.travel_minutes * travel(person.home_ward_code, ward)
        if person.preferred_ward_codes and ward not in person.preferred_ward_codes:
            value += weights.preferences
        return value

    def eligible(person: Person, day_index: int, shift_id: str | None, night: bool) -> bool:
        day = dates[day_index]
        if day in person.unavailable_dates:
            return False
        if shift_id is not None and person.available_shift_ids and shift_id not in person.available_shift_ids:
            return False
        return person.night_eligible or not night

    task_ward: dict[int, str] = {}
    oncall_shifts = [s for s in campaign.shifts if s.kind is ShiftKind.ONCALL]
    pins = {(a.person_id, a.ward_code, a.date, a.shift_id) for a in campaign.pins}

    # Technicians and telecom staff may serve any ward of their cluster (continuity keeps them
    # at one where it can); students serve the ward they were allocated to.
    cluster_wide = [p for p in people if p.pool is not Pool.STUDENT]
    for ward in spec.wards:
        demand = campaign.demand(ward)
        team = [campaign.person(pid) for pid in spec.team.get(ward, ())
                if campaign.person(pid).pool is Pool.STUDENT] + cluster_wide
        for day_index, day in enumerate(dates):
            telecom_pairs = []
            for shift_id in demand.service_shift_ids:
                shift = campaign.shift(shift_id)
                t = add_task(("service", ward, day_index, shift_id), day_index, shift.start_minute, shift.end_minute)
                task_ward[t] = ward
                pairs = []
                for person in team:
                    if eligible(person, day_index, shift_id, problem.tasks[t].night):
                        pair = (worker_of[person.id], t)
                        problem.costs[pair] = cost(person, ward)
                        pairs.append(pair)
                        if (person.id, ward, day, shift_id) in pins:
                            problem.fixed.add(pair)
                extra = demand.extra_students_on_peak if day in demand.peak_dates else 0
                problem.covers.append(Cover(("min_support_staff", ward, day_index, shift_id), tuple(pairs),
                                            demand.min_support_staff, weights.unfilled,
                                            maximum=demand.min_support_staff + extra + 1,
                                            extra=extra, extra_weight=weights.peak_students))
                if demand.oncall_24_7:
                    technicians = tuple(p for p in pairs if people[p[0]].pool is Pool.TECHNICIAN)
                    problem.covers.append(Cover(("oncall_24_7", ward, day_index, shift_id), technicians, 1,
                                                weights.unfilled))
                telecom_pairs += [p for p in pairs if people[p[0]].pool is Pool.TELECOM]
            for point in campaign.mobile_points:
                if point.ward_code != ward or point.date != day:
                    continue
                for k, need in enumerate(point.staff_needed):
                    t = add_task(("mobile", point.id, k), day_index, point.start_minute, point.end_minute)
                    task_ward[t] = ward
                    pairs = []
                    for person in people:
                        if need.pool is not None and person.pool is not need.pool:
                            continue
                        if need.skill is not None and need.skill not in person.skills:
                            continue
                        if travel(person.home_ward_code, ward) > rules.mobile_point_travel_limit_minutes:
                            continue
                        if not eligible(person, day_index, None, problem.tasks[t].night):
                            continue
                        pair = (worker_of[person.id], t)
                        problem.costs[pair] = cost(person, ward)
                        pairs.append(pair)
                    problem.covers.append(Cover(("mobile_point_staffing", point.id, k), tuple(pairs), need.count,
                                                weights.unfilled, maximum=need.count))
                    telecom_pairs += [p for p in pairs if people[p[0]].pool is Pool.TELECOM]
            problem.covers.append(Cover(("telecom_presence", ward, day_index), tuple(telecom_pairs),
                                        demand.min_telecom_staff_per_day, weights.unfilled, distinct_workers=True))

    covered = tuple(sorted(w for w in spec.wards if campaign.demand(w).oncall_24_7))
    technicians = [p for p in people if p.pool is Pool.TECHNICIAN]
    if covered:
        for day_index, day in enumerate(dates):
            for shift in oncall_shifts:
                t = add_task(("oncall", spec.post, day_index, shift.id, covered), day_index,
                             shift.start_minute, shift.end_minute)
                task_ward[t] = spec.post
                pairs = []
                for person in technicians:
                    if eligible(person, day_index, shift.id, problem.tasks[t].night):
                        pair = (worker_of[person.id], t)
                        problem.costs[pair] = cost(person, spec.post)
                        pairs.append(pair)
                problem.covers.append(Cover(("oncall_24_7", spec.post, day_index, shift.id, covered), tuple(pairs),
                                            1, weights.unfilled * len(covered), maximum=1))

    pairs_of = defaultdict(list)
    for pair in problem.costs:
        pairs_of[pair[0]].append(pair)
    for w, pairs in pairs_of.items():
        by_week = defaultdict(lambda: ([], []))
        groups = defaultdict(list)
        for pair in pairs:
            task = problem.tasks[pair[1]]
            nights, weekends = by_week[problem.week_of_day[task.day]]
            if task.night:
                nights.append(pair)
            if task.weekend:
                weekends.append(pair)
            groups[task_ward[pair[1]]].append(pair)
        for nights, weekends in by_week.values():
            problem.count_penalties.append(CountPenalty(tuple(nights), 2, weights.fair_spread))
            problem.count_penalties.append(CountPenalty(tuple(weekends), 1, weights.fair_spread))
        if len(groups) > 1:
            problem.distinct_penalties.append(DistinctPenalty(tuple(sorted(
                (ward, tuple(ps)) for ward, ps in groups.items())), weights.continuity))

    schools_in_ward = defaultdict(lambda: defaultdict(list))
    for pair in problem.costs:
        person = people[pair[0]]
        if person.pool is Pool.STUDENT:
            schools_in_ward[task_ward[pair[1]]][person.organisation].append(pair)
    for ward, schools in schools_in_ward.items():
        if len(schools) > 1:
            problem.distinct_penalties.append(DistinctPenalty(tuple(sorted(
                (school, tuple(ps)) for school, ps in schools.items())), weights.school_together))
    return problem


def assignments_of(campaign: Campaign, problem: Problem, chosen) -> list[Assignment]:
    """Translate chosen (worker, task) pairs back into Assignments."""
    dates = campaign.dates
    result = []
    for w, t in chosen:
        person = campaign.person(problem.workers[w].key)
        key = problem.tasks[t].key
        kind = key[0]
        if kind == "service":
            _, ward, day_index, shift_id = key
            result.append(Assignment(person.id, ward, dates[day_index], shift_id=shift_id))
        elif kind == "oncall":
            _, post, day_index, shift_id, covered = key
            result.append(Assignment(person.id, post, dates[day_index], shift_id=shift_id,
                                     covered_ward_codes=covered))
        else:
            _, point_id, need_index = key
            point = campaign.mobile_point(point_id)
            result.append(Assignment(person.id, point.ward_code, point.date, mobile_point_id=point_id,
                                     need_index=need_index))
    return result
