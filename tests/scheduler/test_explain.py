"""Unfilled slots explained in the coordinator's words, with the smallest change that would fill them.

Campaign and helpers: ``rk`` (tests/scheduler/conftest.py). Ward A is Phường Định Công, B Phường Hoàng Mai,
C Phường Bạch Mai; travel A–B 20, A–C 45, B–C 30 minutes; day 0 is Monday 21/07/2025.
"""

from dataclasses import replace

from scheduler.explain import explain
from scheduler.model import CampaignRules, MobilePoint, Pool, Roster, StaffNeed, Unfilled


def people_with(rk, **changes_by_id):
    return tuple(replace(p, **changes_by_id[p.id]) if p.id in changes_by_id else p for p in rk.people())


def only(explanations):
    assert len(explanations) == 1
    return explanations[0]


def test_a_telecom_gap_caused_by_the_legal_weekly_hours(rk):
    """Both telecom staff within 60 minutes worked 6 × 8 h in B this week; A has nobody on Sunday."""
    campaign = rk.campaign(
        days=7,
        people=people_with(rk, VT2={"unavailable_dates": frozenset()}),
        demands=(rk.demand(rk.A, min_telecom_staff_per_day=1), rk.demand(rk.B), rk.demand(rk.C)),
    )
    campaign = replace(campaign, shifts=campaign.shifts + (rk.shift("d8", "08:00", "16:00"),))
    assignments = [rk.a(pid, rk.B, day, "d8") for pid in ("VT1", "VT2") for day in range(6)]
    gap = Unfilled("telecom_presence", rk.A, rk.day(6), None, 1, need="telecom")
    explanation = only(explain(campaign, assignments, [gap], rk.travel))
    assert explanation.unfilled == gap
    assert explanation.text_vi == (
        "Phường Định Công, 27/07, cả ngày: thiếu 1 nhân sự viễn thông — 2 người trong "
        "bán kính 60 phút đều đã đủ 48 giờ tuần này"
    )
    assert explanation.suggestion_vi == "thêm 1 nhân sự viễn thông sống trong bán kính 60 phút"
    assert explanation.text_en == (
        "Phường Định Công, 27/07, whole day: 1 telecom staff missing — all 2 people within 60 minutes: "
        "already at 48 hours this week"
    )
    assert explanation.suggestion_en == "add 1 telecom staff living within 60 minutes"
    assert (explanation.kind, explanation.person_id) == ("people", "")


def test_a_gap_closed_by_raising_a_students_weekly_cap(rk):
    """A point in A on Saturday needs a student: SV1 did 20 h (the student cap), SV2 is away, SV3 is busy in B."""
    point = MobilePoint("P1", rk.A, "Nhà văn hóa tổ 5", rk.day(5), 8 * 60, 11 * 60, (StaffNeed(1, pool=Pool.STUDENT),))
    campaign = rk.campaign(
        days=7, mobile_points=(point,), people=people_with(rk, SV2={"unavailable_dates": frozenset({rk.day(5)})})
    )
    assignments = [rk.a("SV1", rk.B, day, "sang") for day in range(5)] + [rk.a("SV3", rk.B, 5, "sang")]
    gap = Unfilled("mobile_point_staffing", rk.A, rk.day(5), None, 1, "P1", "student")
    explanation = only(explain(campaign, Roster(campaign.name, "FEASIBLE", tuple(assignments)), [gap], rk.travel))
    assert explanation.text_vi == (
        "Phường Định Công, 26/07, điểm lưu động P1 (Nhà văn hóa tổ 5, 08:00–11:00): thiếu 1 sinh viên — 3 người "
        "trong bán kính 60 phút: 1 người đã đăng ký bận ngày hoặc ca này, 1 người đang làm ở nơi khác cùng giờ, "
        "1 người đã đủ mức trần giờ của mình tuần này"
    )
    assert explanation.suggestion_vi == "cho phép Người SV1 (SV1) trực thêm 3 giờ tuần 1"
    assert (explanation.kind, explanation.person_id) == ("cap", "SV1")


def test_a_gap_with_no_candidate_in_range_says_so(rk):
    """Within 25 minutes of C nobody lives: the nearest free student, SV3 in B, is 30 minutes away."""
    point = MobilePoint("P1", rk.C, "Chợ", rk.day(0), 8 * 60, 11 * 60, (StaffNeed(2, pool=Pool.STUDENT),))
    campaign = rk.campaign(days=1, mobile_points=(point,), rules=CampaignRules(mobile_point_travel_limit_minutes=25))
    gap = Unfilled("mobile_point_staffing", rk.C, rk.day(0), None, 2, "P1", "student")
    explanation = only(explain(campaign, [], [gap], rk.travel))
    assert explanation.text_vi.endswith(
        "thiếu 2 sinh viên — không có sinh viên nào sống trong bán kính 25 phút; "
        "người gần nhất còn trống, Người SV3 (SV), cách 30 phút"
    )
    assert explanation.suggestion_vi == "thêm 2 sinh viên sống trong bán kính 25 phút"
    assert explanation.suggestion_en == "add 2 students living within 25 minutes"


def test_a_support_gap_with_a_free_candidate_suggests_placing_them(rk):
    campaign = rk.campaign(days=1, demands=(rk.demand(rk.A, min_support_staff=1),))
    gap = Unfilled("min_support_staff", rk.A, rk.day(0), "chieu", 1)
    explanation = only(explain(campaign, [rk.a("SV1", rk.B, 0, "chieu")], [gap], rk.travel))
    assert explanation.text_vi.startswith(
        "Phường Định Công, 21/07, ca chiều: thiếu 1 nhân sự hỗ trợ — 8 người "
        "trong bán kính 60 phút: 6 người còn trống nhưng chưa được xếp, "
    )
    assert "1 người đang làm ở nơi khác cùng giờ" in explanation.text_vi  # SV1, in B
    assert "1 người đã đăng ký bận ngày hoặc ca này" in explanation.text_vi  # SV3, mornings only
    assert explanation.suggestion_vi == "xếp Người KT1 (KTV, cách 0 phút) vào ca chiều 21/07 tại Phường Định Công"
    assert explanation.kind == "place" and explanation.fix is not None


def test_a_night_gap_beyond_the_response_limit_suggests_widening_it(rk):
    """A's limit is 15 minutes; KT1 (in A) is away; KT2 is free but lives 20 minutes away in B."""
    campaign = rk.campaign(
        days=1,
        people=people_with(rk, KT1={"unavailable_dates": frozenset({rk.day(0)})}),
        demands=(rk.demand(rk.A, oncall_24_7=True, night_response_limit_minutes=15),),
    )
    gap = Unfilled("oncall_24_7", rk.A, rk.day(0), "truc_dem", 1, need="technician")
    explanation = only(explain(campaign, [], [gap], rk.travel))
    assert explanation.text_vi == (
        "Phường Định Công, 21/07, trực đêm: thiếu 1 kỹ thuật viên — người duy nhất trong "
        "bán kính 15 phút, Người KT1 (KTV), đã đăng ký bận ngày hoặc ca này"
    )
    assert explanation.suggestion_vi == "nới giới hạn phản hồi ban đêm của Phường Định Công lên 20 phút"
    assert explanation.text_en == (
        "Phường Định Công, 21/07, trực đêm: 1 technician missing — the only one within 15 minutes, "
        "Người KT1 (KTV), declared busy that day or shift"
    )
    assert explanation.suggestion_en == "widen the night response limit of Phường Định Công to 20 minutes"
    assert explanation.kind == "limit"


def test_a_night_gap_next_to_a_post_suggests_extending_its_duty(rk):
    campaign = rk.campaign(
        days=1,
        people=people_with(rk, KT1={"unavailable_dates": frozenset({rk.day(0)})}),
        demands=(rk.demand(rk.A, oncall_24_7=True, night_response_limit_minutes=20), rk.demand(rk.B)),
    )
    post = rk.a("KT2", rk.B, 0, "truc_dem", covered=(rk.B,))
    gap = Unfilled("oncall_24_7", rk.A, rk.day(0), "truc_dem", 1, need="technician")
    explanation = only(explain(campaign, [post], [gap], rk.travel))
    assert (
        "Người KT2 (KTV) đang trực tại Phường Hoàng Mai (cách 20 phút) nhưng chưa được giao phụ trách"
        in explanation.text_vi
    )
    assert explanation.suggestion_vi == "giao thêm Phường Định Công cho Người KT2 (KTV) đang trực tại Phường Hoàng Mai"
    assert "Người KT2 (KTV) is on call at Phường Hoàng Mai (20 minutes away)" in explanation.text_en
    assert explanation.suggestion_en == "give Phường Định Công to Người KT2 (KTV), on call at Phường Hoàng Mai"
    assert explanation.kind == "widen"


def test_explanations_keep_the_order_of_the_gaps(rk):
    campaign = rk.campaign(days=2, demands=(rk.demand(rk.A, min_support_staff=1, min_telecom_staff_per_day=1),))
    gaps = [
        Unfilled("telecom_presence", rk.A, rk.day(1), None, 1, need="telecom"),
        Unfilled("min_support_staff", rk.A, rk.day(0), "sang", 1),
    ]
    assert [e.unfilled for e in explain(campaign, [], gaps, rk.travel)] == gaps
