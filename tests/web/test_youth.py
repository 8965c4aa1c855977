"""The Youth Union's pages: students' wards and teams, pins, counts; and who may see them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from tests.web.conftest import login

STUDENT_PHONES = ("0912000001", "0912000002", "0912000003", "0912000004", "0912000005")


def _revision(app) -> int:
    from web import store

    with app.app_context():
        return store.revision()


def _campaign(app):
    from web import store

    with app.app_context():
        return store.campaign()


# ------------------------------------------------------------------------------------------- access


@pytest.mark.parametrize("path", ["/thanh-doan/", "/thanh-doan/ghim", "/thanh-doan/so-luong"])
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_anonymous_posts_change_nothing(client, loaded_app):
    before = _revision(loaded_app)
    response = client.post("/thanh-doan/xep", data={"person_id": "SV0001", "ward_code": "00316"})
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    response = client.post(
        "/thanh-doan/ghim", data={"person_id": "SV0001", "ward_code": "00316", "date": "2025-07-24", "shift_id": "sang"}
    )
    assert response.status_code == 302 and _revision(loaded_app) == before


def test_a_volunteer_session_cannot_use_youth_pages(client, loaded_app):
    from web.codes import link_token

    signed_in = client.post(f"/ca-truc/l/{link_token(loaded_app.config['SECRET_KEY'], 'SV0001')}")
    assert signed_in.status_code == 303
    for path in ("/thanh-doan/", "/thanh-doan/ghim", "/thanh-doan/so-luong"):
        response = client.get(path)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


@pytest.mark.parametrize("username", ["thanhdoan", "dieuphoi"])
def test_youth_union_and_coordinators_see_the_pages(client, username):
    login(client, username)
    for path in ("/thanh-doan/", "/thanh-doan/ghim", "/thanh-doan/so-luong"):
        assert client.get(path).status_code == 200, path


def test_phones_are_shown_to_coordinators_only(loaded_app):
    youth = loaded_app.test_client()
    login(youth, "thanhdoan")
    page = youth.get("/thanh-doan/").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and not any(phone in page for phone in STUDENT_PHONES)
    coordinator = loaded_app.test_client()
    login(coordinator, "dieuphoi")
    page = coordinator.get("/thanh-doan/").get_data(as_text=True)
    assert all(phone in page for phone in STUDENT_PHONES)


# ------------------------------------------------------------------------------------------- students


def test_students_page_lists_only_students_with_school_and_home_ward(client):
    login(client, "thanhdoan")
    page = client.get("/thanh-doan/").get_data(as_text=True)
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Thu Dung", "Hoàng Đức Giang"):
        assert name in page
    assert "Đỗ Hữu Khánh" not in page and "Vũ Ngọc Hà" not in page  # a technician, a telecom staff
    assert "Đại học FPT" in page and "Xã Bất Bạt" in page
    assert "0 / 5 sinh viên đã được xếp" in page


def test_students_filter_by_school_ward_and_name(client):
    login(client, "thanhdoan")
    page = client.get("/thanh-doan/?school=Đại học FPT").get_data(as_text=True)
    assert "Hoàng Đức Giang" in page and "Nguyễn Văn An" not in page
    page = client.get("/thanh-doan/?home=00337").get_data(as_text=True)
    assert "Lê Minh Châu" in page and "Phạm Thu Dung" in page and "Nguyễn Văn An" not in page
    page = client.get("/thanh-doan/?q=nguyen van").get_data(as_text=True)  # without accents
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" not in page
    client.post("/thanh-doan/xep", data={"person_id": ["SV0002"], "ward_code": "00337", "team": "Đội 1"})
    page = client.get("/thanh-doan/?ward=00337").get_data(as_text=True)
    assert "Trần Thị Bình" in page and "Nguyễn Văn An" not in page
    page = client.get("/thanh-doan/?ward=-").get_data(as_text=True)
    assert "Trần Thị Bình" not in page and "Nguyễn Văn An" in page


def test_students_are_paged(client, monkeypatch):
    from web import youth

    monkeypatch.setattr(youth, "PAGE_SIZE", 2)
    login(client, "thanhdoan")
    first = client.get("/thanh-doan/").get_data(as_text=True)
    third = client.get("/thanh-doan/?page=3").get_data(as_text=True)
    assert "Trang 1 / 3" in first and "Nguyễn Văn An" in first and "Hoàng Đức Giang" not in first
    assert "Trang 3 / 3" in third and "Hoàng Đức Giang" in third and "Nguyễn Văn An" not in third


def test_placing_students_stores_teams_bumps_the_revision_and_sets_the_preferred_ward(client, loaded_app):
    from web.models import Team, db

    login(client, "thanhdoan")
    before = _revision(loaded_app)
    response = client.post(
        "/thanh-doan/xep",
        data={"person_id": ["SV0001", "SV0005"], "ward_code": "00337", "team": "  Đội   Hoàng Liệt 1 ", "school": "x"},
    )
    assert response.status_code == 302 and "school=x" in response.headers["Location"]
    assert _revision(loaded_app) == before + 1
    with loaded_app.app_context():
        teams = {t.person_id: (t.ward_code, t.team, t.updated_by) for t in db.session.scalars(select(Team))}
    assert teams == {
        "SV0001": ("00337", "Đội Hoàng Liệt 1", "thanhdoan"),
        "SV0005": ("00337", "Đội Hoàng Liệt 1", "thanhdoan"),
    }
    campaign = _campaign(loaded_app)
    assert campaign.person("SV0001").preferred_ward_codes == ("00337",)
    assert campaign.person("SV0005").preferred_ward_codes == ("00337",)
    assert campaign.person("SV0002").preferred_ward_codes == ()
    page = client.get("/thanh-doan/").get_data(as_text=True)
    assert "Đội Hoàng Liệt 1" in page and "2 / 5 sinh viên đã được xếp" in page
    # placing again updates the row (an upsert), and clearing removes it
    client.post("/thanh-doan/xep", data={"person_id": ["SV0001"], "ward_code": "00316", "team": "Đội 2"})
    assert _campaign(loaded_app).person("SV0001").preferred_ward_codes == ("00316",)
    client.post("/thanh-doan/xep", data={"person_id": ["SV0005"], "action": "clear"})
    with loaded_app.app_context():
        teams = {t.person_id: (t.ward_code, t.team) for t in db.session.scalars(select(Team))}
    assert teams == {"SV0001": ("00316", "Đội 2")}
    assert _campaign(loaded_app).person("SV0005").preferred_ward_codes == ()
    assert _revision(loaded_app) == before + 3


@pytest.mark.parametrize(
    "data, message",
    [
        ({"person_id": ["SV0001"], "ward_code": "99999"}, "Xã/phường mã 99999 không thuộc chiến dịch."),
        ({"person_id": ["SV0001"], "ward_code": ""}, "Hãy chọn xã/phường."),
        ({"ward_code": "00316"}, "Chưa chọn sinh viên nào."),
        ({"person_id": ["KT0001"], "ward_code": "00316"}, "Không có sinh viên mã KT0001 trong chiến dịch."),
        ({"person_id": ["SV0001"], "ward_code": "00316", "team": "x" * 101}, "Tên đội dài quá 100 ký tự."),
    ],
)
def test_placing_refuses_bad_input_with_a_clear_error(client, loaded_app, data, message):
    from web.models import Team, db

    login(client, "thanhdoan")
    before = _revision(loaded_app)
    response = client.post("/thanh-doan/xep", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _revision(loaded_app) == before
    with loaded_app.app_context():
        assert list(db.session.scalars(select(Team))) == []


# ------------------------------------------------------------------------------------------- pins


def _pin(client, person_id="SV0001", ward_code="00316", day="2025-07-24", shift_id="sang"):
    return client.post(
        "/thanh-doan/ghim", data={"person_id": person_id, "ward_code": ward_code, "date": day, "shift_id": shift_id}
    )


def test_a_pin_is_stored_bumps_the_revision_and_reaches_the_campaign(client, loaded_app):
    login(client, "thanhdoan")
    before = _revision(loaded_app)
    response = _pin(client, "SV0003", "00337", "2025-07-25", "sang")
    assert response.status_code == 302
    assert _revision(loaded_app) == before + 1
    pins = _campaign(loaded_app).pins
    assert [(p.person_id, p.ward_code, p.date, p.shift_id) for p in pins] == [
        ("SV0003", "00337", date(2025, 7, 25), "sang")
    ]
    page = client.get("/thanh-doan/ghim").get_data(as_text=True)
    assert "Lê Minh Châu" in page and "Thứ Sáu, 25/07/2025" in page and "Ca sáng (07:30–11:30)" in page


def test_a_pin_can_be_deleted(client, loaded_app):
    from web.models import Pin, db

    login(client, "thanhdoan")
    _pin(client)
    with loaded_app.app_context():
        pin_id = db.session.scalar(select(Pin.id))
    before = _revision(loaded_app)
    assert client.post(f"/thanh-doan/ghim/{pin_id}/xoa").status_code == 302
    assert _revision(loaded_app) == before + 1 and _campaign(loaded_app).pins == ()
    assert client.post(f"/thanh-doan/ghim/{pin_id}/xoa").status_code == 404


def test_the_students_page_prefills_the_pin_form(client, loaded_app):
    login(client, "thanhdoan")
    client.post("/thanh-doan/xep", data={"person_id": ["SV0004"], "ward_code": "00337"})
    page = client.get("/thanh-doan/ghim?person=SV0004").get_data(as_text=True)
    assert 'value="SV0004"' in page and '<option value="00337" selected>' in page


@pytest.mark.parametrize(
    "pin, message",
    [
        (dict(person_id="SV9999"), "Không có sinh viên mã “SV9999” trong chiến dịch."),
        (dict(person_id="KT0001"), "Không có sinh viên mã “KT0001” trong chiến dịch."),
        (dict(ward_code="99999"), "Hãy chọn một xã/phường của chiến dịch."),
        (dict(day="2025-07-30"), "Hãy chọn một ngày trong chiến dịch."),
        (dict(day="30/07"), "Hãy chọn một ngày trong chiến dịch."),
        (dict(shift_id="truc_dem"), "Hãy chọn một ca hỗ trợ của chiến dịch."),
        (dict(shift_id="nope"), "Hãy chọn một ca hỗ trợ của chiến dịch."),
        (dict(person_id="SV0002", day="2025-07-25"), "Trần Thị Bình đã đăng ký bận ngày Thứ Sáu, 25/07/2025."),
        (dict(person_id="SV0003", shift_id="chieu"), "Lê Minh Châu không đăng ký làm Ca chiều."),
    ],
)
def test_pin_validation_errors(client, loaded_app, pin, message):
    login(client, "thanhdoan")
    before = _revision(loaded_app)
    response = _pin(client, **pin)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _revision(loaded_app) == before and _campaign(loaded_app).pins == ()


def test_pin_refuses_a_second_pin_that_day_another_ward_or_too_many_hours(client, loaded_app):
    login(client, "thanhdoan")
    assert _pin(client, "SV0001", "00316", "2025-07-24", "sang").status_code == 302
    response = _pin(client, "SV0001", "00316", "2025-07-24", "chieu")
    assert response.status_code == 400 and "Nguyễn Văn An đã được ghim ngày Thứ Năm, 24/07/2025." in response.get_data(
        as_text=True
    )
    response = _pin(client, "SV0001", "00337", "2025-07-25", "sang")
    assert response.status_code == 400 and "đã được ghim ở Phường Định Công" in response.get_data(as_text=True)
    # one pin a day in the same ward is fine (SV0001's 16-hour weekly cap holds three 4-hour shifts)
    assert _pin(client, "SV0001", "00316", "2025-07-25", "chieu").status_code == 302
    assert _pin(client, "SV0001", "00316", "2025-07-26", "sang").status_code == 302
    assert len(_campaign(loaded_app).pins) == 3


def test_weekly_cap_is_checked(client, loaded_app, monkeypatch):
    import dataclasses

    from web import store

    campaign = _campaign(loaded_app)
    capped = dataclasses.replace(
        campaign,
        people=tuple(dataclasses.replace(p, weekly_cap_hours=4) if p.id == "SV0004" else p for p in campaign.people),
    )
    monkeypatch.setattr(store, "campaign", lambda: capped)
    login(client, "thanhdoan")
    assert _pin(client, "SV0004", "00337", "2025-07-24", "sang").status_code == 302
    response = _pin(client, "SV0004", "00337", "2025-07-25", "sang")
    assert response.status_code == 400
    assert "vượt 4 giờ mỗi tuần" in response.get_data(as_text=True)


def test_solver_keeps_a_pin_from_the_web(client, loaded_app):
    """A pin saved on the page is in the next solve's roster."""
    from scheduler.pipeline import solve
    from scheduler.settings import SolveSettings

    login(client, "thanhdoan")
    assert _pin(client, "SV0005", "00316", "2025-07-24", "chieu").status_code == 302
    campaign = _campaign(loaded_app)
    roster = solve(campaign, SolveSettings(time_limit_seconds=3, processes=1)).roster
    assert any(
        a.person_id == "SV0005" and a.ward_code == "00316" and a.date == date(2025, 7, 24) and a.shift_id == "chieu"
        for a in roster.assignments
    )


# ------------------------------------------------------------------------------------------- counts


def test_counts_page_numbers(client, loaded_app):
    from web import store

    login(client, "thanhdoan")
    client.post(
        "/thanh-doan/xep", data={"person_id": ["SV0001", "SV0002", "SV0005"], "ward_code": "00316", "team": "Đội A"}
    )
    client.post("/thanh-doan/xep", data={"person_id": ["SV0003"], "ward_code": "00337", "team": "Đội B"})
    with loaded_app.app_context():
        from web.youth import student_counts

        version_id = store.latest_published().id
        figures = student_counts(store.campaign(), version_id)
        from web.models import AssignmentRow, db

        assigned = [
            (r.person_id, r.ward_code)
            for r in db.session.scalars(
                select(AssignmentRow).where(AssignmentRow.version_id == version_id, AssignmentRow.person_id.like("SV%"))
            )
        ]
    assert {p for p, _w in assigned} >= {"SV0001", "SV0005"}  # the tiny roster gives students shifts
    school_of = {p.id: p.organisation for p in _campaign(loaded_app).people}
    people_by_ward = defaultdict(set)
    for pid, ward in assigned:
        people_by_ward[ward].add(pid)
    shifts_by_ward = Counter(ward for _pid, ward in assigned)
    for ward, people in people_by_ward.items():
        assert figures["wards"][ward]["assigned"] == len(people)
        assert figures["wards"][ward]["shifts"] == shifts_by_ward[ward]
    assert figures["wards"]["00316"]["placed"] == 3 and figures["wards"]["00337"]["placed"] == 1
    assert figures["wards"]["00316"]["teams"] == {"Đội A"}
    college = figures["schools"]["Trường Cao đẳng Công nghệ cao Hà Nội"]
    fpt = figures["schools"]["Đại học FPT"]
    assert (college["students"], college["placed"], fpt["students"], fpt["placed"]) == (4, 3, 1, 1)
    assert college["assigned"] == len({p for p, _w in assigned if school_of[p] != "Đại học FPT"})
    assert fpt["assigned"] == len({p for p, _w in assigned if p == "SV0005"})
    assert college["shifts"] + fpt["shifts"] == len(assigned)

    page = client.get("/thanh-doan/so-luong").get_data(as_text=True)
    fpt_row = f"<tr><td>Đại học FPT</td><td>1</td><td>1</td><td>{fpt['assigned']}</td><td>{fpt['shifts']}</td></tr>"
    assert fpt_row in page
    ward_row = (
        f'<tr><td>Phường Định Công</td><td>3</td><td class="text">Đội A</td>'
        f"<td>{len(people_by_ward['00316'])}</td><td>{shifts_by_ward['00316']}</td></tr>"
    )
    assert ward_row in page
    assert f"<tfoot><tr><th>Tổng</th><th>5</th><th>4</th><th>{len({p for p, _w in assigned})}</th>" in page


def test_counts_without_a_published_version(app, tiny_solution):
    from tests.web.conftest import load_tiny

    load_tiny(app, tiny_solution, publish=False)
    client = app.test_client()
    login(client, "thanhdoan")
    page = client.get("/thanh-doan/so-luong").get_data(as_text=True)
    assert "Chưa có lịch nào được công bố" in page
    assert "<tr><td>Đại học FPT</td><td>1</td><td>0</td><td>0</td><td>0</td></tr>" in page


def test_pages_without_a_campaign(app):
    from web.auth import create_user

    with app.app_context():
        create_user("thanhdoan", "mat-khau-123", "youth_union")
    client = app.test_client()
    login(client, "thanhdoan")
    for path in ("/thanh-doan/", "/thanh-doan/ghim", "/thanh-doan/so-luong"):
        response = client.get(path)
        assert response.status_code == 200 and "Chưa có dữ liệu chiến dịch" in response.get_data(as_text=True)
    assert client.post("/thanh-doan/ghim", data={"person_id": "SV0001"}).status_code == 404


def test_pin_check_keeps_the_legal_weekly_ceiling_above_a_student_cap(client, loaded_app, monkeypatch):
    """A student's own cap above the legal weekly hours does not let pins pass the legal ceiling."""
    import dataclasses

    from web import store

    campaign = _campaign(loaded_app)
    strict = dataclasses.replace(
        campaign,
        rules=dataclasses.replace(campaign.rules, max_work_hours_per_week=4),
        people=tuple(dataclasses.replace(p, weekly_cap_hours=20) if p.id == "SV0004" else p for p in campaign.people),
    )
    monkeypatch.setattr(store, "campaign", lambda: strict)
    login(client, "thanhdoan")
    assert _pin(client, "SV0004", "00337", "2025-07-24", "sang").status_code == 302
    response = _pin(client, "SV0004", "00337", "2025-07-25", "sang")
    assert response.status_code == 400
    assert "vượt 4 giờ mỗi tuần" in response.get_data(as_text=True)
