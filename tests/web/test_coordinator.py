"""The coordinators' pages (Sở KH&CN): access, import, rules, jobs, review, publish, diff, exports, reports."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from tests.web.conftest import TINY, login

PREFIX = "/dieu-phoi"


def tiny_codes(app) -> dict[str, str]:
    """Ward name -> code of the tiny campaign."""
    from web import store

    with app.app_context():
        return {ward.name: ward.code for ward in store.campaign().wards}


def page_urls(app) -> list[str]:
    """Every page of the coordinator blueprint answered by GET, for the loaded tiny campaign."""
    version_id = app.config["TEST_VERSION_ID"]
    code = tiny_codes(app)["Phường Định Công"]
    base = f"{PREFIX}/phien-ban/{version_id}"
    return [
        f"{PREFIX}/",
        f"{PREFIX}/nhap-du-lieu",
        f"{PREFIX}/quy-tac",
        f"{PREFIX}/xep-lich",
        base,
        f"{base}/thieu",
        f"{base}/nguoi",
        f"{base}/xa/{code}",
        f"{base}/lich.xlsx",
        f"{base}/xa/{code}/lich.xlsx",
        f"{PREFIX}/so-sanh",
        f"{PREFIX}/bao-cao-ngay",
        f"{PREFIX}/su-kien",
        f"{PREFIX}/hom-nay",
    ]


def action_urls(app) -> list[str]:
    """Every POST route of the blueprint."""
    version_id = app.config["TEST_VERSION_ID"]
    return [
        f"{PREFIX}/nhap-du-lieu",
        f"{PREFIX}/quy-tac",
        f"{PREFIX}/xep-lich",
        f"{PREFIX}/cong-viec/1/dung",
        f"{PREFIX}/phien-ban/{version_id}/cong-bo",
    ]


def text(response) -> str:
    return response.get_data(as_text=True)


def store_draft(app, tiny_solution, drop: int = 0) -> int:
    """Store the tiny roster again as a draft, without its first ``drop`` assignments; returns the version id."""
    from web import store

    roster, report, explanations = tiny_solution
    with app.app_context():
        changed = replace(roster, assignments=roster.assignments[drop:])
        return store.store_roster(changed, report, explanations, store.revision()).id


# ------------------------------------------------------------------------------------------------ access


def test_every_page_answers_a_coordinator(client, loaded_app):
    login(client, "dieuphoi")
    for url in page_urls(loaded_app):
        response = client.get(url)
        assert response.status_code == 200, (url, text(response)[:300])
    job_page = client.get(f"{PREFIX}/cong-viec/999")
    assert job_page.status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, loaded_app):
    for url in page_urls(loaded_app) + [f"{PREFIX}/cong-viec/1"]:
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"], url
    for url in action_urls(loaded_app):
        response = client.post(url, data={})
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"], url


def test_the_youth_union_is_refused(client, loaded_app):
    login(client, "thanhdoan")
    for url in page_urls(loaded_app) + [f"{PREFIX}/cong-viec/1"]:
        assert client.get(url).status_code == 403, url
    for url in action_urls(loaded_app):
        assert client.post(url, data={}).status_code == 403, url


def test_the_dashboard_shows_the_data_set_and_the_versions(client, loaded_app):
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/"))
    for name in ("campaign.toml", "people.csv", "wards.csv", "mobile_points.csv"):
        assert name in page
    version_id = loaded_app.config["TEST_VERSION_ID"]
    assert f'href="{PREFIX}/phien-ban/{version_id}"' in page
    figures = dict(
        (label, int(value)) for value, label in re.findall(r"<strong>(\d+)</strong><span>([^<]+)</span>", page)
    )
    assert figures["xã, phường"] == 3 and figures["Kỹ thuật viên"] == 4 and figures["Sinh viên"] == 5
    assert figures["Nhân sự viễn thông"] == 3 and figures["điểm lưu động"] == 1


def test_with_csrf_on_every_form_carries_its_token_and_a_bare_post_is_refused(database_url, tmp_path, tiny_solution):
    from tests.web.conftest import PASSWORD, load_tiny, make_app
    from web.models import RosterVersion, db

    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    try:
        draft_id = load_tiny(app, tiny_solution, publish=False)
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get("/dang-nhap"))).group(1)
        client.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD, "csrf_token": token})
        pages = (f"{PREFIX}/nhap-du-lieu", f"{PREFIX}/quy-tac", f"{PREFIX}/xep-lich", f"{PREFIX}/phien-ban/{draft_id}")
        for url in pages:
            forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", text(client.get(url)), re.S)
            assert forms and all('name="csrf_token"' in form for form in forms), url
        assert client.post(f"{PREFIX}/phien-ban/{draft_id}/cong-bo").status_code == 400
        with app.app_context():
            assert db.session.get(RosterVersion, draft_id).status == "draft"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------------------------------------------ import


def test_a_rejected_upload_shows_every_problem_and_stores_nothing(client, loaded_app):
    from web import store

    lines = (TINY / "people.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",technician,", ",not-a-pool,")
    lines[3] = lines[3].replace("0904000003", "12345")
    with loaded_app.app_context():
        before, revision = store.files(), store.revision()
    login(client, "dieuphoi")
    response = client.post(
        f"{PREFIX}/nhap-du-lieu",
        content_type="multipart/form-data",
        data={"table": "people", "file": (io.BytesIO(("\n".join(lines) + "\n").encode()), "people.csv")},
    )
    assert response.status_code == 422
    rows = re.findall(
        r"<tr>\s*<td>people\.csv</td>\s*<td class=\"num\">(\d+)</td>\s*<td class=\"num\">(\d+)</td>"
        r"\s*<td>([^<]+)</td>",
        text(response),
    )
    assert ("1", "2", "pool") in rows and ("3", "4", "phone") in rows
    with loaded_app.app_context():
        assert store.files() == before and store.revision() == revision


def test_a_good_upload_is_stored(client, loaded_app):
    from web import store

    content = (TINY / "people.csv").read_text(encoding="utf-8").replace("Đỗ Hữu Khánh", "Đỗ Hữu Khang")
    login(client, "dieuphoi")
    response = client.post(
        f"{PREFIX}/nhap-du-lieu",
        content_type="multipart/form-data",
        data={"table": "people", "file": (io.BytesIO(content.encode()), "people.csv")},
    )
    assert response.status_code == 302
    with loaded_app.app_context():
        assert store.campaign().person("KT0001").name == "Đỗ Hữu Khang"


def test_an_xlsx_upload_replaces_the_csv_table(client, loaded_app):
    from web import store

    workbook = openpyxl.Workbook()
    for line in (TINY / "wards.csv").read_text(encoding="utf-8").splitlines():
        workbook.active.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    with loaded_app.app_context():
        revision = store.revision()
    login(client, "dieuphoi")
    response = client.post(
        f"{PREFIX}/nhap-du-lieu",
        content_type="multipart/form-data",
        data={"table": "wards", "file": (io.BytesIO(buffer.getvalue()), "xa-phuong.xlsx")},
    )
    assert response.status_code == 302, text(response)[:500]
    with loaded_app.app_context():
        names = set(store.files())
        assert "wards.xlsx" in names and "wards.csv" not in names and store.revision() == revision + 1


def test_an_upload_of_the_wrong_type_is_refused(client, loaded_app):
    from web import store

    with loaded_app.app_context():
        before = store.files()
    login(client, "dieuphoi")
    response = client.post(
        f"{PREFIX}/nhap-du-lieu",
        content_type="multipart/form-data",
        data={"table": "people", "file": (io.BytesIO(b"x"), "people.txt")},
    )
    assert response.status_code == 400 and ".xlsx" in text(response)
    with loaded_app.app_context():
        assert store.files() == before


# ------------------------------------------------------------------------------------------------ rules


def rules_form(campaign, **changes) -> dict:
    from web.coordinator import RULE_FIELDS

    data = {name: str(getattr(campaign.rules, name)) for name in RULE_FIELDS}
    data["oncall_24_7"] = "y"
    data.update({key: str(value) for key, value in changes.items()})
    return data


def test_a_rules_change_is_stored_in_campaign_toml(client, loaded_app):
    from web import store

    with loaded_app.app_context():
        campaign = store.campaign()
    assert campaign.rules.min_support_staff_per_shift == 2
    login(client, "dieuphoi")
    response = client.post(
        f"{PREFIX}/quy-tac", data=rules_form(campaign, min_support_staff_per_shift=3, student_weekly_cap_hours=18)
    )
    assert response.status_code == 302
    with loaded_app.app_context():
        changed = store.campaign()
        assert changed.rules.min_support_staff_per_shift == 3 and changed.rules.student_weekly_cap_hours == 18
        assert changed.rules.night_start_minute == campaign.rules.night_start_minute  # untouched keys kept
        assert changed.shifts == campaign.shifts and changed.weights == campaign.weights
        assert all(demand.min_support_staff == 3 for demand in changed.demands)
    assert 'value="3"' in text(client.get(f"{PREFIX}/quy-tac"))


def test_a_bad_rule_value_is_rejected_with_its_problem(client, loaded_app):
    from web import store

    with loaded_app.app_context():
        campaign, before = store.campaign(), store.files()
    login(client, "dieuphoi")
    response = client.post(f"{PREFIX}/quy-tac", data=rules_form(campaign, max_work_hours_per_day=30))
    assert response.status_code == 422
    page = text(response)
    # the problem stands under the field, in the coordinator's words, not the file's key
    label = page.index("Số giờ làm việc tối đa mỗi ngày")
    problem = page.index("phải từ 0 đến 24, không phải 30", label)
    assert problem < page.index("Số giờ làm việc tối đa mỗi tuần")
    assert "rules.max_work_hours_per_day" not in page and "campaign.toml" not in page
    with loaded_app.app_context():
        assert store.files() == before


# ------------------------------------------------------------------------------------------------ jobs


def test_generate_runs_a_job_shows_its_progress_and_stops(client, loaded_app):
    from web.models import Job, RosterVersion, db

    runner = loaded_app.extensions["raquan_jobs"]
    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T20:00"  # the evening before the tiny campaign
    login(client, "dieuphoi")
    form = text(client.get(f"{PREFIX}/xep-lich"))
    assert 'value="5"' in form  # RAQUAN_DEFAULT_TIME_LIMIT of the test app

    response = client.post(f"{PREFIX}/xep-lich", data={"time_limit_seconds": "60"})
    assert response.status_code == 302
    long_id = int(response.headers["Location"].rsplit("/", 1)[1])
    running = text(client.get(f"{PREFIX}/cong-viec/{long_id}"))
    assert 'http-equiv="refresh"' in running and f"{PREFIX}/cong-viec/{long_id}/dung" in running
    busy = client.post(f"{PREFIX}/xep-lich", data={"time_limit_seconds": "2"})
    assert busy.status_code == 409 and "Đang có một lượt xếp lịch chạy" in text(busy)
    assert client.post(f"{PREFIX}/cong-viec/{long_id}/dung").status_code == 302
    assert runner.wait(long_id, timeout=120)
    with loaded_app.app_context():
        assert db.session.get(Job, long_id).status == "stopped"
    stopped = text(client.get(f"{PREFIX}/cong-viec/{long_id}"))
    assert 'http-equiv="refresh"' not in stopped and "đã dừng" in stopped

    response = client.post(f"{PREFIX}/xep-lich", data={"time_limit_seconds": "2"})
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert runner.wait(job_id, timeout=120)
    with loaded_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.message
        assert db.session.get(RosterVersion, job.version_id).status == "draft"
        done, total = job.progress_done, job.progress_total
    page = text(client.get(f"{PREFIX}/cong-viec/{job_id}"))
    assert total > 0 and f"{done} / {total}" in page and job.message in page
    assert f'href="{PREFIX}/phien-ban/{job.version_id}"' in page


def test_a_bad_time_limit_is_refused(client):
    login(client, "dieuphoi")
    assert client.post(f"{PREFIX}/xep-lich", data={"time_limit_seconds": "0"}).status_code == 400


# ------------------------------------------------------------------------------------------------ review


def missing_by_ward_and_day(version_id: int) -> dict:
    """People missing per (ward, day) of a version, summed from its stored gaps in SQL."""
    from sqlalchemy import func

    from web.models import UnfilledRow, db

    rows = db.session.execute(
        select(UnfilledRow.ward_code, UnfilledRow.date, func.sum(UnfilledRow.missing))
        .where(UnfilledRow.version_id == version_id)
        .group_by(UnfilledRow.ward_code, UnfilledRow.date)
    )
    return {(ward, day): int(total) for ward, day, total in rows}


def assigned_by_ward_and_day(version_id: int) -> dict:
    """Assignments per (ward, day) of a version, counted from its stored rows in SQL."""
    from sqlalchemy import func

    from web.models import AssignmentRow, db

    rows = db.session.execute(
        select(AssignmentRow.ward_code, AssignmentRow.date, func.count())
        .where(AssignmentRow.version_id == version_id)
        .group_by(AssignmentRow.ward_code, AssignmentRow.date)
    )
    return {(ward, day): int(total) for ward, day, total in rows}


def test_the_map_has_one_path_per_ward_coloured_by_coverage(client, loaded_app):
    from web.coordinator import coverage_colour

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}"))
    paths = re.findall(
        r'<path d="([^"]+)" fill="([^"]+)" fill-rule="evenodd" data-ward="(\d+)"><title>([^<]+)</title>', page
    )
    codes = tiny_codes(loaded_app)
    assert sorted(code for _d, _fill, code, _title in paths) == sorted(codes.values())
    from scheduler.report import ward_figures
    from web import store

    with loaded_app.app_context():
        record = store.latest_published()
        figures = ward_figures(store.campaign(), store.roster_of(record))
        missing = missing_by_ward_and_day(version_id)
    for d, fill, code, title in paths:
        assert d.startswith("M") and d.endswith("Z")
        name = next(n for n, c in codes.items() if c == code)
        lost = sum(value for (ward, _day), value in missing.items() if ward == code)
        assert title.startswith(name) and f"{lost}/" in title
        shown = re.search(r"phủ ([0-9.,]+)%", title).group(1)  # Vietnamese: 1.234,5
        percent = float(shown.replace(".", "").replace(",", "."))
        figure = next(f for f in figures if f.code == code)
        assert percent == round(figure.percent, 1)
        assert fill == coverage_colour(percent)


def test_the_grid_shows_the_missing_people_per_ward_and_day(client, loaded_app):
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}"))
    grid = page.split('<table class="grid">', 1)[1].split("</table>", 1)[0]
    with loaded_app.app_context():
        missing = missing_by_ward_and_day(version_id)
        campaign = store.campaign()
    for ward in campaign.wards:
        row = grid.split(f">{ward.name}</a>", 1)[1].split("</tr>", 1)[0]
        cells = re.findall(r'<td class="(ok|m1|m2|m3)">([^<]+)</td>', row)
        expected = [missing.get((ward.code, day), 0) for day in campaign.dates]
        assert [0 if shown == "✓" else int(shown) for _css, shown in cells] == expected


def test_asked_slots_per_ward_and_day_add_up_to_the_checker_total(loaded_app):
    from scheduler.report import asked_by_ward_and_day
    from scheduler.verify import asked_person_slots
    from web import store

    with loaded_app.app_context():
        campaign = store.campaign()
    asked = asked_by_ward_and_day(campaign)
    assert len(asked) == len(campaign.wards) * campaign.days
    assert sum(asked.values()) == sum(asked_person_slots(campaign).values())


def test_the_gaps_page_lists_explanations_and_filters_by_ward(client, loaded_app):
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        gaps = store.gaps(version_id)
    assert gaps, "the tiny roster has gaps to explain"
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/thieu"))
    for gap in gaps[:20]:
        cause = gap.explanation.split(" — ", 1)[1]
        assert (cause[:1].upper() + cause[1:]).replace("'", "&#39;") in page
    ward = gaps[0].ward_code
    filtered = text(client.get(f"{PREFIX}/phien-ban/{version_id}/thieu?ward={ward}"))
    assert re.findall(r'data-gap-ward="(\d+)"', filtered) == [ward]
    assert filtered.count("data-gap ") == sum(1 for gap in gaps if gap.ward_code == ward)


def test_the_people_page_filters_by_pool_and_counts_each_load(client, loaded_app):
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/nguoi?pool=technician"))
    assert "KT0001" in page and "SV0001" not in page and "VT0001" not in page
    with loaded_app.app_context():
        count = len(store.person_assignments(version_id, "KT0002"))
    row = page.split("<td>KT0002</td>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">([^<]+)</td>', row)[0] == str(count)
    assert "0904000002" in row


def test_the_people_page_pages_through_the_list(client, loaded_app, monkeypatch):
    import web.coordinator

    monkeypatch.setattr(web.coordinator, "PEOPLE_PER_PAGE", 5)
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    first = text(client.get(f"{PREFIX}/phien-ban/{version_id}/nguoi"))
    third = text(client.get(f"{PREFIX}/phien-ban/{version_id}/nguoi?page=3"))
    assert "KT0001" in first and "SV0002" not in first and "Trang 1 / 3" in first
    assert "VT0002" in third and "KT0001" not in third


def test_the_ward_page_lists_names_and_phones_by_day_and_shift(client, loaded_app, tiny_solution):
    from web import store

    roster = tiny_solution[0]
    version_id = loaded_app.config["TEST_VERSION_ID"]
    code = tiny_codes(loaded_app)["Phường Hoàng Liệt"]
    here = [a for a in roster.assignments if a.ward_code == code]
    assert here
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{code}"))
    with loaded_app.app_context():
        campaign = store.campaign()
    for a in here:
        person = campaign.person(a.person_id)
        row = page.split(f'id="d{a.date.isoformat()}"', 1)[1].split("</tr>", 1)[0]
        assert person.name in row and person.phone in row
    assert client.get(f"{PREFIX}/phien-ban/{version_id}/xa/99999").status_code == 404


# ------------------------------------------------------------------------------------------------ publish and diff


def test_publish_makes_a_draft_the_published_version(client, loaded_app, tiny_solution):
    from web import store
    from web.models import RosterVersion, db

    draft_id = store_draft(loaded_app, tiny_solution)
    login(client, "dieuphoi")
    assert "Công bố phiên bản này" in text(client.get(f"{PREFIX}/phien-ban/{draft_id}"))
    assert client.post(f"{PREFIX}/phien-ban/{draft_id}/cong-bo").status_code == 302
    with loaded_app.app_context():
        version = db.session.get(RosterVersion, draft_id)
        assert version.status == "published" and version.published_by == "dieuphoi"
        assert store.latest_published().id == draft_id
    assert client.post(f"{PREFIX}/phien-ban/12345/cong-bo").status_code == 404


def test_the_diff_shows_the_assignment_that_was_removed(client, loaded_app, tiny_solution):
    from web import store

    roster = tiny_solution[0]
    old_id = loaded_app.config["TEST_VERSION_ID"]
    new_id = store_draft(loaded_app, tiny_solution, drop=1)
    removed = roster.assignments[0]
    with loaded_app.app_context():
        campaign = store.campaign()
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/so-sanh?a={old_id}&b={new_id}"))
    assert "+0" in page and "−1" in page
    table = page.split('<table class="removed">', 1)[1].split("</table>", 1)[0]
    assert campaign.person(removed.person_id).name in table and campaign.ward(removed.ward_code).name in table
    assert removed.date.strftime("%d/%m/%Y") in table
    assert '<table class="added">' not in page
    reverse = text(client.get(f"{PREFIX}/so-sanh?a={new_id}&b={old_id}"))
    assert "+1" in reverse and "−0" in reverse


# ------------------------------------------------------------------------------------------------ exports


def test_the_city_export_is_a_workbook_with_a_sheet_per_ward(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    response = client.get(f"{PREFIX}/phien-ban/{version_id}/lich.xlsx")
    assert response.status_code == 200
    assert f"lich-truc-phien-ban-{version_id}.xlsx" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert set(tiny_codes(loaded_app)) <= set(workbook.sheetnames)


def test_the_ward_export_holds_that_ward_only(client, loaded_app, tiny_solution):
    from web import store

    roster = tiny_solution[0]
    version_id = loaded_app.config["TEST_VERSION_ID"]
    codes = tiny_codes(loaded_app)
    code = codes["Phường Định Công"]
    login(client, "dieuphoi")
    response = client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{code}/lich.xlsx")
    assert response.status_code == 200
    assert f"{code}-phuong-dinh-cong.xlsx" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Lịch trực", "Danh bạ", "Thiếu người"]
    assert workbook["Lịch trực"]["A1"].value.startswith("Phường Định Công")
    with loaded_app.app_context():
        campaign = store.campaign()
    contacts = {row[0]: row for row in workbook["Danh bạ"].iter_rows(min_row=2, values_only=True)}
    posted = {a.person_id for a in roster.assignments if a.ward_code == code}
    assert posted <= set(contacts)
    for person_id in posted:
        assert contacts[person_id][4] == campaign.person(person_id).phone
    elsewhere = {a.person_id for a in roster.assignments if a.ward_code != code and code not in a.covered_ward_codes}
    assert not (elsewhere - posted) & set(contacts)


# ------------------------------------------------------------------------------------------------ reports


def test_the_daily_report_lists_every_ward_with_its_figures(client, loaded_app):

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/bao-cao-ngay?date=2025-07-25"))
    assert "25/07/2025" in page
    with loaded_app.app_context():
        assigned = assigned_by_ward_and_day(version_id)
        missing = missing_by_ward_and_day(version_id)
    rows = re.findall(
        r'<tr data-ward="(\d+)"><td class="num">\d+</td><td>([^<]+)</td><td class="num">(\d+)</td>\s*'
        r'<td class="num (?:gap|ok)">([^<]+)</td>',
        page,
    )
    codes = tiny_codes(loaded_app)
    assert sorted((code, name) for code, name, _a, _m in rows) == sorted((c, n) for n, c in codes.items())
    day = date(2025, 7, 25)
    for code, _name, shown_assigned, shown_missing in rows:
        assert int(shown_assigned) == assigned.get((code, day), 0)
        assert (0 if shown_missing == "✓" else int(shown_missing)) == missing.get((code, day), 0)


def test_the_daily_report_defaults_to_the_first_day_outside_the_campaign(client):
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/bao-cao-ngay"))  # the tiny campaign ran in July 2025
    assert "24/07/2025" in page.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_the_daily_report_telecom_and_oncall_columns(loaded_app):
    from scheduler.report import daily_rows
    from web import store
    from web.models import RosterVersion, UnfilledRow, db

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        campaign = store.campaign()
        roster = store.roster_of(db.session.get(RosterVersion, version_id))
        for day in campaign.dates:
            rows = daily_rows(campaign, roster, day)
            gaps = db.session.scalars(
                select(UnfilledRow).where(UnfilledRow.version_id == version_id, UnfilledRow.date == day)
            ).all()
            for row in rows:
                telecom_gap = any(g.rule == "telecom_presence" and g.ward_code == row.code for g in gaps)
                assert row.telecom_present is not telecom_gap
                oncall_gaps = [g for g in gaps if g.rule == "oncall_24_7" and g.ward_code == row.code]
                assert row.oncall_asked_hours == 24
                assert (row.oncall_covered_hours == 24) is (not oncall_gaps)


def test_cancellations_are_listed_newest_first_with_name_and_phone(client, loaded_app):
    from scheduler.events import Event
    from web import live

    version_id = loaded_app.config["TEST_VERSION_ID"]
    now = datetime(2025, 7, 23, 8, 0)
    with loaded_app.app_context():
        for person_id, day, shift_id, reason in (
            ("SV0001", date(2025, 7, 24), "sang", "ốm"),
            ("VT0002", date(2025, 7, 25), "chieu", "bận họp"),
        ):
            event = Event(
                "cancellation", now, person_id, person_id=person_id, dates=(day,), slot_ids=(shift_id,), reason=reason
            )
            live.record_event(event, "volunteer", version_id)
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/huy-ca", follow_redirects=True))
    assert "Nguyễn Văn An" in page and "0912000001" in page and "Đặng Quang Hải" in page and "0913000002" in page
    assert page.index("Đặng Quang Hải") < page.index("Nguyễn Văn An")
    assert "bận họp" in page and "Ca chiều" in page


@pytest.mark.parametrize(
    "name,expected",
    [("Phường Định Công", "phuong-dinh-cong"), ("Xã Bất Bạt", "xa-bat-bat"), ("Đặc khu Phú Quốc", "dac-khu-phu-quoc")],
)
def test_ascii_slug(name, expected):
    from web.coordinator import ascii_slug

    assert ascii_slug(name) == expected


def test_rewritten_rules_keeps_the_other_tables():
    import tomllib

    from scheduler.loader import RULE_KEYS
    from web.coordinator import RULE_FIELDS, rewritten_rules

    assert all(RULE_KEYS[name][:2] == (name, "int") for name in RULE_FIELDS)  # the keys campaign.toml accepts
    original = (TINY / "campaign.toml").read_bytes()
    data = tomllib.loads(rewritten_rules(original, {"max_work_hours_per_day": 7}).decode())
    before = tomllib.loads(original.decode())
    assert data["rules"]["max_work_hours_per_day"] == 7
    assert {k: v for k, v in data["rules"].items() if k != "max_work_hours_per_day"} == {
        k: v for k, v in before["rules"].items() if k != "max_work_hours_per_day"
    }
    assert data["shifts"] == before["shifts"] and data["weights"] == before["weights"]


def test_paged_pages_ignore_a_query_argument_named_like_the_route(client, loaded_app):
    login(client, "dieuphoi")
    version_id = loaded_app.config["TEST_VERSION_ID"]
    for page in ("nguoi", "thieu"):
        response = client.get(f"/dieu-phoi/phien-ban/{version_id}/{page}?version_id=999&page=1")
        assert response.status_code == 200, page
