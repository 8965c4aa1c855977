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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from scheduler.calendar import need_matches
from scheduler.model import Assignment, Campaign, MobilePoint, Person, Pool, ShiftKind, StaffNeed, WardDemand
from scheduler.solver.engine import CountPenalty, Cover, DistinctPenalty, Problem, Task, Worker
from scheduler.timeline import day_offset_minutes, full_weeks, is_weekend, night_minutes, slot_minutes


@dataclass(frozen=True)
class ClusterSpec:
    """Plain input of one cluster's solve (pickles cheaply to a worker process)."""

    index: int
    post: str
    wards: tuple[str, ...]
    team: dict  # ward code -> tuple of person ids allocated to it
    days: frozenset[int] | None = None  # day indexes to model (None: every day of the campaign)
    context: tuple[Assignment, ...] = ()  # the team's assignments kept as they are, for their time rules


def _worker(campaign: Campaign, person: Person) -> Worker:
    rules = campaign.rules
    weekly = min(campaign.weekly_cap_hours(person), rules.max_work_hours_per_week)
    return Worker(person.id, rules.max_work_hours_per_day * 60, weekly * 60)


@dataclass(frozen=True)
class TaskInfo:
    """What a task is in the campaign's terms."""

    kind: str  # "service", "oncall" or "mobile"
    ward: str  # where the person works (the post, for on call)
    date: date
    shift_id: str | None = None
    point: MobilePoint | None = None
    need_index: int | None = None
    covered: tuple[str, ...] = ()  # on call: the wards the post is responsible for

    @property
    def need(self) -> StaffNeed:
        """A mobile point's staff need this task fills."""
        assert self.point is not None and self.need_index is not None, "only a mobile point's task has a need"
        return self.point.staff_needed[self.need_index]


@dataclass
class Draft:
    """A cluster's problem while the campaign's rules decide which (person, task) pairs may exist.

    Each rule adds the test a pair must pass (:meth:`keep`); the pairs are settled in one pass over
    every (person, task) of the cluster the first time :attr:`pairs` is read.
    """

    campaign: Campaign
    spec: ClusterSpec
    travel: Callable[[str, str], int]
    problem: Problem
    people: list[Person]
    infos: list[TaskInfo]
    tests: list[Callable[[Person, TaskInfo, Task], bool]] = field(default_factory=list)
    _pairs: set[tuple[int, int]] | None = None

    def keep(self, allowed: Callable[[Person, TaskInfo, Task], bool]) -> None:
        """Leave out every pair ``allowed`` refuses (a pair left out is a Boolean fixed to 0)."""
        if self._pairs is not None:
            raise RuntimeError("the pairs are settled: every rule that leaves pairs out comes before")
        self.tests.append(allowed)

    @property
    def pairs(self) -> set[tuple[int, int]]:
        if self._pairs is None:
            tasks, tests = self.problem.tasks, self.tests
            kept = set()
            for t, (info, task) in enumerate(zip(self.infos, tasks, strict=True)):
                for w, person in enumerate(self.people):
                    for allowed in tests:
                        if not allowed(person, info, task):
                            break
                    else:
                        kept.add((w, t))
            self._pairs = kept
        return self._pairs


# --- the campaign's people rules on the CP-SAT side (the engine adds the time rules: engine.WORKER_RULES) ---


def add_availability(draft: Draft) -> None:
    """Only the days and shifts a person declared (a mobile point: only its date), less the slots they cannot do."""
    draft.keep(
        lambda person, info, task: (
            info.date not in person.unavailable_dates
            and (info.date, info.shift_id or (info.point.id if info.point else None)) not in person.unavailable_slots
            and (info.shift_id is None or not person.available_shift_ids or info.shift_id in person.available_shift_ids)
        )
    )


def add_eligibility(draft: Draft) -> None:
    """On call only technicians, at a post they cover; a mobile point's need, within its travel limit."""
    limit = draft.campaign.rules.mobile_point_travel_limit_minutes

    def allowed(person: Person, info: TaskInfo, task: Task) -> bool:
        if info.kind == "oncall":
            return person.pool is Pool.TECHNICIAN and info.ward in info.covered
        if info.kind == "mobile":
            return need_matches(info.need, person) and draft.travel(person.home_ward_code, info.ward) <= limit
        return True

    draft.keep(allowed)


def add_night_eligibility(draft: Draft) -> None:
    """A task with night minutes only for night-eligible people."""
    draft.keep(lambda person, info, task: person.night_eligible or not task.night)


def add_one_ward_per_student(draft: Draft) -> None:
    """A student's service tasks are in one ward: the one the plan gives them in the cluster's team."""
    ward_of = {pid: ward for ward, team in draft.spec.team.items() for pid in team}
    draft.keep(
        lambda person, info, task: (
            info.kind != "service" or person.pool is not Pool.STUDENT or ward_of.get(person.id) == info.ward
        )
    )


def add_pinned(draft: Draft) -> None:
    """A pinned assignment's pair is chosen (when the rules above let it exist)."""
    pins = {
        (a.person_id, a.ward_code, a.date, a.shift_id, a.mobile_point_id, a.need_index) for a in draft.campaign.pins
    }
    for w, t in draft.pairs:
        info = draft.infos[t]
        point_id = info.point.id if info.point else None
        if (draft.people[w].id, info.ward, info.date, info.shift_id, point_id, info.need_index) in pins:
            draft.problem.fixed.add((w, t))


CAMPAIGN_RULES = {
    "availability": add_availability,
    "eligibility": add_eligibility,
    "night_eligibility": add_night_eligibility,
    "one_ward_per_student": add_one_ward_per_student,
    "pinned": add_pinned,
}


def build_problem(campaign: Campaign, spec: ClusterSpec, travel: Callable[[str, str], int]) -> Problem:
    """The engine problem of one cluster.

    1. The tasks, each with everyone of the cluster as a candidate;
    2. the campaign's rules (:data:`CAMPAIGN_RULES`) leave out the pairs they forbid;
    3. the covers and penalties over the pairs that remain (docs/rules.md, term by term).
    """
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
    problem.workers = [_worker(campaign, p) for p in people]
    infos: list[TaskInfo] = []

    def add_task(info: TaskInfo, key, start_minute: int, end_minute: int) -> int:
        offset = day_offset_minutes(campaign, info.date)
        problem.tasks.append(
            Task(
                key,
                (info.date - campaign.start_date).days,
                offset + start_minute,
                offset + end_minute,
                night=night_minutes(campaign, start_minute, end_minute) > 0,
                weekend=is_weekend(info.date),
            )
        )
        infos.append(info)
        return len(problem.tasks) - 1

    # 1. Tasks: the wards' service shifts, the mobile points' needs, the post's on-call shifts.
    service_tasks: dict[tuple[str, int], list[tuple[int, WardDemand, str]]] = defaultdict(list)
    mobile_tasks: dict[tuple[str, int], list[int]] = defaultdict(list)
    modelled = [(i, d) for i, d in enumerate(dates) if spec.days is None or i in spec.days]
    for ward in spec.wards:
        demand = campaign.demand(ward)
        for day_index, day in modelled:
            for shift_id in demand.service_shift_ids:
                shift = campaign.shift(shift_id)
                t = add_task(
                    TaskInfo("service", ward, day, shift_id),
                    ("service", ward, day_index, shift_id),
                    shift.start_minute,
                    shift.end_minute,
                )
                service_tasks[(ward, day_index)].append((t, demand, shift_id))
            for point in campaign.mobile_points:
                if point.ward_code != ward or point.date != day:
                    continue
                for k in range(len(point.staff_needed)):
                    t = add_task(
                        TaskInfo("mobile", ward, day, point=point, need_index=k),
                        ("mobile", point.id, k),
                        point.start_minute,
                        point.end_minute,
                    )
                    mobile_tasks[(ward, day_index)].append(t)
    covered = tuple(sorted(w for w in spec.wards if campaign.demand(w).oncall_24_7))
    oncall_tasks: list[tuple[int, int, str]] = []  # (task, day index, shift)
    if covered:
        for day_index, day in modelled:
            for shift in campaign.shifts:
                if shift.kind is ShiftKind.ONCALL:
                    t = add_task(
                        TaskInfo("oncall", spec.post, day, shift.id, covered=covered),
                        ("oncall", spec.post, day_index, shift.id, covered),
                        shift.start_minute,
                        shift.end_minute,
                    )
                    oncall_tasks.append((t, day_index, shift.id))

    # 2. The pairs the campaign's rules allow.
    draft = Draft(campaign, spec, travel, problem, people, infos)
    for add_rule in CAMPAIGN_RULES.values():
        add_rule(draft)

    def cost(person: Person, ward: str) -> int:
        value = weights.travel_minutes * travel(person.home_ward_code, ward)
        if person.preferred_ward_codes and ward not in person.preferred_ward_codes:
            value += weights.preferences
        return value

    pairs_of_task: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for w, t in sorted(draft.pairs):
        problem.costs[(w, t)] = cost(people[w], infos[t].ward)
        pairs_of_task[t].append((w, t))
    # The context: assignments the model keeps as they are (fixed, no cover), so the time rules see them.
    worker_of = {p.id: w for w, p in enumerate(people)}
    for k, kept in enumerate(spec.context):
        start_minute, end_minute = slot_minutes(campaign, kept)
        t = add_task(
            TaskInfo("context", kept.ward_code, kept.date, kept.shift_id),
            ("context", k),
            start_minute,
            end_minute,
        )
        problem.costs[(worker_of[kept.person_id], t)] = 0
        problem.fixed.add((worker_of[kept.person_id], t))

    # 3. Covers.
    for ward in spec.wards:
        demand = campaign.demand(ward)
        for day_index, day in modelled:
            telecom_pairs = []
            for t, _, shift_id in service_tasks[(ward, day_index)]:
                pairs = pairs_of_task[t]
                extra = demand.extra_students_on_peak if day in demand.peak_dates else 0
                problem.covers.append(
                    Cover(
                        ("min_support_staff", ward, day_index, shift_id),
                        tuple(pairs),
                        demand.min_support_staff,
                        weights.unfilled,
                        maximum=demand.min_support_staff + extra + 1,
                        extra=extra,
                        extra_weight=weights.peak_students,
                    )
                )
                if demand.oncall_24_7:
                    technicians = tuple(p for p in pairs if people[p[0]].pool is Pool.TECHNICIAN)
                    problem.covers.append(
                        Cover(("oncall_24_7", ward, day_index, shift_id), technicians, 1, weights.unfilled)
                    )
                telecom_pairs += [p for p in pairs if people[p[0]].pool is Pool.TELECOM]
            for t in mobile_tasks[(ward, day_index)]:
                info = infos[t]
                need = info.need
                pairs = pairs_of_task[t]
                problem.covers.append(
                    Cover(
                        ("mobile_point_staffing", info.point.id if info.point else None, info.need_index),
                        tuple(pairs),
                        need.count,
                        weights.unfilled,
                        maximum=need.count,
                    )
                )
                telecom_pairs += [p for p in pairs if people[p[0]].pool is Pool.TELECOM]
            problem.covers.append(
                Cover(
                    ("telecom_presence", ward, day_index),
                    tuple(telecom_pairs),
                    demand.min_telecom_staff_per_day,
                    weights.unfilled,
                    distinct_workers=True,
                )
            )
    for t, day_index, shift_id in oncall_tasks:
        problem.covers.append(
            Cover(
                ("oncall_24_7", spec.post, day_index, shift_id, covered),
                tuple(pairs_of_task[t]),
                1,
                weights.unfilled * len(covered),
                maximum=1,
            )
        )

    # Penalties: fair spread and continuity per person, schools together per ward.
    pairs_of: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair in problem.costs:
        pairs_of[pair[0]].append(pair)
    for pairs in pairs_of.values():
        by_week: defaultdict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
        groups: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        for pair in pairs:
            task = problem.tasks[pair[1]]
            nights, weekends = by_week[problem.week_of_day[task.day]]
            if task.night:
                nights.append(pair)
            if task.weekend:
                weekends.append(pair)
            groups[infos[pair[1]].ward].append(pair)
        for nights, weekends in by_week.values():
            problem.count_penalties.append(CountPenalty(tuple(nights), 2, weights.fair_spread))
            problem.count_penalties.append(CountPenalty(tuple(weekends), 1, weights.fair_spread))
        if len(groups) > 1:
            problem.distinct_penalties.append(
                DistinctPenalty(tuple(sorted((ward, tuple(ps)) for ward, ps in groups.items())), weights.continuity)
            )

    schools_in_ward: defaultdict[str, defaultdict[str, list]] = defaultdict(lambda: defaultdict(list))
    for pair in problem.costs:
        person = people[pair[0]]
        if person.pool is Pool.STUDENT:
            schools_in_ward[infos[pair[1]].ward][person.organisation].append(pair)
    for schools in schools_in_ward.values():
        if len(schools) > 1:
            problem.distinct_penalties.append(
                DistinctPenalty(
                    tuple(sorted((school, tuple(ps)) for school, ps in schools.items())), weights.school_together
                )
            )
    return problem


def task_key(campaign: Campaign, assignment: Assignment) -> tuple:
    """The key of the task an assignment fills in a cluster's problem."""
    day_index = (assignment.date - campaign.start_date).days
    if assignment.mobile_point_id is not None:
        return ("mobile", assignment.mobile_point_id, assignment.need_index)
    if assignment.covered_ward_codes:
        return ("oncall", assignment.ward_code, day_index, assignment.shift_id, assignment.covered_ward_codes)
    return ("service", assignment.ward_code, day_index, assignment.shift_id)


def pairs_of(problem: Problem, campaign: Campaign, assignments) -> set[tuple[int, int]]:
    """The (worker, task) pairs of ``assignments`` the problem has (the others are left out)."""
    task_of_key = {task.key: t for t, task in enumerate(problem.tasks)}
    worker_of = {worker.key: w for w, worker in enumerate(problem.workers)}
    pairs = set()
    for a in assignments:
        w, t = worker_of.get(a.person_id), task_of_key.get(task_key(campaign, a))
        if w is not None and t is not None and (w, t) in problem.costs:
            pairs.add((w, t))
    return pairs


def assignments_of(campaign: Campaign, problem: Problem, chosen) -> list[Assignment]:
    """Translate chosen (worker, task) pairs back into Assignments (the context's are left out)."""
    dates = campaign.dates
    result = []
    for w, t in chosen:
        person = campaign.person(problem.workers[w].key)
        key = problem.tasks[t].key
        kind = key[0]
        if kind == "context":
            continue
        if kind == "service":
            _, ward, day_index, shift_id = key
            result.append(Assignment(person.id, ward, dates[day_index], shift_id=shift_id))
        elif kind == "oncall":
            _, post, day_index, shift_id, covered = key
            result.append(Assignment(person.id, post, dates[day_index], shift_id=shift_id, covered_ward_codes=covered))
        else:
            _, point_id, need_index = key
            point = campaign.mobile_point(point_id)
            result.append(
                Assignment(person.id, point.ward_code, point.date, mobile_point_id=point_id, need_index=need_index)
            )
    return result
