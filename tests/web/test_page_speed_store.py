"""The figures the review pages read from the database, the data set kept loaded for every server process and the
kept workbooks: each gives what the slower way gave (the mapped roster, the loader, a new workbook), on SQLite and
on PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

import pytest

from scheduler.changes import roster_changes
from scheduler.model import Assignment
from scheduler.report import ward_figures
from tests.web.conftest import TINY, login

PREFIX = "/dieu-phoi"


def _second_version(app, tiny_solution) -> tuple[int, int]:
    """(published id, id of a draft that drops two of its assignments and adds one)."""
    from web import store

    roster, report, explanations = tiny_solution
    kept = roster.assignments[2:]
    first = roster.assignments[0]
    moved = dataclasses.replace(first, date=date(2025, 7, 26) if first.date != date(2025, 7, 26) else first.date)
    added = Assignment(moved.person_id, "00337", moved.date, moved.shift_id, moved.mobile_point_id, moved.need_index)
    changed = dataclasses.replace(roster, assignments=(*kept, added))
    with app.app_context():
        published = store.latest_published().id
        draft = store.store_roster(changed, report, explanations, store.revision()).id
    return published, draft


def test_the_database_finds_the_changes_that_roster_changes_finds(loaded_app, tiny_solution):
    from web import store
    from web.models import RosterVersion, db

    published_id, draft_id = _second_version(loaded_app, tiny_solution)
    with loaded_app.app_context():
        old, new = db.session.get(RosterVersion, published_id), db.session.get(RosterVersion, draft_id)
        before, after = store.roster_of(old).assignments, store.roster_of(new).assignments
        changes = roster_changes(before, after)
        assert store.people_changed(old, new) == len(changes.people) > 0
        assert store.people_changed(None, new) == len({a.person_id for a in after})

        def identity(a):
            return (a.person_id, a.ward_code, a.date, a.shift_id, a.mobile_point_id, a.need_index)

        found = store.differences(old, new, limit=1)
        assert found.added_count == len(changes.added) and found.removed_count == len(changes.removed)
        assert found.added == [identity(a) for a in changes.added][:1]  # roster_changes' order, cut at the limit
        assert found.kept_count == len({identity(a) for a in after} & {identity(a) for a in before})
        assert found.wards == dict(Counter(a.ward_code for a in (*changes.added, *changes.removed)))


def test_the_comparison_page_counts_from_the_database(client, loaded_app, tiny_solution):
    published_id, draft_id = _second_version(loaded_app, tiny_solution)
    login(client, "dieuphoi")
    page = client.get(f"{PREFIX}/so-sanh?a={published_id}&b={draft_id}").get_data(as_text=True)
    kept = len(tiny_solution[0].assignments) - 2
    assert '<strong class="ok">+1</strong>' in page and '<strong class="gap">−2</strong>' in page
    assert f"<strong>{kept}</strong>" in page


def test_the_version_figures_from_the_gaps_and_the_counts_equal_the_full_rosters(loaded_app):
    from web import store
    from web.models import RosterVersion, db

    with loaded_app.app_context():
        record = db.session.get(RosterVersion, loaded_app.config["TEST_VERSION_ID"])
        campaign = store.campaign()
        full = store.roster_of(record)
        light = store.gap_roster(record)
        assert light.unfilled == full.unfilled and light.assignments == ()
        assert ward_figures(campaign, light, store.assigned_per_ward(record)) == ward_figures(campaign, full)


def test_a_wards_rows_are_the_ones_the_full_roster_gives_it(loaded_app):
    from web import store
    from web.models import RosterVersion, db

    with loaded_app.app_context():
        record = db.session.get(RosterVersion, loaded_app.config["TEST_VERSION_ID"])
        full = store.roster_of(record)
        for code in ("00316", "00337"):
            mine = store.ward_roster(record, code)
            assert mine.assignments == tuple(
                a for a in full.assignments if a.ward_code == code or code in a.covered_ward_codes
            )
            assert mine.unfilled == tuple(u for u in full.unfilled if u.ward_code == code)
            assert mine.assignments


def test_a_stored_data_set_is_read_by_a_new_process_without_loading_it(app, monkeypatch):
    from web import store

    with app.app_context():
        store.import_directory(TINY)
        loaded = store.campaign()
        folder = store._loaded_path("x").parent
        assert len(list(folder.glob("campaign-*.pickle"))) == 1  # kept by the import's check
        loads = []
        monkeypatch.setattr(store, "load_campaign_files", lambda files: loads.append(1) or pytest.fail("loaded"))
        store._cache.clear()  # a new server process: nothing in memory
        assert store.campaign() == loaded and loads == []


def test_a_kept_data_set_that_fails_its_signature_is_loaded_again(app, monkeypatch):
    from web import store

    with app.app_context():
        store.import_directory(TINY)
        loaded = store.campaign()
        (path,) = store._loaded_path("x").parent.glob("campaign-*.pickle")
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))
        real, loads = store.load_campaign_files, []
        monkeypatch.setattr(store, "load_campaign_files", lambda files: loads.append(1) or real(files))
        store._cache.clear()
        assert store.campaign() == loaded and loads == [1]


def test_the_city_workbook_is_made_once_per_version_and_revision(client, loaded_app, monkeypatch):
    from web import coordinator, store

    made = []
    real = coordinator.write_roster_xlsx
    monkeypatch.setattr(coordinator, "write_roster_xlsx", lambda *args, **kw: made.append(1) or real(*args, **kw))
    login(client, "dieuphoi")
    url = f"{PREFIX}/phien-ban/{loaded_app.config['TEST_VERSION_ID']}/lich.xlsx"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data[:2] == b"PK" and made == [1]
    with loaded_app.app_context():
        store.bump_revision()
        from web.models import db

        db.session.commit()
    assert client.get(url).status_code == 200 and made == [1, 1]  # the data set changed: made again
