"""The visits' plans on the web: a ward plans its day from the roster in force and its list, prints each team's
sheet, the team taps outcomes on its phone page, a visit not done is on the next day's list, the plan is
re-planned after a change, and the daily report counts the visits by priority group."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from scheduler.model import PriorityGroup
from scheduler.visits import VisitRequest
from tests.web.conftest import PASSWORD, login
from web import visit_plans, visits

DINH_CONG, HOANG_LIET = "00316", "00337"
DAY = date(2025, 7, 25)
EVENING_BEFORE = datetime(2025, 7, 24, 16, 0)


def _request(n: int, **extra) -> VisitRequest:
    fields = dict(
        id="0",
        ward_code=DINH_CONG,
        service_date=DAY,
        name=f"Nguyễn Văn Khách {n}",
        priority_group=PriorityGroup.ELDERLY if n % 2 else PriorityGroup.DISABLED,
        phone=f"09123456{n:02d}",
        group_name=f"Tổ dân phố số {n % 3 + 1}",
        street=f"Số {n + 2} ngõ 12 phố Định Công",
        home_visit=n != 3,
        service="procedure" if n % 2 else "other",
        procedure="Đăng ký thường trú" if n % 2 else "",
        window_start_minute=8 * 60,
        window_end_minute=11 * 60 + 30,
        service_minutes=20,
    )
    fields.update(extra)
    return VisitRequest(**fields)


@pytest.fixture
def plan_app(loaded_app):
    from web.auth import create_user

    loaded_app.config["RAQUAN_NOW"] = EVENING_BEFORE.isoformat()
    with loaded_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "UBND Định Công", ward_code=DINH_CONG)
        create_user("hoangliet", PASSWORD, "ward", "UBND Hoàng Liệt", ward_code=HOANG_LIET)
        ids = [visits.add_request(_request(n), "dinhcong", datetime(2025, 7, 24, 10, 0), late=False) for n in range(5)]
    loaded_app.config["visit_ids"] = ids
    return loaded_app


@pytest.fixture
def official(plan_app):
    client = plan_app.test_client()
    login(client, "dinhcong")
    return client


def _plan(client):
    response = client.post("/xa-phuong/lo-trinh", data={"ngay": DAY.isoformat()})
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_ward_plans_its_day_and_every_request_is_routed_or_listed_with_its_reason(plan_app, official):
    page = official.get(f"/xa-phuong/lo-trinh?ngay={DAY.isoformat()}").get_data(as_text=True)
    assert "data-no-plan" in page and "5 người trong danh sách" in page
    page = _plan(official)
    assert "Lộ trình phiên bản 1" in page
    with plan_app.app_context():
        row, plan = visit_plans.current_plan(DINH_CONG, DAY)
        assert row.version == 1 and plan.problems == ()
        assert {t.base for t in plan.teams} == {"office"}  # Định Công's service shifts; no mobile point that day
        planned, unplanned = plan.plan.planned_ids, plan.unplanned
        assert planned | set(unplanned) == {str(i) for i in plan_app.config["visit_ids"]}
        assert len(planned) >= 4  # two morning teams, five 20-minute visits in a ward of 3 km²
        for request_id in planned:
            assert f'data-visit="{request_id}"' in page
        history = visits.history(int(next(iter(planned))))
        assert any(step.kind == "planned" and step.day == DAY for step in history)


def test_a_ward_official_sees_only_their_own_wards_plan(plan_app, official):
    assert official.get(f"/xa-phuong/lo-trinh?xa={HOANG_LIET}").status_code == 403
    other = plan_app.test_client()
    login(other, "hoangliet")
    _plan(official)
    page = other.get(f"/xa-phuong/lo-trinh?ngay={DAY.isoformat()}").get_data(as_text=True)
    assert "data-no-plan" in page  # Hoàng Liệt's own (empty) day, not Định Công's
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
    team = plan.teams[0].id
    assert other.get(f"/xa-phuong/lo-trinh/{team}/in?ngay={DAY.isoformat()}").status_code == 404


def test_the_route_sheet_prints_the_order_times_people_and_a_map(plan_app, official):
    _plan(official)
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
    route = next(r for r in plan.plan.routes if r.visits)
    response = official.get(f"/xa-phuong/lo-trinh/{route.vehicle_id}/in?ngay={DAY.isoformat()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "PHIẾU LỘ TRÌNH PHỤC VỤ LƯU ĐỘNG" in page and "25/07/2025" in page
    rows = re.findall(r'<tr data-visit="(\d+)"><td>(\d+)</td><td>(\d\d:\d\d)', page)
    assert [r[0] for r in rows] == [v.stop_id for v in route.visits]
    assert [int(r[1]) for r in rows] == list(range(1, len(route.visits) + 1))
    assert [r[2] for r in rows] == [f"{v.start_minute // 60:02d}:{v.start_minute % 60:02d}" for v in route.visits]
    first = plan.request(route.visits[0].stop_id)
    assert first.name in page and first.phone in page
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    tree = ET.fromstring(svg)
    assert tree.tag.endswith("svg") and "https://" not in svg.replace("http://www.w3.org", "")


def test_the_team_taps_outcomes_and_a_visit_not_at_home_is_on_the_next_days_list(plan_app, official):
    _plan(official)
    with plan_app.app_context(), plan_app.test_request_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        route = next(r for r in plan.plan.routes if len(r.visits) >= 2)
        link = visit_plans.team_path(DINH_CONG, DAY, route.vehicle_id)
    team = plan_app.test_client()  # no sign-in: the link is the key
    page = team.get(link).get_data(as_text=True)
    first, second = (v.stop_id for v in route.visits[:2])
    assert f'id="v{first}"' in page and "geo:" in page and "tel:" in page
    revision = re.search(rf'name="request" value="{first}">\s*<input type="hidden" name="revision" value="(\d+)"', page)
    done = team.post(link, data={"request": first, "revision": revision.group(1), "outcome": "done"})
    assert done.status_code == 303
    again = team.post(link, data={"request": first, "revision": revision.group(1), "outcome": "not_home"})
    assert again.status_code == 303  # a second tap from the old page records nothing
    page = team.get(link).get_data(as_text=True)
    assert "Lượt thăm này đã được ghi trước đó" in page
    revision2 = re.search(
        rf'name="request" value="{second}">\s*<input type="hidden" name="revision" value="(\d+)"', page
    )
    team.post(link, data={"request": second, "revision": revision2.group(1), "outcome": "not_home"})
    no_note = team.post(link, data={"request": first, "revision": "0", "outcome": "follow_up"})
    assert no_note.status_code == 303
    with plan_app.app_context():
        entries = {str(e.row.id): e for e in visits.day_list(DINH_CONG, DAY)}
        assert entries[first].outcome == "done" and entries[second].outcome == "not_home"
        tomorrow = {str(e.row.id): e for e in visits.day_list(DINH_CONG, date(2025, 7, 26))}
        assert second in tomorrow and tomorrow[second].waiting and first not in tomorrow
        assert tomorrow[second].carried_from == DAY
    assert team.get(link.replace(link[-6:], "xxxxxx")).status_code == 404


def test_a_cancelled_request_and_a_member_who_left_are_replanned_keeping_what_was_done(plan_app, official):
    _plan(official)
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        route = next(r for r in plan.plan.routes if len(r.visits) >= 2)
        done_id = route.visits[0].stop_id
        visits.record_outcome(int(done_id), "done", "", "team", datetime(2025, 7, 25, 9, 0), DAY, route.vehicle_id)
        cancelled_id = route.visits[1].stop_id
        assert visits.cancel_request(int(cancelled_id), "dinhcong", datetime(2025, 7, 25, 9, 0), "đã tự làm trực tuyến")
    plan_app.config["RAQUAN_NOW"] = "2025-07-25T09:05"
    page = official.get(f"/xa-phuong/lo-trinh?ngay={DAY.isoformat()}").get_data(as_text=True)
    assert "data-changes" in page and "đã huỷ" in page
    page = _plan(official)
    assert "Lộ trình phiên bản 2" in page
    with plan_app.app_context():
        _, after = visit_plans.current_plan(DINH_CONG, DAY)
        assert after.problems == ()
        assert cancelled_id not in after.plan.planned_ids and cancelled_id not in after.unplanned
        kept = after.route_of(route.vehicle_id)
        assert kept.visits[0] == route.visits[0]  # done: kept as it was
        assert all(v.start_minute >= 9 * 60 + 5 for v in kept.visits[1:])  # the rest from now on


def test_the_daily_report_counts_visits_by_priority_group_and_who_still_waits(plan_app, official):
    from tests.web.conftest import login as sign_in

    _plan(official)
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        ids = sorted(plan.plan.planned_ids, key=int)
        groups = {i: plan.request(i).priority_group for i in ids}
        visits.record_outcome(int(ids[0]), "done", "", "team", datetime(2025, 7, 25, 9, 0), DAY, None)
        visits.record_outcome(int(ids[1]), "not_home", "", "team", datetime(2025, 7, 25, 9, 30), DAY, None)
        figures = visit_plans.day_figures(DAY)
    assert figures["done"] == 1 and figures["not_home"] == 1
    labels = {row["group"]: row for row in figures["groups"]}
    assert labels[groups[ids[0]].label_vi]["done"] >= 1
    assert figures["waiting"] == len(plan.requests) - 1  # all but the one done are still to be served
    coordinator = plan_app.test_client()
    sign_in(coordinator, "dieuphoi")
    page = coordinator.get(f"/dieu-phoi/bao-cao-ngay?date={DAY.isoformat()}").get_data(as_text=True)
    assert "data-visits" in page and "Phục vụ lưu động tận nhà" in page and "data-visit-group" in page


def test_a_team_member_finds_the_route_on_their_own_page(plan_app, official):
    _plan(official)
    with plan_app.app_context(), plan_app.test_request_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        team = next(t for t in plan.teams if plan.route_of(t.id))
        member = team.member_ids[0]
        links = visit_plans.team_links_for(member, DAY)
        mine = [t.label for t in plan.teams if member in t.member_ids]  # a person may work both shifts
        assert [(day, label) for day, label, _link in links] == [(DAY, label) for label in mine]
        assert team.label in mine
        assert visit_plans.team_links_for(member, date(2025, 7, 26)) == []
        assert visit_plans.team_links_for("nobody", DAY) == []


def test_a_residential_group_leader_lands_on_the_list_and_cannot_plan(plan_app):
    from web.auth import create_user

    with plan_app.app_context():
        create_user("totruong", PASSWORD, "group", "Tổ trưởng tổ dân phố số 5", ward_code=DINH_CONG)
    client = plan_app.test_client()
    assert login(client, "totruong").headers["Location"].endswith("/xa-phuong/danh-sach/")
    assert client.get(f"/xa-phuong/lo-trinh?ngay={DAY.isoformat()}").status_code == 403
    page = client.get("/xa-phuong/danh-sach/").get_data(as_text=True)
    assert "Ca trực của tôi" not in page and "Danh sách lưu động" in page


def test_cancelling_a_planned_request_on_the_list_replans_the_day_at_once(plan_app, official):
    _plan(official)
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        route = next(r for r in plan.plan.routes if len(r.visits) >= 2)
        gone = route.visits[0].stop_id
        revision = visits.get(int(gone)).revision
    response = official.post(
        f"/xa-phuong/danh-sach/{gone}/huy?ngay={DAY.isoformat()}", data={"reason": "đã tự làm", "revision": revision}
    )
    assert response.status_code == 302
    with plan_app.app_context():
        row, after = visit_plans.current_plan(DINH_CONG, DAY)
    assert row.version == 2 and after.problems == ()
    assert gone not in after.plan.planned_ids and gone not in after.unplanned
    rest = [v.stop_id for v in route.visits[1:]]
    assert [v.stop_id for v in after.route_of(route.vehicle_id).visits if v.stop_id in rest] == rest


def test_a_team_member_who_cancels_has_the_day_replanned_without_them(plan_app, official):
    from scheduler.events import Event
    from web import live

    _plan(official)
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        team = next(t for t in plan.teams if plan.route_of(t.id))
        member = team.member_ids[0]
        live.record_event(
            Event("cancellation", EVENING_BEFORE, "dieuphoi", person_id=member, dates=(DAY,), reason="ốm"),
            "coordinator",
        )
        row, after = visit_plans.current_plan(DINH_CONG, DAY)
        assert row.version == 2 and row.created_by == "event:cancellation" and after.problems == ()
        assert all(member not in t.member_ids for t in after.teams)
        # Someone else's cancellation on another day leaves the plan alone.
        other = next(p.id for p in live.live_campaign().people if p.id != member)
        live.record_event(
            Event("cancellation", EVENING_BEFORE, "dieuphoi", person_id=other, dates=(date(2025, 7, 26),)),
            "coordinator",
        )
        assert visit_plans.current_plan(DINH_CONG, DAY)[0].version == 2


def test_each_member_of_a_team_with_visits_is_sent_the_teams_link_once(plan_app, official):
    from sqlalchemy import select

    from web.models import db
    from web.outbox import OutboxMessage

    plan_app.config["RAQUAN_SMS_URL"] = "http://127.0.0.1:9/send"
    plan_app.config["RAQUAN_PUBLIC_URL"] = "https://raquan.example.vn"
    _plan(official)
    with plan_app.app_context():
        _, plan = visit_plans.current_plan(DINH_CONG, DAY)
        members = {m for t in plan.teams if plan.route_of(t.id) and plan.route_of(t.id).visits for m in t.member_ids}
        sms = list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "visit_route", OutboxMessage.channel == "sms")
            )
        )
        assert members and {m.person_id for m in sms} == members
        first = sms[0]
        assert first.body.startswith("Lo trinh 25/07: https://raquan.example.vn/doi/") and len(first.body) <= 160
        link = first.body.split(": ", 1)[1].split(" ")[0]
    assert plan_app.test_client().get(link.removeprefix("https://raquan.example.vn")).status_code == 200
    _plan(official)  # a re-plan: the link shows the new plan; nobody is told twice
    with plan_app.app_context():
        again = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "visit_route", OutboxMessage.channel == "sms")
        ).all()
        assert len(again) == len(sms)


def test_raquan_visits_plan_plans_every_ward_of_tomorrow_with_a_list(plan_app, tmp_path, monkeypatch, capsys):
    """The command a cron runs after the cut-off: every ward of tomorrow with a list and no plan yet."""
    from raquan.cli import main

    monkeypatch.setenv("RAQUAN_DATABASE_URL", plan_app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("RAQUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RAQUAN_SECRET_KEY", "test-secret")
    monkeypatch.setenv("RAQUAN_NOW", "2025-07-24T15:05")
    assert main(["visits", "plan", "--seconds", "5"]) == 0
    assert "Đã lập lộ trình ngày 25/07/2025 cho 1 xã, phường" in capsys.readouterr().out
    with plan_app.app_context():
        row, plan = visit_plans.current_plan(DINH_CONG, DAY)
        assert row.version == 1 and row.created_by == "raquan visits plan" and plan.problems == ()
    assert main(["visits", "plan", "--day", "2025-07-25", "--seconds", "5"]) == 0  # planned already: left alone
    assert "cho 0 xã, phường" in capsys.readouterr().out
    assert main(["visits", "plan", "--day", "25/07"]) == 2


def test_two_plans_of_one_day_at_once_store_one_version_and_no_error(plan_app, official):
    """Another process stores version 1 between this one's reading of the versions and its insert."""
    from datetime import datetime as moment

    from sqlalchemy import event, func, insert, select

    from scheduler.visit_plan import plan_ward_day
    from web.models import db
    from web.visits import VisitPlanRow, VisitStep

    with plan_app.app_context():
        campaign, roster = visit_plans.roster_now()
        requests, _visited = visit_plans.day_requests(DINH_CONG, DAY)
        plan = plan_ward_day(campaign, roster, DINH_CONG, DAY, requests, seconds=0.5)
        steps_before = db.session.scalar(select(func.count()).select_from(VisitStep))

        def the_other_process(session, flush_context, instances):
            with db.engine.begin() as other:  # its own connection and transaction, committed at once
                other.execute(
                    insert(VisitPlanRow).values(
                        ward_code=DINH_CONG, day=DAY, version=1, created_at=moment(2025, 7, 24, 16, 0),
                        created_by="other", reason="x", body=json.dumps(visit_plans.plan_to_dict(plan)),
                    )
                )  # fmt: skip

        event.listen(db.session(), "before_flush", the_other_process, once=True)
        stored = visit_plans.save_plan(plan, "this", "x", moment(2025, 7, 24, 16, 0))
        assert stored.created_by == "other" and stored.version == 1
        assert db.session.scalar(select(func.count()).select_from(VisitPlanRow)) == 1
        assert db.session.scalar(select(func.count()).select_from(VisitStep)) == steps_before  # nothing half-stored
