"""Gap filling after the cluster solves: it closes gaps only with people who keep every rule."""

from scheduler.solver.fill import fill_gaps
from scheduler.verify import check_people_rules, unfilled_slots


def test_fill_closes_a_support_gap_with_the_nearest_free_person(rk):
    campaign = rk.campaign(demands=(rk.demand(rk.A, min_support_staff=1),), days=1)
    gaps = unfilled_slots(campaign, [], rk.travel)
    assert {(u.rule, u.shift_id) for u in gaps} == {("min_support_staff", "sang"), ("min_support_staff", "chieu")}
    added = fill_gaps(campaign, [], gaps, rk.travel)
    assert unfilled_slots(campaign, added, rk.travel) == []
    assert {a.ward_code for a in added} == {rk.A}
    homes = {campaign.person(a.person_id).home_ward_code for a in added}
    assert homes == {rk.A}  # the nearest people live in the ward itself
    assert check_people_rules(campaign, added, rk.travel) == []


def test_fill_never_breaks_a_people_rule(rk):
    """Two days of support for three wards and 24/7 on call: more than eight people can give."""
    demands = tuple(
        rk.demand(code, min_support_staff=2, oncall_24_7=True, min_telecom_staff_per_day=1)
        for code in (rk.A, rk.B, rk.C)
    )
    campaign = rk.campaign(demands=demands, days=2)
    gaps = unfilled_slots(campaign, [], rk.travel)
    added = fill_gaps(campaign, [], gaps, rk.travel)
    assert added
    assert check_people_rules(campaign, added, rk.travel) == []
    left = sum(u.missing for u in unfilled_slots(campaign, added, rk.travel))
    assert left < sum(u.missing for u in gaps)


def test_fill_respects_the_night_response_limit(rk):
    """Ward C's night needs a technician within 30 minutes: KT3 lives there but is not night-eligible."""
    demands = (rk.demand(rk.C, oncall_24_7=True, night_response_limit_minutes=30),)
    campaign = rk.campaign(demands=demands, days=1)
    gaps = [u for u in unfilled_slots(campaign, [], rk.travel) if u.shift_id == "truc_dem"]
    added = fill_gaps(campaign, [], gaps, rk.travel)
    assert [a.person_id for a in added] == ["KT2"]  # 30 minutes away, exactly at the limit
    narrower = rk.campaign(demands=(rk.demand(rk.C, oncall_24_7=True, night_response_limit_minutes=29),), days=1)
    assert fill_gaps(narrower, [], gaps, rk.travel) == []


def test_widen_posts_gives_an_on_call_gap_to_the_nearest_post_within_the_limit(rk):
    """B's night has no technician; KT1's post at A (20 minutes away, B's limit 30) takes B on."""
    from scheduler.solver.fill import widen_posts

    demands = (
        rk.demand(rk.A, oncall_24_7=True),
        rk.demand(rk.B, oncall_24_7=True, night_response_limit_minutes=30),
        rk.demand(rk.C, oncall_24_7=True, night_response_limit_minutes=29),
    )
    campaign = rk.campaign(demands=demands, days=1)
    post = rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A,))
    gaps = [u for u in unfilled_slots(campaign, [post], rk.travel) if u.shift_id == "truc_dem"]
    assert {u.ward_code for u in gaps} == {rk.B, rk.C}
    roster, widened = widen_posts(campaign, [post], gaps, rk.travel)
    assert widened == 1  # C is 45 minutes from A, over its 29-minute limit
    assert roster == [rk.a("KT1", rk.A, 0, "truc_dem", covered=(rk.A, rk.B))]
    left = {u.ward_code for u in unfilled_slots(campaign, roster, rk.travel) if u.shift_id == "truc_dem"}
    assert left == {rk.C}
    assert check_people_rules(campaign, roster, rk.travel) == []


def test_the_explained_fixes_leave_no_explanation_naming_a_fix(rk):
    """Every gap an explanation can close alone is closed; the explanations left name none."""
    from scheduler.explain import explain
    from scheduler.solver.fill import apply_explained_fixes

    demands = (rk.demand(rk.A, min_support_staff=2), rk.demand(rk.B, oncall_24_7=True))
    campaign = rk.campaign(demands=demands, days=2)
    before = unfilled_slots(campaign, [], rk.travel)
    assert any(e.fix is not None for e in explain(campaign, [], before, rk.travel))
    roster, applied, last = apply_explained_fixes(campaign, [], rk.travel)
    assert applied > 0
    assert check_people_rules(campaign, roster, rk.travel) == []
    after = unfilled_slots(campaign, roster, rk.travel)
    assert sum(u.missing for u in after) < sum(u.missing for u in before)
    final = explain(campaign, roster, after, rk.travel)
    assert [e.fix for e in final] == [None] * len(final)
    assert last is not None and [e.unfilled for e in last] == after
