"""The incidents' store: reporting, the lifecycle's steps (each once), ranking from the roster in force,
call-outs, escalation and the wards left uncovered."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from scheduler import dispatch
from scheduler.events import Event
from scheduler.model import Person, Pool
from web import incidents, live

EVENING = datetime(2025, 7, 24, 20, 0)  # "Trực tối" of the tiny campaign's first day


@pytest.fixture
def desk(loaded_app):
    loaded_app.config["RAQUAN_NOW"] = EVENING.isoformat()
    with loaded_app.app_context():
        yield loaded_app


def test_a_report_is_stored_with_who_when_the_limit_and_the_default_place(desk):
    row = incidents.report("00316", "network", True, "Mất mạng ở bộ phận một cửa", by="phuong")
    assert row.state == dispatch.REPORTED and row.reported_at == EVENING and row.reported_by == "phuong"
    assert row.place == "Trụ sở UBND Phường Định Công"
    assert row.limit_minutes == live.live_campaign().demand("00316").night_response_limit_minutes  # evening: night
    assert [s.step for s in incidents.steps_of(row.id)] == [dispatch.REPORTED]


@pytest.mark.parametrize(
    ("field", "args"),
    [("ward_code", ("99999", "network")), ("category", ("00316", "weather"))],
)
def test_a_bad_report_names_its_field_and_stores_nothing(desk, field, args):
    with pytest.raises(incidents.IncidentError) as raised:
        incidents.report(*args, False, "x")
    assert raised.value.field == field
    assert incidents.open_incidents() == []


def test_the_lifecycle_moves_once_per_step_and_stamps_each(desk):
    row = incidents.report("00316", "procedure", False, "Hỏi thủ tục")
    ranked = incidents.candidates_for(row)
    assert ranked, "the tiny roster has a technician on duty in the evening"
    seen = row.revision
    assert incidents.assign(row, ranked[0], "dieuphoi", seen=seen)
    row = incidents.get(row.id)
    assert row.state == dispatch.ASSIGNED and row.technician_id == ranked[0].person_id
    assert not incidents.assign(row, ranked[0], "other", seen=seen)  # a second click on the page seen before
    for to in (dispatch.ACKNOWLEDGED, dispatch.ON_THE_WAY, dispatch.ARRIVED, dispatch.RESOLVED):
        seen = row.revision
        assert incidents.move(row, to, "person:" + row.technician_id, seen=seen)
        assert not incidents.move(row, to, "again", seen=seen)  # the same step twice: the row moved on
        row = incidents.get(row.id)
    assert row.state == dispatch.RESOLVED and row.resolved_at == EVENING
    steps = [s.step for s in incidents.steps_of(row.id)]
    assert steps == ["reported", "assigned", "acknowledged", "on_the_way", "arrived", "resolved"]
    assert not incidents.move(row, dispatch.CANCELLED, "late")  # closed stays closed


def test_an_engaged_technician_is_not_ranked_as_free_and_the_one_on_it_is_not_offered(desk):
    first = incidents.report("00316", "network", True, "a")
    ranked = incidents.candidates_for(first, limit=None)
    chosen = ranked[0]
    assert incidents.assign(first, chosen, "dieuphoi")
    first = incidents.get(first.id)
    assert chosen.person_id not in {c.person_id for c in incidents.candidates_for(first, limit=None)}
    second = incidents.report("00337", "network", False, "b")
    again = {c.person_id: c for c in incidents.candidates_for(second, limit=None)}
    if chosen.person_id in again:  # still offered, but only after the work they are on
        assert again[chosen.person_id].busy_minutes > 0


def test_an_unacknowledged_incident_escalates_once_and_the_next_offer_leaves_its_technician_out(desk):
    row = incidents.report("00316", "computer", True, "Máy in hỏng")
    ranked = incidents.candidates_for(row)
    assert incidents.assign(row, ranked[0], "dieuphoi")
    rules = live.live_campaign().rules
    assert incidents.escalate_due(EVENING + timedelta(minutes=rules.acknowledge_limit_minutes)) == 0
    later = EVENING + timedelta(minutes=rules.acknowledge_limit_minutes + 1)
    assert incidents.escalate_due(later) == 1
    assert incidents.escalate_due(later) == 0  # once per reason
    row = incidents.get(row.id)
    assert "acknowledge" in incidents.escalation_reasons(row) and row.escalated_at == later
    assert [s.step for s in incidents.steps_of(row.id)][-1] == incidents.ESCALATED
    assert ranked[0].person_id not in {c.person_id for c in incidents.candidates_for(row, later, limit=None)}


def test_a_call_out_is_recorded_and_counts_as_work_in_the_next_ranking(desk):
    # Every technician of the tiny roster already works 8 hours a day, so a call-out would break the daily
    # limit: a new night-eligible technician with no shifts (a "person added" event) is the one to call.
    spare = Person("KT0099", "Lê Văn Dự", Pool.TECHNICIAN, "Trung tâm", "00316", "0909000099", night_eligible=True)
    live.record_event(Event("person_added", EVENING, "dieuphoi", person=spare), "coordinator")
    row = incidents.report("00337", "network", True, "Mất mạng")
    ranked = {c.person_id: c for c in incidents.candidates_for(row, limit=None)}
    callout = ranked["KT0099"]
    assert callout.tier == "call_out" and callout.callout.shift_id == "truc_toi"
    assert incidents.assign(row, callout, "dieuphoi")
    assert incidents.callout_assignments() == [callout.callout]
    later = EVENING + timedelta(minutes=5)
    other = incidents.report("00316", "network", True, "b", at=later)
    again = {c.person_id: c for c in incidents.candidates_for(other, later, limit=None)}
    # at work now in the slot the call-out is recorded as, and busy with the first incident
    assert again["KT0099"].tier != "call_out" and again["KT0099"].busy_minutes > 0


def test_a_repair_after_a_call_out_keeps_it_in_the_roster_as_work(desk):
    from tests.web.conftest import login
    from web import store
    from web.models import RosterVersion, db

    spare = Person("KT0099", "Lê Văn Dự", Pool.TECHNICIAN, "Trung tâm", "00316", "0909000099", night_eligible=True)
    live.record_event(Event("person_added", EVENING, "dieuphoi", person=spare), "coordinator")
    row = incidents.report("00337", "network", True, "Mất mạng")
    callout = {c.person_id: c for c in incidents.candidates_for(row, limit=None)}["KT0099"]
    assert incidents.assign(row, callout, "dieuphoi")
    client = desk.test_client()
    login(client, "dieuphoi")
    response = client.post("/dieu-phoi/sua-lich")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    draft = store.roster_of(db.session.get(RosterVersion, draft_id))
    assert callout.callout in draft.assignments
