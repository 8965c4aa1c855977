"""A roster version in the database and back: store_roster writes it, roster_of reads it, nothing else."""

from __future__ import annotations

import re
from datetime import date

from scheduler.explain import Explanation
from scheduler.model import Assignment, Roster, Unfilled
from scheduler.verify import VerifyReport
from tests.web.conftest import login

DAY = date(2025, 7, 24)
TERMS = {
    "unfilled": 2,
    "travel_minutes": 75,
    "continuity": 1,
    "school_together": 0,
    "fair_spread": 0,
    "preferences": 3,
    "peak_students": 1,
}


def hand_roster() -> Roster:
    """Assignments of every kind (on call covering two wards, a mobile point's need) and gaps of every kind."""
    assignments = (
        Assignment("SV0001", "00316", DAY, "sang"),
        Assignment("KT0001", "00316", DAY, "truc_dem", covered_ward_codes=("00316", "00337")),
        Assignment("VT0001", "00343", date(2025, 7, 25), mobile_point_id="LD0001", need_index=0),
        Assignment("SV0005", "00343", date(2025, 7, 25), mobile_point_id="LD0001", need_index=1),
        Assignment("VT0002", "00337", date(2025, 7, 26), "chieu"),
    )
    unfilled = (
        Unfilled("min_support_staff", "00316", DAY, "sang", 1),
        Unfilled("telecom_presence", "00343", DAY, None, 1, need="telecom"),
        Unfilled(
            "mobile_point_staffing", "00343", date(2025, 7, 25), None, 1, mobile_point_id="LD0001", need="student"
        ),
        Unfilled("oncall_24_7", "00337", date(2025, 7, 26), "truc_trua", 1, need="technician"),
    )
    return Roster(
        "Tiny: ba xã phường, ba ngày",
        "FEASIBLE",
        assignments,
        unfilled,
        objective=2120,
        best_bound=1900,
        wall_seconds=4.5,
    )


def hand_report(roster: Roster) -> VerifyReport:
    return VerifyReport(
        violations=(), unfilled=roster.unfilled, objective=roster.objective, terms=dict(TERMS), asked=40, filled=36
    )


def test_a_stored_roster_reads_back_equal(app):
    from web import store
    from web.models import RosterVersion, db

    roster = hand_roster()
    explanations = [Explanation(roster.unfilled[0], "thiếu một người", "thêm một sinh viên", None)]
    with app.app_context():
        version_id = store.store_roster(roster, hand_report(roster), explanations, 7).id
        store._roster_cache.clear()  # read from the rows, not from what was just stored
        version = db.session.get(RosterVersion, version_id)
        back = store.roster_of(version)
        assert back == roster
        assert back.assignments[1].covered_ward_codes == ("00316", "00337")
        assert back.assignments[2].need_index == 0 and back.assignments[2].mobile_point_id == "LD0001"
        assert back.unfilled[2].need == "student" and back.unfilled[2].mobile_point_id == "LD0001"
        assert version.dataset_revision == 7 and version.coverage_percent == 90.0
        explained = store.explained_gaps(version_id)
        assert [gap for gap, _text, _fix in explained] == sorted(
            roster.unfilled, key=lambda u: (u.date, u.ward_code, u.rule)
        )
        assert ("thiếu một người", "thêm một sinh viên") in [(text, fix) for _gap, text, fix in explained]


def test_an_empty_roster_reads_back_equal(app):
    from web import store

    roster = Roster("Tiny", "PARTIAL", (), objective=0)
    with app.app_context():
        version = store.store_roster(roster, VerifyReport((), (), 0, {}, 0, 0), [], 1)
        assert store.roster_of(version) == roster


def test_the_terms_are_stored_given_or_from_the_report(app):
    from web import store

    roster = hand_roster()
    with app.app_context():
        from_report = store.store_roster(roster, hand_report(roster), [], 1)  # as web.jobs calls it
        given = store.store_roster(roster, hand_report(roster), [], 1, terms={"unfilled": 9, "travel_minutes": 1})
        assert store.terms_of(from_report) == TERMS and list(store.terms_of(from_report)) == list(TERMS)
        assert store.terms_of(given) == {"unfilled": 9, "travel_minutes": 1}


def test_the_mapped_roster_is_kept_per_version_and_a_reused_id_is_not_confused(app):
    from web import store
    from web.models import RosterVersion, db

    roster = hand_roster()
    with app.app_context():
        first = store.store_roster(roster, hand_report(roster), [], 1)
        assert store.roster_of(first) is store.roster_of(first)
        first_id = first.id
        store.delete_draft(first_id)
        shorter = Roster(roster.campaign_name, roster.status, roster.assignments[:2], (), 0)
        second = store.store_roster(shorter, VerifyReport((), (), 0, {}, 0, 0), [], 1)
        version = db.session.get(RosterVersion, second.id)
        assert store.roster_of(version) == shorter


def test_the_version_page_shows_each_term_of_the_objective(client, loaded_app, tiny_solution):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    _roster, report, _explanations = tiny_solution
    login(client, "dieuphoi")
    page = client.get(f"/dieu-phoi/phien-ban/{version_id}").get_data(as_text=True)
    rows = re.findall(
        r'<tr data-term="(\w+)"><td>([^<]+)</td><td class="num">([\d.]+)</td>'
        r'<td class="num">([\d.]+)</td><td class="num">([\d.]+)</td></tr>',
        page,
    )
    assert len(rows) == 7
    number = lambda text: int(text.replace(".", ""))  # noqa: E731 (Vietnamese groups thousands with dots)
    from web import store

    with loaded_app.app_context():
        weights = store.campaign().weights
    for name, label, count, weight, points in rows:
        assert number(count) == report.terms[name]
        assert number(weight) == getattr(weights, name)
        assert number(points) == number(count) * number(weight)
        assert name not in label  # the coordinator's words, not the term's name
    assert sum(number(points) for *_rest, points in rows) == report.objective
    points = [number(points) for *_rest, points in rows]
    assert points == sorted(points, reverse=True)  # the largest part first
    for solver_word in ("FEASIBLE", "OPTIMAL", "giá trị mục tiêu", "ô thiếu"):
        assert solver_word not in page


def test_the_version_page_is_english_in_english(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = client.get(f"/dieu-phoi/phien-ban/{version_id}?lang=en").get_data(as_text=True)
    assert "Penalty points of the roster" in page and "slots still short of people" in page
    assert "Điểm phạt" not in page and "FEASIBLE" not in page
