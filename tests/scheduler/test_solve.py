"""The campaign solve end to end on small campaigns: allocation, clusters, pins, verified results."""

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler.model import Assignment, Pool
from scheduler.scenarios import hanoi_scenario, tiny_scenario
from geo.travel import province_travel
from scheduler.solver.solve import SolveSettings, allocate, plan_clusters, solve_campaign
from scheduler.verify import verify


@pytest.fixture(scope="module")
def tiny_solved():
    campaign = tiny_scenario()
    roster, figures = solve_campaign(campaign, SolveSettings(time_limit_seconds=20, workers=1))
    return campaign, roster, figures


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
    again, _ = solve_campaign(pinned, SolveSettings(time_limit_seconds=20, workers=1))
    assert pin in again.assignments
    assert verify(pinned, again, province_travel(pinned.province)).ok


def test_every_person_is_allocated_once_and_pins_go_to_their_ward():
    campaign = hanoi_scenario(seed=2)
    travel = province_travel(campaign.province)
    clusters = plan_clusters(campaign, travel, SolveSettings())
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
    clusters = plan_clusters(campaign, travel, SolveSettings())
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
        SolveSettings(workers=0)
