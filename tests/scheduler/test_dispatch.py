"""Dispatch's library side: who is responsible now, the ranked candidates with their reasons, call-outs
checked by the people's calendar, the lifecycle, and the response figures.

The rule tests' campaign (tests/scheduler/conftest.py): wards A, B, C with travel A–B 20, A–C 45,
B–C 30 minutes; the Hanoi shifts (sang 07:30–11:30, trực trưa, chiều 13:30–17:30, trực tối
17:30–23:30, trực đêm 23:30–07:30); KT1 (home A) and KT2 (home B) night-eligible, KT3 (home C) not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from scheduler import dispatch
from scheduler.calendar import Calendar
from scheduler.model import CampaignRules


def at(rk, day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(rk.day(day), datetime.min.time()) + timedelta(hours=hours, minutes=minutes)


def campaign(rk, **people_changes):
    people = tuple(replace(p, **people_changes[p.id]) if p.id in people_changes else p for p in rk.campaign().people)
    demands = tuple(rk.demand(code, night_response_limit_minutes=40) for code in (rk.A, rk.B, rk.C))
    return rk.campaign(people=people, demands=demands, rules=CampaignRules(day_response_limit_minutes=25))


def incident(ward, when, category="procedure", urgent=True):
    return dispatch.Incident("1", ward, category, urgent, when)


def ranked(rk, c, roster, inc, **kwargs):
    kwargs.setdefault("limit", None)
    return dispatch.candidates(c, roster, inc, inc.reported_at, rk.travel, **kwargs)


# --- the roster now -------------------------------------------------------------------------------------------------


def test_the_limit_is_the_day_one_in_service_hours_and_the_wards_night_one_otherwise(rk):
    c = campaign(rk)
    assert dispatch.response_limit_minutes(c, rk.A, at(rk, 0, "09:00")) == 25
    assert dispatch.response_limit_minutes(c, rk.A, at(rk, 0, "12:00")) == 40  # trực trưa is on call
    assert dispatch.response_limit_minutes(c, rk.A, at(rk, 1, "03:00")) == 40
    night = dispatch.slots_at(c, at(rk, 1, "03:00"))
    assert [(day, shift.id) for day, shift in night] == [(rk.day(0), "truc_dem")]  # the shift of the day it starts


def test_responsible_now_follows_service_posts_and_on_call_cover(rk):
    c = campaign(rk)
    roster = [
        rk.a("KT1", rk.A, 0, "sang"),
        rk.a("KT2", rk.A, 0, "truc_toi", covered=(rk.A, rk.B)),
        rk.a("KT3", rk.C, 0, "truc_toi", covered=(rk.C, rk.A)),  # A is 45 min away: over its 40
    ]
    assert dispatch.responsible_now(c, roster, at(rk, 0, "09:00"), rk.travel) == {rk.A: ["KT1"]}
    assert dispatch.responsible_now(c, roster, at(rk, 0, "20:00"), rk.travel) == {
        rk.A: ["KT2"],
        rk.B: ["KT2"],
        rk.C: ["KT3"],
    }


# --- candidates -----------------------------------------------------------------------------------------------------


def test_the_responsible_technician_comes_first_with_the_wards_they_leave_in_words(rk):
    c = campaign(rk)
    roster = [
        rk.a("KT2", rk.A, 0, "truc_toi", covered=(rk.A, rk.B)),
        rk.a("KT1", rk.B, 0, "truc_toi", covered=(rk.B,)),
    ]
    first, second = ranked(rk, c, roster, incident(rk.B, at(rk, 0, "20:00"), "network"))[:2]
    assert (first.person_id, first.tier, first.arrival_minutes, first.uncovered) == ("KT1", "responsible", 0, ())
    assert (second.person_id, second.tier, second.arrival_minutes) == ("KT2", "responsible", 20)
    # away 20 out + 45 on site + 20 back; B keeps KT1, A has nobody else
    assert second.uncovered == ((rk.A, 85),)
    assert "đến sau 20 phút" in second.reason_vi
    assert f"rời {c.ward(rk.A).name} sẽ không có người trực trong ~85 phút" in second.reason_vi


def test_candidates_over_the_limit_come_after_every_one_within_it_soonest_first(rk):
    c = campaign(rk)
    roster = [rk.a("KT3", rk.C, 0, "sang"), rk.a("KT1", rk.A, 0, "sang")]
    order = ranked(rk, c, roster, incident(rk.B, at(rk, 0, "09:00")))
    on_duty = [x for x in order if x.tier != "call_out"]
    assert [(x.person_id, x.arrival_minutes, x.within_limit) for x in on_duty] == [
        ("KT1", 20, True),
        ("KT3", 30, False),
    ]
    assert order.index(on_duty[1]) == len(order) - 1 or all(x.within_limit for x in order[: order.index(on_duty[1])])
    assert "quá giới hạn 25 phút" in on_duty[1].reason_vi


def test_a_matching_skill_counts_as_that_many_minutes_nearer(rk):
    roster = [rk.a("KT1", rk.A, 0, "sang")]

    def kt1(c):
        return next(
            x for x in ranked(rk, c, roster, incident(rk.B, at(rk, 0, "09:00"), "network")) if x.person_id == "KT1"
        )

    plain = kt1(campaign(rk))
    skilled = kt1(campaign(rk, KT1={"skills": frozenset({"mang"})}))
    assert not plain.skill_match and skilled.skill_match and "đúng chuyên môn" in skilled.reason_vi
    assert plain.score - skilled.score == dispatch.SKILL_MISMATCH_MINUTES


def test_a_technician_at_an_incident_sets_out_from_it_when_free_and_uncovers_nothing_more(rk):
    c = campaign(rk)
    now = at(rk, 0, "20:00")
    roster = [rk.a("KT2", rk.A, 0, "truc_toi", covered=(rk.A, rk.B))]
    busy = [dispatch.Engagement("KT2", rk.C, now + timedelta(minutes=10))]
    only = [x for x in ranked(rk, c, roster, incident(rk.B, now), engagements=busy) if x.person_id == "KT2"][0]
    assert (only.from_ward_code, only.busy_minutes, only.arrival_minutes) == (rk.C, 10, 40)
    assert only.uncovered == ()
    assert "đang xử lý sự cố ở" in only.reason_vi


def test_a_call_out_is_offered_only_when_the_calendar_allows_it_and_is_the_running_slot(rk):
    c = campaign(rk)
    now = at(rk, 0, "20:00")
    order = ranked(rk, c, [], incident(rk.B, now))
    callouts = {x.person_id: x for x in order if x.tier == "call_out"}
    assert set(callouts) == {"KT1", "KT2"}  # KT3 is not night-eligible
    callout = callouts["KT2"].callout
    assert (callout.ward_code, callout.date, callout.shift_id, callout.covered_ward_codes) == (
        rk.B,
        rk.day(0),
        "truc_toi",
        (rk.B,),
    )
    assert callouts["KT2"].arrival_minutes == dispatch.CALLOUT_READY_MINUTES  # lives in B
    assert Calendar(c, []).breaks(callout) == []
    # KT1 worked until 17:30 and starts again at 07:30: an evening call-out would cut the 12-hour rest
    tired = [rk.a("KT1", rk.A, 0, "chieu"), rk.a("KT1", rk.A, 1, "sang")]
    assert "KT1" not in {x.person_id for x in ranked(rk, c, tired, incident(rk.B, now)) if x.tier == "call_out"}
    # a recorded call-out is work: the same person is then on duty in that slot, not called out again
    again = ranked(rk, c, [], incident(rk.A, now + timedelta(minutes=30)), callouts=[callout])
    assert {x.person_id: x.tier for x in again}["KT2"] == "on_duty"


def test_excluded_people_are_not_offered_and_the_limit_cuts_the_list(rk):
    c = campaign(rk)
    roster = [rk.a("KT1", rk.A, 0, "sang"), rk.a("KT2", rk.B, 0, "sang")]
    inc = incident(rk.A, at(rk, 0, "09:00"))
    assert "KT1" not in {x.person_id for x in ranked(rk, c, roster, inc, exclude={"KT1"})}
    assert len(dispatch.candidates(c, roster, inc, inc.reported_at, rk.travel, limit=1)) == 1


# --- the lifecycle and the figures ----------------------------------------------------------------------------------


def test_the_lifecycle_allows_its_steps_and_closes_for_good():
    assert dispatch.can_move(dispatch.REPORTED, dispatch.ASSIGNED)
    assert dispatch.can_move(dispatch.ON_THE_WAY, dispatch.ASSIGNED)  # reassign at any open step
    assert dispatch.can_move(dispatch.ASSIGNED, dispatch.RESOLVED_REMOTE)
    assert not dispatch.can_move(dispatch.REPORTED, dispatch.ARRIVED)
    assert not dispatch.can_move(dispatch.ARRIVED, dispatch.RESOLVED_REMOTE)
    for closed in dispatch.CLOSED_STATES:
        assert not any(dispatch.can_move(closed, to) for to in dispatch.STATES)


def test_percentiles_interpolate_between_ranks():
    assert dispatch.percentile([], 50) is None
    assert dispatch.percentile([10], 90) == 10
    assert dispatch.percentile([10, 20, 30, 40], 50) == 25
    assert dispatch.percentile(list(range(1, 11)), 90) == pytest.approx(9.1)


def test_incident_figures_count_late_arrivals_and_open_ones_past_their_limit():
    t0 = datetime(2025, 7, 24, 9, 0)
    records = [
        dispatch.IncidentRecord("A", t0, 30, t0 + timedelta(minutes=10), t0 + timedelta(minutes=40)),
        dispatch.IncidentRecord("A", t0, 30, t0 + timedelta(minutes=50), t0 + timedelta(minutes=80)),  # late
        dispatch.IncidentRecord("B", t0, 30, None, t0 + timedelta(minutes=5), remote=True),  # by phone
        dispatch.IncidentRecord("B", t0, 30),  # still waiting at 10:00: late
        dispatch.IncidentRecord("C", t0, 30, cancelled=True),
    ]
    figures = dispatch.incident_figures(records, t0 + timedelta(hours=1))
    assert (figures.reported, figures.resolved, figures.late) == (5, 3, 2)
    assert (figures.arrival_median, figures.resolution_median) == (30, 40)


def test_uncovered_minutes_merge_overlaps_and_clip_to_the_day():
    day = datetime(2025, 7, 24)
    m = lambda minutes: day + timedelta(minutes=minutes)  # noqa: E731
    intervals = [("A", m(60), m(120)), ("A", m(100), m(150)), ("A", m(200), m(210)), ("B", m(-30), m(30))]
    assert dispatch.uncovered_minutes(intervals, day, day + timedelta(days=1)) == {"A": 100, "B": 30}


def test_a_responsible_technician_busy_elsewhere_competes_by_score_with_someone_free(rk):
    c = campaign(rk)
    now = at(rk, 0, "20:00")
    roster = [
        rk.a("KT2", rk.B, 0, "truc_toi", covered=(rk.A, rk.B)),  # responsible for A, 20 min away, busy 10 more
        rk.a("KT1", rk.A, 0, "truc_toi", covered=(rk.C,)),  # at A, free, answers for C (over its limit, so none)
    ]
    busy = [dispatch.Engagement("KT2", rk.A, now + timedelta(minutes=10))]
    order = [x for x in ranked(rk, c, roster, incident(rk.A, now), engagements=busy) if x.tier != "call_out"]
    assert [(x.person_id, x.tier, x.arrival_minutes) for x in order] == [
        ("KT1", "on_duty", 0),
        ("KT2", "responsible", 10),
    ]
    free = [x for x in ranked(rk, c, roster, incident(rk.A, now)) if x.tier != "call_out"]
    assert [(x.person_id, x.arrival_minutes) for x in free] == [("KT2", 20), ("KT1", 0)]  # free: responsible first
