"""The import path under stress: a per-file size limit, a bounded error page with an exact count,
warnings and notes shown after a good upload, imports serialised in the database across server
processes (the stored data set always loads), and /healthz saying when it does not.

The conflicting pair used below: the tiny campaign's wards are Định Công, Hoàng Liệt and Bất Bạt, and
nobody prefers Định Công nor has a mobile point there. ``WARDS_WITHOUT_DINH_CONG`` drops that ward and
passes alone; ``PEOPLE_PREFERRING_DINH_CONG`` has SV0001 prefer it and passes alone; together they do
not load (a preferred ward must be a campaign ward).
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.web.conftest import TINY, login, make_app

PREFIX = "/dieu-phoi"
DINH_CONG = "Phường Định Công"


def text(response) -> str:
    return response.get_data(as_text=True)


def wards_without_dinh_cong() -> bytes:
    lines = (TINY / "wards.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(DINH_CONG)).encode()


def people_preferring_dinh_cong() -> bytes:
    content = (TINY / "people.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(content)))
    rows[[row["person_id"] for row in rows].index("SV0001")]["preferred_wards"] = DINH_CONG
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def people_with_one_phone(rows: int) -> bytes:
    """``rows`` people cycling through the tiny ones, each with its own id, all with KT0001's phone."""
    content = (TINY / "people.csv").read_text(encoding="utf-8")
    template = list(csv.DictReader(io.StringIO(content)))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(template[0]), lineterminator="\n")
    writer.writeheader()
    for number in range(rows):
        writer.writerow(
            dict(template[number % len(template)], person_id=f"P{number + 1:05d}", phone=template[0]["phone"])
        )
    return buffer.getvalue().encode()


def stored_set_loads(app) -> list[str]:
    """The errors of the data set as stored (empty: it loads)."""
    from scheduler.loader import check_campaign_files
    from web import store

    with app.app_context():
        return [str(problem) for problem in check_campaign_files(store.files()).errors]


def section(page: str, anchor: str) -> str:
    """The part of the page from the heading with id ``anchor`` to the next heading."""
    start = page.index(f'id="{anchor}"')
    end = page.find("<h2", start)
    return page[start : end if end >= 0 else len(page)]


def upload(client, table: str, content: bytes, filename: str):
    return client.post(
        f"{PREFIX}/nhap-du-lieu",
        content_type="multipart/form-data",
        data={"table": table, "file": (io.BytesIO(content), filename)},
    )


# ------------------------------------------------------------------------------------------------ size


def test_a_file_over_the_upload_limit_is_refused_naming_the_file_and_the_limit(client, loaded_app):
    from web import store

    loaded_app.config["RAQUAN_MAX_UPLOAD_FILE_BYTES"] = 2048
    content = (TINY / "people.csv").read_bytes() + b"\n" * 4000
    with loaded_app.app_context():
        before, revision = store.files(), store.revision()
    login(client, "dieuphoi")
    response = upload(client, "people", content, "nhan-su.csv")
    assert response.status_code == 413
    page = text(response)
    assert "nhan-su.csv" in page and "vượt giới hạn 2 KB của một tệp tải lên" in page
    assert "Mỗi tệp tối đa 2 KB." in page
    with loaded_app.app_context():
        assert store.files() == before and store.revision() == revision
        with pytest.raises(store.ImportRejected) as refused:  # any other caller meets the same limit
            store.import_files({"people.csv": content})
        assert [(p.file, p.row) for p in refused.value.problems] == [("people.csv", None)]
        assert refused.value.problems[0].message.startswith("tệp people.csv lớn 6 KB, vượt giới hạn 2 KB")
        assert store.files() == before


# ------------------------------------------------------------------------------------------------ bounded errors


def test_a_phone_filled_down_gives_a_bounded_page_with_the_exact_count(client, loaded_app):
    from scheduler.problems import MAX_PROBLEMS_PER_COLUMN
    from web import store

    with loaded_app.app_context():
        before = store.files()
    login(client, "dieuphoi")
    response = upload(client, "people", people_with_one_phone(2000), "people.csv")
    assert response.status_code == 422
    page = text(response)
    assert len(page) < 100_000
    assert "Tệp bị từ chối, chưa lưu gì: 2000 lỗi." in page and "people.csv (2000)</h2>" in page
    table = section(page, "loi")
    assert table.count("<tr>") + table.count('<tr class="omitted">') == 1 + MAX_PROBLEMS_PER_COLUMN + 1
    assert (
        "trùng với hàng 2 (dòng 3), hàng 3 (dòng 4), hàng 4 (dòng 5), hàng 5 (dòng 6), hàng 6 (dòng 7) "
        "và 1.994 hàng khác" in page
    )
    assert "trùng với hàng 1 (dòng 2)</td>" in page
    assert "và 1.950 lỗi khác cùng cột không được liệt kê" in page
    with loaded_app.app_context():
        assert store.files() == before


# ------------------------------------------------------------------------------------------------ warnings, notes


def with_reader_note(monkeypatch, stem: str, message: str) -> None:
    """The table reader adds a note to what it finds in ``stem``'s file."""
    import scheduler.loader as loader
    from scheduler.problems import Problem

    read_table = loader.read_table

    def reading(path, schema):
        table, problems = read_table(path, schema)
        if schema.name == stem:
            problems = problems + [Problem(table.file, None, None, message, severity="note")]
        return table, problems

    monkeypatch.setattr(loader, "read_table", reading)


def test_warnings_and_notes_are_shown_apart_after_a_good_upload(client, loaded_app, monkeypatch):
    """A good upload with warnings or notes comes back to the import page, which shows the stored set's."""
    from web import store

    with_reader_note(monkeypatch, "mobile_points", "đã tìm thấy dòng tiêu đề ở dòng 3")
    header = (TINY / "mobile_points.csv").read_bytes().splitlines()[0] + b"\n"
    login(client, "dieuphoi")
    response = upload(client, "mobile_points", header, "diem-luu-dong.csv")
    assert response.status_code == 302 and response.headers["Location"] == f"{PREFIX}/nhap-du-lieu"
    page = text(client.get(response.headers["Location"]))  # the stored data set's warnings and notes
    assert "Đã lưu mobile_points.csv." in page and "Dữ liệu có 1 cảnh báo và " in page
    warnings, notes = section(page, "canh-bao"), section(page, "ghi-chu")
    assert "Cảnh báo (1)" in warnings and "bảng có dòng tiêu đề nhưng không có hàng dữ liệu nào" in warnings
    assert "Ghi chú (" in notes and "đã tìm thấy dòng tiêu đề ở dòng 3" in notes
    assert "đã tìm thấy dòng tiêu đề" not in warnings and "không có hàng dữ liệu" not in notes
    assert 'id="loi"' not in page
    with loaded_app.app_context():
        assert store.files()["mobile_points.csv"] == header
        assert store.campaign().mobile_points == ()


def test_notes_are_shown_beside_the_errors_of_a_refused_upload(client, loaded_app, monkeypatch):
    with_reader_note(monkeypatch, "people", "cột STT được bỏ qua")
    login(client, "dieuphoi")
    response = upload(client, "people", people_with_one_phone(3), "people.csv")
    assert response.status_code == 422
    page = text(response)
    assert "trùng với hàng 1 (dòng 2)" in section(page, "loi")
    assert "cột STT được bỏ qua" in section(page, "ghi-chu")


# ------------------------------------------------------------------------------------------------ serialised imports


def _change_stored_wards(app, content: bytes) -> None:
    """What another server process does: store wards.csv and raise the revision, in its own transaction."""
    from web.models import CampaignFile, Setting, db

    with db.engine.begin() as connection:
        connection.execute(update(CampaignFile).where(CampaignFile.name == "wards.csv").values(content=content))
        current = int(connection.scalar(select(Setting.value).where(Setting.key == "dataset_revision")))
        connection.execute(update(Setting).where(Setting.key == "dataset_revision").values(value=str(current + 1)))


def test_an_upload_whose_base_changed_during_its_check_is_checked_again(app, monkeypatch):
    from web import store

    with app.app_context():
        store.import_directory(TINY)
        check, calls = store.check_campaign_files, []

        def checked_while_another_process_stores(files):
            calls.append(files)
            report = check(files)
            if len(calls) == 1:
                _change_stored_wards(app, wards_without_dinh_cong())
            return report

        monkeypatch.setattr(store, "check_campaign_files", checked_while_another_process_stores)
        with pytest.raises(store.ImportRejected) as refused:
            store.import_files({"people.csv": people_preferring_dinh_cong()})
        assert len(calls) == 2
        assert [(p.file, p.column) for p in refused.value.problems] == [("people.csv", "preferred_wards")]
        assert DINH_CONG in refused.value.problems[0].message
        assert store.revision() == 2
    assert stored_set_loads(app) == []


def test_an_upload_that_keeps_losing_the_race_is_refused_with_a_clear_message(app, monkeypatch):
    from web import store

    with app.app_context():
        store.import_directory(TINY)
        before = store.files()
        check, calls = store.check_campaign_files, []

        def checked_while_others_keep_storing(files):
            calls.append(files)
            report = check(files)
            _change_stored_wards(app, (TINY / "wards.csv").read_bytes())
            return report

        monkeypatch.setattr(store, "check_campaign_files", checked_while_others_keep_storing)
        with pytest.raises(store.ImportRejected) as refused:
            store.import_files({"people.csv": (TINY / "people.csv").read_bytes().replace("Khánh".encode(), b"Khang")})
        assert len(calls) == store.IMPORT_ATTEMPTS
        assert [p.message for p in refused.value.problems] == ["dữ liệu vừa được người khác thay đổi, hãy thử lại"]
        assert store.files() == before


def _import_in_another_process(database_url: str, data_dir: str, uploads: dict, barrier, results) -> None:
    """A server process of its own importing ``uploads``; every process's first check ends at ``barrier``, so
    each has checked against the same stored files before any stores."""
    from web import store
    from web.models import db

    app = make_app(database_url, Path(data_dir))
    check, calls = store.check_campaign_files, []

    def checked_then_wait(files):
        calls.append(files)
        try:
            return check(files)
        finally:
            if len(calls) == 1:
                barrier.wait(timeout=120)

    store.check_campaign_files = checked_then_wait
    with app.app_context():
        try:
            store.import_files(uploads, "process")
            results.put(("stored", [], len(calls)))
        except store.ImportRejected as refused:
            results.put(("rejected", [str(problem) for problem in refused.problems], len(calls)))
        except Exception as error:  # reported to the test, which fails on it
            results.put(("failed", [repr(error)], len(calls)))
        finally:
            db.session.remove()
            db.engine.dispose()


def run_two_processes(database_url: str, tmp_path: Path, first: dict, second: dict) -> list[tuple]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(
            target=_import_in_another_process,
            args=(database_url, str(tmp_path / f"process-{n}"), uploads, barrier, results),
        )
        for n, uploads in enumerate((first, second))
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return sorted(outcomes)


def test_two_processes_importing_conflicting_files_never_store_a_set_that_does_not_load(app, database_url, tmp_path):
    from web import store

    with app.app_context():
        store.import_directory(TINY)
        revision = store.revision()
    outcomes = run_two_processes(
        database_url, tmp_path, {"wards.csv": wards_without_dinh_cong()}, {"people.csv": people_preferring_dinh_cong()}
    )
    assert [outcome[0] for outcome in outcomes] == ["rejected", "stored"], outcomes
    rejected = outcomes[0]
    assert rejected[2] == 2 and any(DINH_CONG in problem for problem in rejected[1])  # checked again, then refused
    assert stored_set_loads(app) == []
    with app.app_context():
        assert store.revision() == revision + 1


def test_two_first_imports_at_once_both_store_one_after_the_other(app, database_url, tmp_path):
    from web import store

    tiny = {path.name: path.read_bytes() for path in TINY.iterdir()}
    renamed = dict(tiny, **{"people.csv": tiny["people.csv"].replace("Khánh".encode(), b"Khang")})
    outcomes = run_two_processes(database_url, tmp_path, tiny, renamed)
    assert [outcome[0] for outcome in outcomes] == ["stored", "stored"], outcomes
    assert sorted(outcome[2] for outcome in outcomes) == [1, 2]  # the later one checked again
    assert stored_set_loads(app) == []
    with app.app_context():
        assert store.revision() == 2
        assert store.files() in (tiny, renamed)


# ------------------------------------------------------------------------------------------------ healthz


def test_healthz_reports_a_stored_data_set_that_does_not_load(client, loaded_app, monkeypatch):
    from web import store
    from web.models import CampaignFile, db

    assert client.get("/healthz").status_code == 200
    broken = (TINY / "people.csv").read_text(encoding="utf-8").replace(",technician,", ",phi công,", 1)
    with loaded_app.app_context():
        db.session.get(CampaignFile, "people.csv").content = broken.encode()
        store.bump_revision()
        db.session.commit()
    load, loads = store.load_campaign_files, []
    monkeypatch.setattr(store, "load_campaign_files", lambda files: loads.append(files) or load(files))
    for _ in range(3):
        response = client.get("/healthz")
        assert response.status_code == 503
        body = json.loads(response.get_data())
        assert body["status"] == "dataset_invalid" and body["errors"] == 1
        assert "problems" not in body and "phi công" not in response.get_data(as_text=True)  # no cell shown
    assert len(loads) == 1  # remembered for the revision: a probe does not load the files again


def test_healthz_is_ok_without_a_data_set(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
