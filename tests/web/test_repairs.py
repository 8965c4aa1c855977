"""“Sửa lịch”: a repair draft from a cancellation on the tiny campaign, its diff, the coordinator's edits, publishing."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from tests.web.conftest import login

PREFIX = "/dieu-phoi"
NOW = "2025-07-24T06:00"  # before the tiny campaign's first shift
DAY = date(2025, 7, 25)


def _published_roster(app):
    from web import store

    with app.app_context():
        return store.roster_of(store.latest_published())


def _cancel(app, shift_id: str = "sang"):
    """Record a volunteer's cancellation of a service shift on 25/07; the assignment taken away."""
    from scheduler.events import Event
    from web import live

    roster = _published_roster(app)
    cancelled = next(  # a student's: a technician's shift is also the ward's on-call cover
        a for a in roster.assignments if a.date == DAY and a.shift_id == shift_id and a.person_id.startswith("SV")
    )
    with app.app_context():
        event = Event(
            "cancellation",
            live.now(),
            cancelled.person_id,
            person_id=cancelled.person_id,
            dates=(DAY,),
            slot_ids=(shift_id,),
            reason="ốm",
        )
        row = live.record_event(event, "volunteer")
        return cancelled, row.id


def _draft_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found = re.search(r"/sua-lich/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _roster(app, version_id: int):
    from web import store
    from web.models import RosterVersion, db

    with app.app_context():
        return store.roster_of(db.session.get(RosterVersion, version_id))


def _make_draft(client, app) -> int:
    app.config["RAQUAN_NOW"] = NOW
    login(client, "dieuphoi")
    return _draft_id(client.post(f"{PREFIX}/sua-lich"))


def _service_gaps(roster, ward_code: str, day: date, shift_id: str) -> list:
    return [
        u
        for u in roster.unfilled
        if u.rule == "min_support_staff" and (u.ward_code, u.date, u.shift_id) == (ward_code, day, shift_id)
    ]


def test_a_repair_draft_restores_coverage_after_a_cancellation(client, loaded_app):
    from web import store

    loaded_app.config["RAQUAN_NOW"] = NOW
    cancelled, _event_id = _cancel(loaded_app)
    published = _published_roster(loaded_app)
    assert not _service_gaps(published, cancelled.ward_code, DAY, "sang")
    draft_id = _make_draft(client, loaded_app)
    draft = _roster(loaded_app, draft_id)
    assert cancelled not in draft.assignments
    assert not _service_gaps(draft, cancelled.ward_code, DAY, "sang")  # someone took the seat
    on_seat = [a for a in draft.assignments if (a.ward_code, a.date, a.shift_id) == (cancelled.ward_code, DAY, "sang")]
    assert len(on_seat) == len(
        [a for a in published.assignments if (a.ward_code, a.date, a.shift_id) == (cancelled.ward_code, DAY, "sang")]
    )
    # history and everything else unchanged: the only removal is the cancelled assignment
    removed = set(published.assignments) - set(draft.assignments)
    assert removed == {cancelled}
    with loaded_app.app_context():
        lineage = store.lineage(draft_id)
        published_id = store.latest_published().id
        assert store.db.session.get(store.RosterVersion, draft_id).status == "draft"
    assert lineage.kind == "repair" and lineage.parent_id == published_id
    assert lineage.change_summary.startswith("1 người thêm ca, 0 người đổi ca")
    assert lineage.change_summary.endswith("còn 0 ca thiếu người")


def test_the_draft_page_lists_the_changes_by_ward_and_date(client, loaded_app):
    from scheduler.loader import load_campaign
    from tests.web.conftest import TINY

    loaded_app.config["RAQUAN_NOW"] = NOW
    cancelled, _event_id = _cancel(loaded_app)
    draft_id = _make_draft(client, loaded_app)
    added = set(_roster(loaded_app, draft_id).assignments) - set(_published_roster(loaded_app).assignments)
    campaign = load_campaign(TINY)
    page = client.get(f"{PREFIX}/sua-lich/{draft_id}").get_data(as_text=True)
    assert "1 người thêm ca, 0 người đổi ca" in page
    assert f"{campaign.ward(cancelled.ward_code).name} — 25/07/2025" in page
    assert campaign.person(cancelled.person_id).name in page
    for a in added:
        assert f'data-change="added" data-person="{a.person_id}"' in page
        assert campaign.person(a.person_id).name in page
    assert f'data-change="removed" data-person="{cancelled.person_id}"' in page
    assert "Bỏ thay đổi" in page and "Đặt lại như cũ" in page
    # the index lists the draft
    index = client.get(f"{PREFIX}/sua-lich").get_data(as_text=True)
    assert f"/sua-lich/{draft_id}" in index and 'data-open-events="1"' in index


def test_rejecting_changes_puts_the_old_rows_back_and_the_rules_still_hold(client, loaded_app):
    from scheduler.rules import RULES_BY_LABEL
    from web import live
    from web.repairs import change_key

    loaded_app.config["RAQUAN_NOW"] = NOW
    cancelled, event_id = _cancel(loaded_app)
    draft_id = _make_draft(client, loaded_app)
    published = _published_roster(loaded_app)
    (added,) = set(_roster(loaded_app, draft_id).assignments) - set(published.assignments)

    # putting the cancelled assignment back breaks the person's availability: refused, with the rule in words
    response = client.post(f"{PREFIX}/sua-lich/{draft_id}/bo-thay-doi", data={"change": change_key(cancelled)})
    assert response.headers["Location"].endswith(f"/sua-lich/{draft_id}")
    page = client.get(f"{PREFIX}/sua-lich/{draft_id}").get_data(as_text=True)
    assert "Không sửa được" in page and RULES_BY_LABEL["availability"].name_vi in page
    assert cancelled not in _roster(loaded_app, draft_id).assignments

    # rejecting the new assignment takes it off again (a new draft; the old one is gone)
    second = _draft_id(client.post(f"{PREFIX}/sua-lich/{draft_id}/bo-thay-doi", data={"change": change_key(added)}))
    assert second != draft_id
    assert added not in _roster(loaded_app, second).assignments
    assert client.get(f"{PREFIX}/sua-lich/{draft_id}").status_code == 302

    # once the cancellation is set aside, the old row can be put back: the draft is the published roster again
    with loaded_app.app_context():
        assert live.dismiss(event_id)
    third = _draft_id(client.post(f"{PREFIX}/sua-lich/{second}/bo-thay-doi", data={"change": change_key(cancelled)}))
    assert set(_roster(loaded_app, third).assignments) == set(published.assignments)
    page = client.get(f"{PREFIX}/sua-lich/{third}").get_data(as_text=True)
    assert "0 người thêm ca, 0 người đổi ca" in page and "Bản sửa không thay đổi phân công nào." in page


def test_an_empty_seat_takes_a_ranked_candidate_and_refuses_one_who_breaks_a_rule(client, loaded_app):
    from scheduler.rules import RULES_BY_LABEL
    from web.repairs import change_key, gap_key

    loaded_app.config["RAQUAN_NOW"] = NOW
    cancelled, _event_id = _cancel(loaded_app)
    draft_id = _make_draft(client, loaded_app)
    published = _published_roster(loaded_app)
    (added,) = set(_roster(loaded_app, draft_id).assignments) - set(published.assignments)
    second = _draft_id(client.post(f"{PREFIX}/sua-lich/{draft_id}/bo-thay-doi", data={"change": change_key(added)}))
    (gap,) = _service_gaps(_roster(loaded_app, second), cancelled.ward_code, DAY, "sang")
    page = client.get(f"{PREFIX}/sua-lich/{second}").get_data(as_text=True)
    assert f'data-seat="{gap_key(gap)}"' in page

    seat_page = client.get(f"{PREFIX}/sua-lich/{second}/o-trong", query_string={"gap": gap_key(gap)})
    assert seat_page.status_code == 200
    text = seat_page.get_data(as_text=True)
    ranked = re.findall(r'data-candidate="([^"]+)"', text)
    assert ranked and cancelled.person_id not in ranked
    assert "cách " in text and "giờ tuần này" in text  # the reason in words

    # someone working another ward at the same time is refused: one place at a time
    busy = next(
        a.person_id
        for a in published.assignments
        if a.date == DAY and a.shift_id == "sang" and a.ward_code != cancelled.ward_code
    )
    assert busy not in ranked
    response = client.post(f"{PREFIX}/sua-lich/{second}/o-trong", data={"gap": gap_key(gap), "person_id": busy})
    assert response.headers["Location"].endswith(f"/sua-lich/{second}")
    page = client.get(f"{PREFIX}/sua-lich/{second}").get_data(as_text=True)
    assert "Không sửa được" in page and RULES_BY_LABEL["one_place_at_a_time"].name_vi in page
    assert not any(
        a.person_id == busy for a in set(_roster(loaded_app, second).assignments) - set(published.assignments)
    )

    # the first of the ranked list takes the seat
    third = _draft_id(
        client.post(f"{PREFIX}/sua-lich/{second}/o-trong", data={"gap": gap_key(gap), "person_id": ranked[0]})
    )
    after = _roster(loaded_app, third)
    assert not _service_gaps(after, cancelled.ward_code, DAY, "sang")
    assert (set(after.assignments) - set(published.assignments)) == {
        a for a in after.assignments if a.person_id == ranked[0] and a.date == DAY and a.shift_id == "sang"
    }


def test_publishing_a_repair_makes_an_immutable_child_version_and_notifies_the_people_changed(client, loaded_app):
    import pytest

    from scheduler.changes import roster_changes
    from web import live, store
    from web.models import PublishedVersionError, RosterVersion, db
    from web.outbox import OutboxMessage

    loaded_app.config["RAQUAN_SMS_URL"] = "http://127.0.0.1:9/sms"  # loopback: messages queue, nothing is sent
    loaded_app.config["RAQUAN_NOW"] = NOW
    _cancelled, event_id = _cancel(loaded_app)
    parent_id = loaded_app.config["TEST_VERSION_ID"]
    draft_id = _make_draft(client, loaded_app)
    changes = roster_changes(_published_roster(loaded_app).assignments, _roster(loaded_app, draft_id).assignments)
    people = changes.people
    assert len(people) == 2

    page = client.get(f"{PREFIX}/sua-lich/{draft_id}/cong-bo").get_data(as_text=True)
    assert f'data-notify="{len(people)}"' in page and f"Công bố và thông báo {len(people)} người" in page
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nothing before publishing

    response = client.post(f"{PREFIX}/sua-lich/{draft_id}/cong-bo")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/phien-ban/{draft_id}")
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{len(people)} người sẽ nhận thông báo, 1 sự kiện đã được sửa lịch" in flashed
    with loaded_app.app_context():
        version = db.session.get(RosterVersion, draft_id)
        assert version.status == "published" and store.latest_published().id == draft_id
        assert store.lineage(draft_id).parent_id == parent_id
        keys = set(db.session.scalars(select(OutboxMessage.key)))
        assert keys == {f"change:{draft_id}:{person_id}:sms" for person_id in people}
        (event,) = live.events_of()
        assert (event.id, event.state, event.repaired_by_version_id) == (event_id, "repaired", draft_id)
        assert live.unrepaired_count(version) == 0
        version.coverage_percent = 1.0
        with pytest.raises(PublishedVersionError):
            db.session.commit()
        db.session.rollback()
    # published: it cannot be edited or published again
    again = client.post(f"{PREFIX}/sua-lich/{draft_id}/cong-bo")
    assert again.status_code == 303
    assert "đã được công bố" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_draft_of_an_older_version_cannot_be_published(client, loaded_app):
    from web.models import RosterVersion, db

    loaded_app.config["RAQUAN_NOW"] = NOW
    _cancel(loaded_app)
    first = _make_draft(client, loaded_app)
    second = _draft_id(client.post(f"{PREFIX}/sua-lich"))
    assert client.post(f"{PREFIX}/sua-lich/{second}/cong-bo").status_code == 303
    response = client.post(f"{PREFIX}/sua-lich/{first}/cong-bo")
    assert response.headers["Location"].endswith(f"/sua-lich/{first}/cong-bo")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã có lịch khác được công bố sau khi tạo bản sửa này" in page
    with loaded_app.app_context():
        assert db.session.get(RosterVersion, first).status == "draft"


def test_repair_pages_need_a_coordinator(client, loaded_app):
    assert client.get(f"{PREFIX}/sua-lich").status_code in (302, 401, 403)
    login(client, "thanhdoan")
    assert client.get(f"{PREFIX}/sua-lich").status_code == 403
    assert client.post(f"{PREFIX}/sua-lich").status_code == 403


def test_an_edit_recounts_the_gaps_of_its_days_as_a_full_check_would(client, loaded_app):
    """The gaps an edit stores (its days recounted, the others kept) are the checker's over the whole roster, and
    the roster kept in memory for the new draft is the one read back from its rows."""
    from scheduler.solver.solve import campaign_travel
    from scheduler.verify import unfilled_slots, valid_assignments
    from web import live, store
    from web.models import RosterVersion, db
    from web.repairs import change_key

    loaded_app.config["RAQUAN_NOW"] = NOW
    _cancelled, _event_id = _cancel(loaded_app)
    draft_id = _make_draft(client, loaded_app)
    (added,) = set(_roster(loaded_app, draft_id).assignments) - set(_published_roster(loaded_app).assignments)
    second = _draft_id(client.post(f"{PREFIX}/sua-lich/{draft_id}/bo-thay-doi", data={"change": change_key(added)}))
    with loaded_app.app_context():
        version = db.session.get(RosterVersion, second)
        kept = store.roster_of(version)
        store._roster_cache.clear()
        read = store.roster_of(version)
        assert read == kept
        campaign = live.live_campaign(live.now())
        full = unfilled_slots(campaign, valid_assignments(campaign, read.assignments), campaign_travel(campaign))
        assert list(read.unfilled) == full
        assert any(u.date == added.date and u.ward_code == added.ward_code for u in read.unfilled)
        from web.repairs import Repair, campaign_state

        assert db.session.get(Repair, second).figure_values["campaign"] == campaign_state()  # the days-only path


def test_the_count_of_people_to_notify_is_the_outbox_plan(client, loaded_app):
    from web import outbox
    from web.models import RosterVersion, db
    from web.repairs import Repair, people_to_notify

    loaded_app.config["RAQUAN_NOW"] = NOW
    _cancel(loaded_app)
    draft_id = _make_draft(client, loaded_app)
    with loaded_app.app_context():
        version = db.session.get(RosterVersion, draft_id)
        parent_id = db.session.get(Repair, draft_id).parent_id
        planned = outbox.plan_version_notices(draft_id, parent_id)
        assert people_to_notify(version, parent_id) == len(planned) == 2
