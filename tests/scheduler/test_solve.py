"""The campaign solve end to end on small campaigns: allocation, clusters, pins, verified results."""

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from geo.travel import province_travel
from scheduler.model import Assignment, Pool
from scheduler.pipeline import solve
from scheduler.scenarios import hanoi_scenario, tiny_scenario
from scheduler.settings import SolveSettings, settings_from_table
from scheduler.solver.allocate import allocate, plan_clusters
from scheduler.verify import verify


@pytest.fixture(scope="module")
def tiny_solved():
    campaign = tiny_scenario()
    result = solve(campaign, SolveSettings(time_limit_seconds=20, processes=1))
    return campaign, result.roster, result.figures


def test_tiny_is_solved_to_optimality_and_verified(tiny_solved):
    campaign, roster, _ = tiny_solved
    assert roster.status == "OPTIMAL"
    assert roster.objective == roster.best_bound
    report = verify(campaign, roster, province_travel(campaign.province))
    assert report.ok
    assert report.objective == roster.objective  # the engine's objective is the checker's
    assert Counter(report.unfilled) == Counter(roster.unfilled)


def test_tiny_fills_every_support_shift_of_the_inner_wards(tiny_solved):
    campaign, roster, _ = tiny_solved
    short = {(u.ward_code, u.rule) for u in roster.unfilled}
    dinh_cong = campaign.wards[0].code
    assert (dinh_cong, "min_support_staff") not in short
    assert (dinh_cong, "telecom_presence") not in short


def test_a_pinned_assignment_is_kept_even_where_it_costs(tiny_solved):
    campaign, roster, _ = tiny_solved
    bat_bat = campaign.wards[2].code
    day = campaign.start_date + timedelta(days=2)
    pin = Assignment("SV0003", bat_bat, day, shift_id="sang")  # a long trip for a Hoàng Liệt student
    assert pin not in roster.assignments
    pinned = replace(campaign, pins=(pin,))
    again = solve(pinned, SolveSettings(time_limit_seconds=20, processes=1)).roster
    assert pin in again.assignments
    assert verify(pinned, again, province_travel(pinned.province)).ok


def test_every_person_is_allocated_once_and_pins_go_to_their_ward():
    campaign = hanoi_scenario(seed=2)
    travel = province_travel(campaign.province)
    clusters = plan_clusters(campaign, travel, SolveSettings().max_cluster_size)
    pin_person = campaign.people_in(Pool.STUDENT)[0]
    far_ward = campaign.wards[-1].code
    pinned = replace(campaign, pins=(Assignment(pin_person.id, far_ward, campaign.start_date, shift_id="sang"),))
    allocation = allocate(pinned, travel, clusters)
    assert set(allocation) == {p.id for p in campaign.people}
    assert allocation[pin_person.id] == far_ward
    students = Counter(w for pid, w in allocation.items() if campaign.person(pid).pool is Pool.STUDENT)
    assert min(students[d.ward_code] for d in campaign.demands) >= 10  # every ward gets a share


def test_clusters_partition_the_wards_within_the_response_limit():
    campaign = hanoi_scenario(seed=2)
    travel = province_travel(campaign.province)
    clusters = plan_clusters(campaign, travel, SolveSettings().max_cluster_size)
    wards = [w for c in clusters for w in c.wards]
    assert sorted(wards) == sorted(d.ward_code for d in campaign.demands)
    for cluster in clusters:
        assert cluster.wards[0] == cluster.post
        assert len(cluster.wards) <= 4
        for ward in cluster.wards:
            assert travel(cluster.post, ward) <= campaign.demand(ward).night_response_limit_minutes


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError):
        SolveSettings(time_limit_seconds=0)
    with pytest.raises(ValueError):
        SolveSettings(processes=0)
    with pytest.raises(ValueError):
        SolveSettings(cp_sat_workers=1.5)
    with pytest.raises(ValueError):
        SolveSettings(repair="yes")
    with pytest.raises(ValueError):
        SolveSettings(cluster_work=-0.5)
    assert settings_from_table({"cluster_work": 0.5})[0].cluster_work == 0.5


def test_a_work_bounded_solve_gives_the_same_roster_twice():
    """Bounded by work, nothing in the solve reads the clock: two runs agree assignment for assignment."""
    campaign = tiny_scenario()
    settings = SolveSettings(time_limit_seconds=30, processes=1, cluster_work=0.5, seed=3)
    first, second = solve(campaign, settings), solve(campaign, settings)
    assert first.figures["clock_stopped"] == 0
    assert first.roster.assignments == second.roster.assignments and first.report.ok


def test_solver_settings_from_campaign_toml_name_each_bad_key():
    settings, problems = settings_from_table({"time_limit_seconds": 12, "processes": 3, "threads": 2, "seed": -1})
    assert settings == SolveSettings(time_limit_seconds=12, processes=3)
    assert [key for key, _ in problems] == ["solver.threads", "solver.seed"]
    assert "cp_sat_workers" in problems[0][1]


def test_the_result_says_what_it_holds(tiny_solved):
    campaign, roster, figures = tiny_solved
    result = solve(campaign, SolveSettings(time_limit_seconds=5, processes=1))
    assert result.is_feasible() and result.report.ok
    assert len(result.explanations) == len(result.report.unfilled) == len(result.roster.unfilled)
    assert sum(getattr(campaign.weights, k) * v for k, v in result.terms.items()) == result.roster.objective
    assert "Phủ:" in result.summary() and f"{len(result.roster.assignments)} phân công" in result.summary()
    assert figures["fixes_left"] == 0
