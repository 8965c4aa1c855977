"""Volunteers' self-service within the rules: offers and swaps checked for both people against the roster in force,
the coordinator's approval as a new published version, refusals, stale requests, one click applied once, busy days
respected by the next repair."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from scheduler.model import Assignment

D1, D2, D3 = date(2025, 7, 24), date(2025, 7, 25), date(2025, 7, 26)
DC = "00316"  # Phường Định Công
BOTH = (DC, "00337")
NOW = "2025-07-23T20:00"  # the evening before the campaign: every shift is ahead

# SV0001 has a weekly cap of 16 hours; SV0002 cannot work on 25/07.
ROSTER = [
    Assignment("SV0001", DC, D1, "sang"),
    Assignment("SV0001", DC, D1, "chieu"),
    Assignment("SV0001", DC, D2, "sang"),
    Assignment("SV0001", DC, D2, "chieu"),  # 16 hours: at the cap
    Assignment("SV0002", DC, D1, "sang"),
    Assignment("SV0002", DC, D3, "sang"),
    Assignment("SV0004", DC, D2, "sang"),
    Assignment("SV0004", DC, D3, "chieu"),
    Assignment("KT0002", DC, D1, "truc_toi", covered_ward_codes=BOTH),  # ends 23:30
    Assignment("KT0002", DC, D2, "truc_trua", covered_ward_codes=BOTH),
    Assignment("KT0003", DC, D2, "sang"),
    Assignment("KT0003", DC, D3, "chieu"),
    Assignment("VT0001", DC, D1, "sang"),
    Assignment("VT0001", DC, D2, "sang"),
    Assignment("VT0001", DC, D3, "sang"),
]
SWAP_GIVE = Assignment("SV0004", DC, D3, "chieu")
SWAP_TAKE = Assignment("SV0002", DC, D1, "sang")
RULE_WEEKLY = "tối đa 48 giờ mỗi tuần, sinh viên theo mức trần"
RULE_REST = "nghỉ ít nhất 12 giờ giữa hai ngày làm việc"


def publish(app, assignments) -> int:
    """Publish ``assignments`` as a version checked by the checker (its gaps declared); the version's id."""
    from scheduler.model import Roster
    from scheduler.verify import verify
    from web import store

    with app.app_context():
        campaign = store.campaign()
        roster = Roster(campaign.name, "FEASIBLE", tuple(assignments))
        gaps = verify(campaign, roster).unfilled
        roster = dataclasses.replace(roster, unfilled=tuple(gaps))
        report = verify(campaign, roster)
        assert report.ok, report.violations
        version = store.store_roster(roster, report, [], store.revision())
        store.publish(version.id, "dieuphoi")
        return version.id


@pytest.fixture
def app(loaded_app):
    loaded_app.config.update(RAQUAN_NOW=NOW, RAQUAN_SMS_URL="http://127.0.0.1:9/sms")
    publish(loaded_app, ROSTER)
    return loaded_app


def sign_in(client, app, person_id: str) -> None:
    from web.codes import link_token

    client.post("/ca-truc/thoat")
    response = client.post(f"/ca-truc/l/{link_token(app.config['SECRET_KEY'], person_id)}")
    assert response.status_code == 303


def row_id(app, a: Assignment) -> int:
    from web import store
    from web.models import AssignmentRow

    with app.app_context():
        version = store.latest_published()
        return app_scalar(
            select(AssignmentRow.id).where(
                AssignmentRow.version_id == version.id,
                AssignmentRow.person_id == a.person_id,
                AssignmentRow.date == a.date,
                AssignmentRow.shift_id == a.shift_id,
            )
        )


def app_scalar(statement):
    from web.models import db

    return db.session.scalar(statement)


def requests(app):
    from web.models import SwapRequest, db

    with app.app_context():
        db.session.expire_all()
        return [
            (r.id, r.kind, r.state, r.from_person_id, r.to_person_id, r.reasons, r.applied_version_id)
            for r in db.session.scalars(select(SwapRequest).order_by(SwapRequest.id))
        ]


def published_assignments(app) -> tuple[int, set]:
    from web import store

    with app.app_context():
        version = store.latest_published()
        return version.id, set(store.roster_of(version).assignments)


def key(a: Assignment) -> str:
    from web.repairs import change_key

    return change_key(a)


def ask_swap(client, app, give=SWAP_GIVE, take=SWAP_TAKE):
    sign_in(client, app, give.person_id)
    return client.post(
        f"/ca-truc/doi-ca/ca/{row_id(app, give)}", data={"kind": "swap", "take": key(take)}, follow_redirects=True
    )


def answer(client, app, person_id: str, request_id: int, choice: str = "accept"):
    sign_in(client, app, person_id)
    return client.post(f"/ca-truc/doi-ca/{request_id}/tra-loi", data={"answer": choice}, follow_redirects=True)


def sms_to(app, person_id: str) -> list[str]:
    from web.models import db
    from web.outbox import OutboxMessage

    with app.app_context():
        db.session.expire_all()
        return [m.key for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person_id))]


# ------------------------------------------------------------------------------------------------ the rules


def test_an_offer_that_breaks_the_takers_weekly_cap_is_refused_with_the_rule(app):
    client = app.test_client()
    sign_in(client, app, "SV0002")
    page = client.post(
        f"/ca-truc/doi-ca/ca/{row_id(app, Assignment('SV0002', DC, D3, 'sang'))}",
        data={"kind": "offer", "to": "SV0001"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert RULE_WEEKLY in page and "Nguyễn Văn An" in page
    assert requests(app) == []
    # The same offer to someone the rules allow is made, and they are told with a signed link.
    client.post(
        f"/ca-truc/doi-ca/ca/{row_id(app, Assignment('SV0002', DC, D3, 'sang'))}",
        data={"kind": "offer", "to": "SV0004"},
    )
    [(request_id, kind, state, giver, taker, _reasons, _version)] = requests(app)
    assert (kind, state, giver, taker) == ("offer", "open", "SV0002", "SV0004")
    assert f"swap:{request_id}:ask:SV0004:sms" in sms_to(app, "SV0004")


def test_a_swap_that_breaks_the_other_persons_rest_is_refused_with_the_rule(app):
    """KT0003 asks KT0002 for the 25/07 noon watch against his 25/07 morning: KT0002 would start at 07:30 after a
    watch ending at 23:30 the evening before."""
    client = app.test_client()
    page = ask_swap(
        client,
        app,
        give=Assignment("KT0003", DC, D2, "sang"),
        take=Assignment("KT0002", DC, D2, "truc_trua", covered_ward_codes=BOTH),
    ).get_data(as_text=True)
    assert RULE_REST in page and "Ngô Xuân Lan" in page
    assert requests(app) == []


def test_the_colleagues_shifts_are_listed_with_why_a_swap_is_refused(app):
    """SV0002 looks at SV0001's four shifts for her 26/07 morning: 24/07 morning she already works, 25/07 she cannot
    work, 24/07 afternoon passes for both."""
    client = app.test_client()
    sign_in(client, app, "SV0002")
    give = row_id(app, Assignment("SV0002", DC, D3, "sang"))
    page = client.get(f"/ca-truc/doi-ca/ca/{give}?voi=SV0001").get_data(as_text=True)
    assert page.count('class="card option"') == 4
    options = {}
    for block in page.split('class="card option"')[1:]:
        options[block.split('data-option="', 1)[1].split('"', 1)[0]] = block.split("</div>", 1)[0]
    assert "không ở hai nơi cùng lúc" in options[key(Assignment("SV0001", DC, D1, "sang"))]
    assert "chỉ xếp vào ngày và ca đã đăng ký" in options[key(Assignment("SV0001", DC, D2, "sang"))]
    assert "Trần Thị Bình" in options[key(Assignment("SV0001", DC, D2, "chieu"))]
    allowed = options[key(Assignment("SV0001", DC, D1, "chieu"))]
    assert 'name="kind" value="swap"' in allowed and "reasons" not in allowed


# ------------------------------------------------------------------------------------------------ approve, refuse


def test_accept_then_approve_publishes_the_exchange_and_tells_both(app):
    from tests.web.conftest import login

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, kind, state, *_rest)] = requests(app)
    assert (kind, state) == ("swap", "open")
    page = answer(client, app, "SV0002", request_id).get_data(as_text=True)
    assert requests(app)[0][2] == "accepted"
    assert "chờ điều phối viên duyệt" in page
    before_id, before = published_assignments(app)
    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    review = coordinator.get("/dieu-phoi/doi-ca").get_data(as_text=True)
    assert f'data-swap="{request_id}"' in review and "Chờ duyệt (1)" in review and "Nhường, đổi ca (1)" in review
    coordinator.post(f"/dieu-phoi/doi-ca/{request_id}", data={"decision": "approve"})
    after_id, after = published_assignments(app)
    assert after_id != before_id
    assert before - after == {SWAP_GIVE, SWAP_TAKE}
    assert after - before == {
        dataclasses.replace(SWAP_GIVE, person_id="SV0002"),
        dataclasses.replace(SWAP_TAKE, person_id="SV0004"),
    }
    [(_id, _kind, state, _giver, _taker, _reasons, applied)] = requests(app)
    assert (state, applied) == ("approved", after_id)
    assert f"change:{after_id}:SV0004:sms" in sms_to(app, "SV0004")
    assert f"change:{after_id}:SV0002:sms" in sms_to(app, "SV0002")
    from web import store

    with app.app_context():
        lineage = store.lineage(after_id)
        assert (lineage.kind, lineage.parent_id) == ("repair", before_id)
        assert lineage.change_summary.startswith(f"Đổi ca theo yêu cầu #{request_id}")


def test_a_refused_request_changes_nothing_and_says_why(app):
    from tests.web.conftest import login

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    answer(client, app, "SV0002", request_id)
    version_before = published_assignments(app)
    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    coordinator.post(
        f"/dieu-phoi/doi-ca/{request_id}", data={"decision": "refuse", "reason": "thiếu người cùng trường"}
    )
    assert requests(app)[0][2] == "refused"
    assert published_assignments(app) == version_before
    sign_in(client, app, "SV0004")
    page = client.get("/ca-truc/doi-ca").get_data(as_text=True)
    assert "không được duyệt" in page and "thiếu người cùng trường" in page
    assert f"swap:{request_id}:refused:SV0004:sms" in sms_to(app, "SV0004")


def test_a_double_click_applies_once(app):
    from tests.web.conftest import login

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    answer(client, app, "SV0002", request_id)
    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    before_id, _ = published_assignments(app)
    first = coordinator.post(f"/dieu-phoi/doi-ca/{request_id}", data={"decision": "approve"}, follow_redirects=True)
    second = coordinator.post(f"/dieu-phoi/doi-ca/{request_id}", data={"decision": "approve"}, follow_redirects=True)
    assert "Đã duyệt" in first.get_data(as_text=True)
    assert "đã được trả lời hoặc xử lý" in second.get_data(as_text=True)
    from web import store

    with app.app_context():
        newer = [v.id for v in store.published_versions() if v.id > before_id]
    assert len(newer) == 1
    # Accepting twice is one acceptance too.
    assert "đã được trả lời hoặc xử lý" in answer(client, app, "SV0002", request_id).get_data(as_text=True)


def test_the_setting_lets_a_valid_request_through_at_once(app):
    from tests.web.conftest import login

    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    coordinator.post("/dieu-phoi/doi-ca/tu-dong", data={"auto": "1"})
    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    before_id, _ = published_assignments(app)
    answer(client, app, "SV0002", request_id)
    after_id, after = published_assignments(app)
    assert after_id != before_id and dataclasses.replace(SWAP_GIVE, person_id="SV0002") in after
    assert requests(app)[0][2] == "approved"


# ------------------------------------------------------------------------------------------------ stale


def test_a_request_goes_stale_when_the_roster_changes_under_it(app):
    from tests.web.conftest import login

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    answer(client, app, "SV0002", request_id)
    # A new version gives SV0002's 24/07 morning to SV0005: the shift asked for is no longer SV0002's.
    changed = [a for a in ROSTER if a != SWAP_TAKE] + [dataclasses.replace(SWAP_TAKE, person_id="SV0005")]
    publish(app, changed)
    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    page = coordinator.get("/dieu-phoi/doi-ca").get_data(as_text=True)
    [(_id, _kind, state, _giver, _taker, reasons, _applied)] = requests(app)
    assert state == "stale" and '"gone"' in reasons
    assert "không còn trong lịch đang áp dụng" in page
    assert f"swap:{request_id}:stale:SV0004:sms" in sms_to(app, "SV0004")
    # Approving it now does nothing.
    before = published_assignments(app)
    coordinator.post(f"/dieu-phoi/doi-ca/{request_id}", data={"decision": "approve"})
    assert published_assignments(app) == before


# ------------------------------------------------------------------------------------------------ open offers


def test_an_open_offer_is_taken_by_the_first_colleague_the_rules_allow(app):
    client = app.test_client()
    sign_in(client, app, "SV0002")
    client.post(f"/ca-truc/doi-ca/ca/{row_id(app, Assignment('SV0002', DC, D3, 'sang'))}", data={"kind": "offer"})
    [(request_id, _kind, state, _giver, taker, *_rest)] = requests(app)
    assert (state, taker) == ("open", None)
    # SV0001 is at the weekly cap: the offer is not shown to them, and taking it is refused with the rule.
    sign_in(client, app, "SV0001")
    assert f'data-swap="{request_id}"' not in client.get("/ca-truc/doi-ca").get_data(as_text=True)
    refused = answer(client, app, "SV0001", request_id).get_data(as_text=True)
    assert RULE_WEEKLY in refused and requests(app)[0][2] == "open"
    sign_in(client, app, "SV0004")
    assert f'data-swap="{request_id}"' in client.get("/ca-truc/doi-ca").get_data(as_text=True)
    answer(client, app, "SV0004", request_id)
    assert requests(app)[0][2:5] == ("accepted", "SV0002", "SV0004")


# ------------------------------------------------------------------------------------------------ busy days


def test_busy_days_are_refused_on_a_shift_day_and_respected_by_the_next_repair(app):
    from tests.web.conftest import login
    from web import live
    from web.models import db

    client = app.test_client()
    sign_in(client, app, "SV0004")
    refused = client.post(
        "/ca-truc/doi-ca/ban", data={"first": "2025-07-25", "part": "day"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Bạn có ca vào 25/07/2025" in refused
    page = client.post(
        "/ca-truc/doi-ca/ban", data={"first": "2025-07-24", "part": "morning"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Đã đánh dấu bận" in page and "buổi sáng" in page
    with app.app_context():
        [row] = db.session.scalars(select(live.EventRow).where(live.EventRow.kind == "unavailable"))
        event = row.event
        assert (row.person_id, row.source, event.dates) == ("SV0004", "volunteer", (D1,))
        assert "sang" in event.slot_ids and "chieu" not in event.slot_ids
        campaign = live.live_campaign()
        assert (D1, "sang") in campaign.person("SV0004").unavailable_slots
    # SV0002 cannot come on 24/07 morning; every other student is busy or placed: the repair must not use SV0004.
    sign_in(client, app, "SV0002")
    client.post(f"/ca-truc/bao-nghi/{row_id(app, SWAP_TAKE)}", data={"reason": "ốm"})
    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    response = coordinator.post("/dieu-phoi/sua-lich")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    from web import store

    with app.app_context():
        [draft] = store.repair_drafts()
        placed = {a.person_id for a in store.roster_of(draft).assignments if a.date == D1 and a.shift_id == "sang"}
    assert "SV0004" not in placed
    # Taking the mark back sets its event aside.
    sign_in(client, app, "SV0004")
    client.post(f"/ca-truc/doi-ca/ban/{row.id}/bo")
    with app.app_context():
        assert db.session.get(live.EventRow, row.id).state == "dismissed"


def test_the_shift_card_links_to_offer_or_swap(app):
    client = app.test_client()
    sign_in(client, app, "SV0004")
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert f'data-swap-shift="{row_id(app, SWAP_GIVE)}"' in page
    assert 'href="/ca-truc/doi-ca" data-swaps-link' in page  # busy days and requests, even with no shift ahead
    ask_swap(client, app)
    sign_in(client, app, "SV0002")
    mine = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "data-swap-inbox" in mine and "Đồng nghiệp muốn đổi ca này với bạn" in mine


def test_the_signed_link_answers_without_signing_in(app):
    from web import swaps

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    with app.test_request_context():
        path = swaps.answer_path(request_id, "SV0002")
        wrong = swaps.answer_path(request_id, "SV0001")
    stranger = app.test_client()
    assert stranger.get(wrong).status_code == 404
    page = stranger.get(path).get_data(as_text=True)
    assert "Đồng ý" in page and "Trần Thị Bình" not in page or "Đồng ý" in page
    stranger.post(path, data={"answer": "accept"})
    assert requests(app)[0][2] == "accepted"


def test_two_approvals_at_once_apply_once(app):
    """Two servers approving the same request at the same moment: one conditional update wins, one version."""
    import threading

    from web import store, swaps

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    answer(client, app, "SV0002", request_id)
    before_id, _ = published_assignments(app)
    barrier = threading.Barrier(2)
    results = []

    def approve(by: str) -> None:
        with app.app_context():
            barrier.wait()
            results.append([p.rule for p in swaps.apply_request(request_id, by)])

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("dieuphoi", "dieuphoi2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], ["answered"]]
    with app.app_context():
        assert len([v for v in store.published_versions() if v.id > before_id]) == 1
    assert requests(app)[0][2] == "approved"


def test_a_request_left_applying_by_a_dead_process_is_recovered(app):
    """A process killed between "applying" and the end: after the timeout the request is accepted again (nothing
    published) or approved (its version was published), never stuck."""
    from datetime import timedelta

    import sqlalchemy as sa

    from tests.web.conftest import login
    from web import swaps
    from web.models import SwapRequest, db, utcnow

    client = app.test_client()
    ask_swap(client, app)
    [(request_id, *_rest)] = requests(app)
    answer(client, app, "SV0002", request_id)
    long_ago = utcnow() - timedelta(minutes=10)
    with app.app_context():  # the approving process died before publishing
        db.session.execute(
            sa.update(SwapRequest).where(SwapRequest.id == request_id).values(state="applying", decided_at=long_ago)
        )
        db.session.commit()
        assert swaps.recover_applying(timedelta(minutes=30)) == 0  # not yet timed out: maybe still applying
    coordinator = app.test_client()
    login(coordinator, "dieuphoi")
    assert "Chờ duyệt (1)" in coordinator.get("/dieu-phoi/doi-ca").get_data(as_text=True)
    assert requests(app)[0][2] == "accepted"

    coordinator.post(f"/dieu-phoi/doi-ca/{request_id}", data={"decision": "approve"})
    after_id, _ = published_assignments(app)
    with app.app_context():  # died after publishing, before marking it approved
        db.session.execute(
            sa.update(SwapRequest)
            .where(SwapRequest.id == request_id)
            .values(state="applying", applied_version_id=None, decided_at=long_ago)
        )
        db.session.commit()
        assert swaps.recover_applying() == 1
    [(_id, _kind, state, _giver, _taker, _reasons, applied)] = requests(app)
    assert (state, applied) == ("approved", after_id)
