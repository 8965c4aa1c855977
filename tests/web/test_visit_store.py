"""The daily visit list's store: one transaction per write, the cut-off, the roll to the next day's list
with its history, one outcome per tap, duplicates, cancellation and the report's counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scheduler.model import PriorityGroup
from scheduler.visits import VisitRequest, service_date_for
from web import visits

WARD, OTHER = "00316", "00337"
MORNING = datetime(2025, 7, 23, 10, 0)
AFTERNOON = datetime(2025, 7, 23, 15, 0)  # the cut-off itself: late
TOMORROW = date(2025, 7, 24)


@pytest.fixture
def store(app):
    with app.app_context():
        yield app


def request(name: str = "Nguyễn Thị Hoa", at: datetime = MORNING, ward: str = WARD, **changes) -> VisitRequest:
    day, _late = service_date_for(at, 15 * 60)
    base = VisitRequest(
        id="1",
        ward_code=ward,
        service_date=day,
        name=name,
        priority_group=PriorityGroup.ELDERLY,
        phone="0912345678",
        group_name="Tổ dân phố số 5",
        street="Số 12 ngõ 34 phố Định Công",
        home_visit=True,
        service="vneid",
        window_start_minute=8 * 60,
        window_end_minute=11 * 60 + 30,
        service_minutes=20,
    )
    return replace(base, **changes)


def _count(model) -> int:
    from web.models import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_a_request_is_stored_with_its_first_step_and_read_back_for_the_planner(store):
    row_id = visits.add_request(request(note="gọi trước"), "dinhcong", MORNING, late=False)
    row = visits.get(row_id)
    assert (row.service_date, row.first_date, row.status, row.revision) == (TOMORROW, TOMORROW, "waiting", 0)
    assert (row.registered_at, row.registered_by, row.full_name) == (MORNING, "dinhcong", "Nguyễn Thị Hoa")
    assert [(s.kind, s.day, s.by) for s in visits.history(row_id)] == [("registered", TOMORROW, "dinhcong")]
    planned = visits.to_visit_request(row, TOMORROW + timedelta(days=1))
    assert planned.id == str(row_id) and planned.service_date == TOMORROW + timedelta(days=1)
    assert replace(planned, id="1", service_date=TOMORROW) == request(note="gọi trước")


def test_after_the_cut_off_a_request_goes_to_the_day_after_and_says_so(store):
    day, late = service_date_for(AFTERNOON, 15 * 60)
    assert late and day == TOMORROW + timedelta(days=1)
    row_id = visits.add_request(request(at=AFTERNOON), "dinhcong", AFTERNOON, late=late)
    steps = visits.history(row_id)
    assert [s.kind for s in steps] == ["registered", "late"]
    assert steps[1].note == "nộp sau 15:00, chuyển sang ngày 25/07/2025"
    assert visits.day_list(WARD, TOMORROW) == []
    assert [e.row.id for e in visits.day_list(WARD, day)] == [row_id]


def test_an_import_stores_every_request_or_none(store):
    ids = visits.import_requests([request("A"), request("B")], "dinhcong", MORNING, late=False)
    assert len(ids) == 2 and [s.kind for s in visits.history(ids[0])] == ["imported"]
    before = (_count(visits.VisitRequestRow), _count(visits.VisitStep))
    # refused by the store's own check (a name longer than its column)...
    with pytest.raises(visits.VisitError) as refused:
        visits.import_requests([request("C"), request("x" * 201)], "dinhcong", MORNING, late=False)
    assert refused.value.field == "name"
    # ...and by the database itself, after the first row was written: the transaction is rolled back
    broken = request("E")
    object.__setattr__(broken, "window_start_minute", None)  # a value only the database's NOT NULL refuses
    with pytest.raises(IntegrityError):
        visits.import_requests([request("D"), broken], "dinhcong", MORNING, late=False)
    assert (_count(visits.VisitRequestRow), _count(visits.VisitStep)) == before
    assert sorted(e.row.full_name for e in visits.day_list(WARD, TOMORROW)) == ["A", "B"]


def test_not_at_home_rolls_to_the_next_days_list_with_its_history(store):
    row_id = visits.add_request(request(), "dinhcong", MORNING, late=False)
    at = datetime(2025, 7, 24, 9, 40)
    assert visits.record_outcome(row_id, "not_home", "cửa khoá", "person:TN1", at, TOMORROW, "team-1", revision=0)
    (today,) = visits.day_list(WARD, TOMORROW)
    assert today.outcome == "not_home" and not today.waiting
    following = TOMORROW + timedelta(days=1)
    (entry,) = visits.day_list(WARD, following)
    assert entry.waiting and entry.row.id == row_id and entry.carried_from == TOMORROW
    assert entry.row.service_date == following and entry.row.revision == 1
    steps = visits.history(row_id)
    assert [(s.kind, s.day) for s in steps] == [
        ("registered", TOMORROW),
        ("not_home", TOMORROW),
        ("rolled", following),
    ]
    assert steps[1].note == "cửa khoá" and steps[1].team_id == "team-1"


def test_a_request_not_served_stays_on_the_following_lists(store):
    row_id = visits.add_request(request(), "dinhcong", MORNING, late=False)
    later = TOMORROW + timedelta(days=3)
    (entry,) = visits.day_list(WARD, later)
    assert entry.row.id == row_id and entry.waiting and entry.carried_from == TOMORROW
    assert visits.day_list(WARD, TOMORROW - timedelta(days=1)) == []  # not on a list before its own
    assert visits.waiting_count(WARD, later) == 1 and visits.waiting_count(None, later) == 1
    assert visits.waiting_count(OTHER, later) == 0


def test_a_second_tap_records_nothing(store):
    row_id = visits.add_request(request(), "dinhcong", MORNING, late=False)
    at = datetime(2025, 7, 24, 9, 40)
    assert visits.record_outcome(row_id, "done", "", "person:TN1", at, TOMORROW, "team-1", revision=0)
    assert not visits.record_outcome(row_id, "done", "", "person:TN1", at, TOMORROW, "team-1", revision=0)
    assert not visits.record_outcome(row_id, "not_home", "", "person:TN2", at, TOMORROW, "team-1", revision=1)
    other = visits.add_request(request("Trần Văn Nam"), "dinhcong", MORNING, late=False)
    assert visits.record_outcome(other, "follow_up", "thiếu giấy tờ", "person:TN1", at, TOMORROW, None)
    # without a revision, the same tap again finds the request already on the next day's list
    assert not visits.record_outcome(other, "follow_up", "thiếu giấy tờ", "person:TN1", at, TOMORROW, None)
    assert [s.kind for s in visits.history(row_id)] == ["registered", "done"]
    assert [s.kind for s in visits.history(other)] == ["registered", "follow_up", "rolled"]
    assert visits.get(row_id).status == "done" and visits.get(row_id).revision == 1
    assert visits.day_list(WARD, TOMORROW + timedelta(days=1))[0].row.id == other  # done is off the next list
    assert len(visits.day_list(WARD, TOMORROW + timedelta(days=1))) == 1
    with pytest.raises(ValueError):
        visits.record_outcome(other, "lost", "", "x", at, TOMORROW, None)


def test_an_outcome_is_recorded_only_on_a_list_the_request_is_on(store):
    row_id = visits.add_request(request(at=AFTERNOON), "dinhcong", AFTERNOON, late=True)  # on the 25th's list
    assert not visits.record_outcome(row_id, "done", "", "x", AFTERNOON, TOMORROW, None)
    assert visits.get(row_id).status == "waiting"


def test_the_same_person_twice_on_one_days_list_is_flagged(store):
    first = visits.add_request(request(), "dinhcong", MORNING, late=False)
    second = visits.add_request(request("  nguyễn thị  HOA ", phone="091 234 5678"), "to5", MORNING, late=False)
    other = visits.add_request(request("Nguyễn Thị Hoa", phone="0987654321"), "to5", MORNING, late=False)
    elsewhere = visits.add_request(request(ward=OTHER), "hoangliet", MORNING, late=False)
    flagged = {e.row.id: e.duplicate_ids for e in visits.day_list(WARD, TOMORROW)}
    assert flagged == {first: [second], second: [first], other: []}
    assert visits.day_list(OTHER, TOMORROW)[0].duplicate_ids == [] and elsewhere
    assert visits.cancel_request(second, "dinhcong", MORNING, "đăng ký trùng")
    flagged = {e.row.id: (e.duplicate_ids, e.outcome) for e in visits.day_list(WARD, TOMORROW)}
    assert flagged[first] == ([], None) and flagged[second] == ([], "cancelled")


def test_a_cancellation_needs_a_reason_and_happens_once(store):
    row_id = visits.add_request(request(), "dinhcong", MORNING, late=False)
    with pytest.raises(visits.VisitError):
        visits.cancel_request(row_id, "dinhcong", MORNING, "  ")
    assert not visits.cancel_request(row_id, "dinhcong", MORNING, "đã tự đi làm", revision=5)
    assert visits.cancel_request(row_id, "dinhcong", MORNING, "đã tự đi làm", revision=0)
    assert not visits.cancel_request(row_id, "dinhcong", MORNING, "đã tự đi làm")
    steps = visits.history(row_id)
    assert [(s.kind, s.day, s.note) for s in steps][-1] == ("cancelled", TOMORROW, "đã tự đi làm")
    assert visits.waiting_count(WARD, TOMORROW) == 0
    assert not visits.record_outcome(row_id, "done", "", "x", MORNING, TOMORROW, None)


def test_the_report_counts_outcomes_by_priority_group_and_ward(store):
    at = datetime(2025, 7, 24, 10, 0)
    elderly = visits.add_request(request("A"), "u", MORNING, late=False)
    disabled = visits.add_request(request("B", priority_group=PriorityGroup.DISABLED), "u", MORNING, late=False)
    poor = visits.add_request(request("C", priority_group=PriorityGroup.POOR, ward=OTHER), "u", MORNING, late=False)
    visits.add_request(request("D"), "u", MORNING, late=False)  # still waiting
    assert visits.record_outcome(elderly, "done", "", "t", at, TOMORROW, "team")
    assert visits.record_outcome(disabled, "not_home", "", "t", at, TOMORROW, "team")
    assert visits.record_outcome(poor, "done", "", "t", at, TOMORROW, "team")
    assert visits.outcomes_by_group(TOMORROW) == {
        "elderly": {"done": 1},
        "disabled": {"not_home": 1},
        "poor": {"done": 1},
    }
    assert visits.outcomes_by_group(TOMORROW, WARD) == {"elderly": {"done": 1}, "disabled": {"not_home": 1}}
    assert visits.outcomes_by_group(TOMORROW + timedelta(days=1)) == {}
    assert visits.waiting_count(WARD, TOMORROW) == 1  # D ("B" moved to the next day's list)
    assert visits.waiting_count(WARD, TOMORROW + timedelta(days=1)) == 2


def test_the_tables_match_the_migration(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from web.models import db

    names = {"visit_requests", "visit_steps", "visit_plans"}
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    ours = [d for d in differences if any(name in repr(d) for name in names)]
    assert ours == []


def test_a_plan_version_is_unique_per_ward_and_day(store):
    from web.models import db

    db.session.add(visits.VisitPlanRow(ward_code=WARD, day=TOMORROW, version=1, created_by="u", body="{}"))
    db.session.commit()
    db.session.add(visits.VisitPlanRow(ward_code=WARD, day=TOMORROW, version=1, created_by="u", body="{}"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
