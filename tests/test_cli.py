"""The command line end to end: scenario, check, wards, demo."""

import csv
import io
import json
import re

import pytest

from raquan.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def hanoi_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("hanoi")
    assert main(["scenario", "hanoi", "--seed", "7", "--out", str(out)]) == 0
    return out


def test_scenario_writes_the_four_files(hanoi_dir):
    assert sorted(p.name for p in hanoi_dir.iterdir()) == [
        "campaign.toml",
        "mobile_points.csv",
        "people.csv",
        "wards.csv",
    ]


def test_same_seed_gives_byte_identical_files(hanoi_dir, tmp_path, capsys):
    again = tmp_path / "again"
    code, _, _ = run(capsys, "scenario", "hanoi", "--seed", "7", "--out", str(again))
    assert code == 0
    for path in hanoi_dir.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_another_seed_gives_other_people(hanoi_dir, tmp_path, capsys):
    other = tmp_path / "other"
    run(capsys, "scenario", "hanoi", "--seed", "8", "--out", str(other))
    assert (other / "people.csv").read_bytes() != (hanoi_dir / "people.csv").read_bytes()


def test_hanoi_scenario_has_the_expected_scale(hanoi_dir):
    people = list(csv.DictReader(io.StringIO((hanoi_dir / "people.csv").read_text(encoding="utf-8"))))
    pools = [row["pool"] for row in people]
    assert 2400 <= pools.count("student") <= 2600
    assert 280 <= pools.count("telecom") <= 320
    assert 230 <= pools.count("technician") <= 270
    wards = list(csv.DictReader(io.StringIO((hanoi_dir / "wards.csv").read_text(encoding="utf-8"))))
    assert len(wards) == 126
    points = list(csv.DictReader(io.StringIO((hanoi_dir / "mobile_points.csv").read_text(encoding="utf-8"))))
    assert 380 <= len(points) <= 420


def test_check_accepts_the_generated_scenario(hanoi_dir, capsys):
    code, out, _ = run(capsys, "check", str(hanoi_dir))
    assert code == 0
    assert "Hợp lệ" in out
    assert "126" in out


def test_check_names_the_broken_row(hanoi_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in hanoi_dir.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    people = broken / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    row = next(csv.reader([lines[12]]))  # data row 12 (line 13)
    row[header.index("unavailable_dates")] = "31/02/2025"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    lines[12] = buffer.getvalue()
    people.write_text("".join(lines), encoding="utf-8")

    code, out, err = run(capsys, "check", str(broken))
    assert code != 0
    assert "people.csv" in out
    assert "hàng 12" in out
    assert "31/02/2025" in out
    assert "không dữ liệu nào được nạp" in err


def test_tiny_scenario_is_a_dozen_people_in_three_wards(tmp_path, capsys):
    code, _, _ = run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    assert code == 0
    people = list(csv.DictReader(io.StringIO((tmp_path / "people.csv").read_text(encoding="utf-8"))))
    wards = list(csv.DictReader(io.StringIO((tmp_path / "wards.csv").read_text(encoding="utf-8"))))
    assert len(people) == 12
    assert len(wards) == 3
    assert run(capsys, "check", str(tmp_path))[0] == 0


def test_scenario_in_xlsx_checks_too(tmp_path, capsys):
    code, _, _ = run(capsys, "scenario", "tiny", "--out", str(tmp_path), "--format", "xlsx")
    assert code == 0
    assert (tmp_path / "people.xlsx").exists()
    assert run(capsys, "check", str(tmp_path))[0] == 0


def test_wards_csv_for_hanoi_has_126_rows(capsys):
    code, out, _ = run(capsys, "wards", "--province", "Ha Noi", "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "code",
        "name",
        "type",
        "province",
        "lat",
        "lon",
        "area_km2",
        "official_area_km2",
        "area_corrected",
        "area_note",
    ]
    assert len(rows) - 1 == 126


def test_wards_csv_nationwide_has_3321_rows(capsys):
    code, out, _ = run(capsys, "wards")
    assert code == 0
    assert len(out.strip().splitlines()) - 1 == 3321


def test_wards_unknown_province_is_a_clear_error(capsys):
    code, _, err = run(capsys, "wards", "--province", "Ha Nooi")
    assert code == 2
    assert "Hà Nội" in err


def test_wards_geojson_for_hanoi(capsys):
    code, out, _ = run(capsys, "wards", "--province", "Hà Nội", "--format", "geojson")
    assert code == 0
    collection = json.loads(out)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 126


@pytest.mark.slow
def test_hanoi_scenario_solves_and_verifies(tmp_path, capsys):
    code, out, _ = run(capsys, "scenario", "hanoi", "--seed", "1", "--out", str(tmp_path / "hanoi"))
    assert code == 0
    code, out, _ = run(
        capsys, "solve", str(tmp_path / "hanoi"), "--out", str(tmp_path / "roster.json"), "--time-limit", "20"
    )
    assert code == 0
    assert "Vi phạm quy tắc cứng: 0" in out
    code, out, _ = run(
        capsys, "solve", str(tmp_path / "hanoi"), "--out", str(tmp_path / "roster.xlsx"), "--time-limit", "5"
    )
    assert (tmp_path / "roster.xlsx").exists()
    code, out, _ = run(capsys, "verify", str(tmp_path / "hanoi"), str(tmp_path / "roster.json"))
    assert code == 0
    assert "Vi phạm: 0" in out


def test_solve_and_verify_tiny_to_optimality(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    code, out, _ = run(capsys, "solve", str(tmp_path), "--out", str(tmp_path / "roster.json"), "--time-limit", "20")
    assert code == 0
    assert "Trạng thái: OPTIMAL" in out
    assert "khoảng cách: 0.00%" in out
    code, out, _ = run(capsys, "verify", str(tmp_path), str(tmp_path / "roster.json"))
    assert code == 0
    recomputed, declared = re.search(r"Hàm mục tiêu tính lại: (\d+) \(lịch ghi: (\d+)\)", out).groups()
    assert recomputed == declared


def test_solve_writes_xlsx_and_csv(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    for name in ("roster.xlsx", "roster.csv"):
        code, _, _ = run(capsys, "solve", str(tmp_path), "--out", str(tmp_path / name), "--time-limit", "5")
        assert code == 0
        assert (tmp_path / name).stat().st_size > 0


def test_verify_rejects_a_tampered_roster(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    run(capsys, "solve", str(tmp_path), "--out", str(tmp_path / "roster.json"), "--time-limit", "5")
    roster = json.loads((tmp_path / "roster.json").read_text(encoding="utf-8"))
    oncall = next(a for a in roster["assignments"] if a.get("covered_ward_codes"))
    roster["assignments"].append(dict(oncall, person_id="SV0001"))  # a student on call
    (tmp_path / "roster.json").write_text(json.dumps(roster), encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(tmp_path), str(tmp_path / "roster.json"))
    assert code == 1
    assert "eligibility" in out


def test_solve_reads_solver_settings_from_campaign_toml(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    toml = tmp_path / "campaign.toml"
    base = toml.read_text(encoding="utf-8")
    toml.write_text(base + "\n[solver]\nprocesses = 0\n", encoding="utf-8")
    code, _, err = run(capsys, "solve", str(tmp_path), "--out", str(tmp_path / "roster.json"))
    assert code == 1 and "solver.processes" in err
    toml.write_text(base + "\n[solver]\ntime_limit_seconds = 3\nprocesses = 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "solve", str(tmp_path), "--out", str(tmp_path / "roster.json"))
    assert code == 0 and "Vi phạm quy tắc cứng: 0" in out
    code, _, err = run(capsys, "solve", str(tmp_path), "--out", str(tmp_path / "roster.json"), "--processes", "0")
    assert code == 2 and "solver.processes" in err


def test_repair_prints_the_changes_and_writes_a_verified_roster(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    published = tmp_path / "roster.json"
    assert run(capsys, "solve", str(tmp_path), "--out", str(published), "--time-limit", "10")[0] == 0
    victim = json.loads(published.read_text(encoding="utf-8"))["assignments"][0]
    repaired = tmp_path / "repaired.json"
    code, out, err = run(
        capsys,
        "repair",
        str(tmp_path),
        str(published),
        "--event",
        f"cancellation,person={victim['person_id']},dates=2025-07-24..2025-07-26",
        "--now",
        "2025-07-23T20:00",
        "--out",
        str(repaired),
        "--time-limit",
        "10",
    )
    assert code == 0, err
    assert "Bây giờ: 2025-07-23 20:00; 1 sự kiện" in out
    assert "bỏ " in out and f"({victim['person_id']})" in out
    assert re.search(r"Phân công thay đổi: \d+ \(\+\d+ / −\d+\)", out)
    roster = json.loads(repaired.read_text(encoding="utf-8"))
    assert not [a for a in roster["assignments"] if a["person_id"] == victim["person_id"]]
    code, out, _ = run(capsys, "verify", str(tmp_path), str(repaired))
    assert code == 0 and "Vi phạm: 0" in out


def test_repair_refuses_an_unknown_person_clearly(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    published = tmp_path / "roster.json"
    run(capsys, "solve", str(tmp_path), "--out", str(published), "--time-limit", "5")
    code, _, err = run(
        capsys,
        "repair",
        str(tmp_path),
        str(published),
        "--event",
        "cancellation,person=NOONE,dates=2025-07-24",
        "--out",
        str(tmp_path / "x.json"),
    )
    assert code == 2 and "no person 'NOONE'" in err
    assert not (tmp_path / "x.json").exists()


def test_solve_from_a_published_roster_keeps_it(tmp_path, capsys):
    run(capsys, "scenario", "tiny", "--out", str(tmp_path))
    published = tmp_path / "roster.json"
    run(capsys, "solve", str(tmp_path), "--out", str(published), "--time-limit", "5")
    again = tmp_path / "again.json"
    code, out, _ = run(
        capsys,
        "solve",
        str(tmp_path),
        "--out",
        str(again),
        "--time-limit",
        "5",
        "--published",
        str(published),
        "--now",
        "2025-07-23T20:00",
    )
    assert code == 0 and "Thay đổi so với bản đã công bố: 0 người thêm ca, 0 người đổi ca" in out
    before = json.loads(published.read_text(encoding="utf-8"))["assignments"]
    after = json.loads(again.read_text(encoding="utf-8"))["assignments"]
    key = lambda a: json.dumps(a, sort_keys=True)  # noqa: E731
    assert sorted(map(key, before)) == sorted(map(key, after))


def test_outbox_runs_one_round_over_an_empty_data_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAQUAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RAQUAN_DATABASE_URL", raising=False)
    code, _, _ = run(capsys, "outbox", "--once")
    assert code == 0
    assert (tmp_path / "data").is_dir()


def test_demo_refuses_a_start_that_is_not_a_date(capsys):
    code, _, err = run(capsys, "demo", "--no-browser", "--start", "24/07/2025")
    assert code == 2 and "--start '24/07/2025' is not a date" in err


def test_scenario_province_writes_a_campaign_that_checks(tmp_path, capsys):
    out = tmp_path / "lai-chau"
    code, stdout, _ = run(capsys, "scenario", "province", "Lai Châu", "--seed", "2", "--days", "3", "--out", str(out))
    assert code == 0, stdout
    assert "Lai Châu 2025" in (out / "campaign.toml").read_text(encoding="utf-8")
    code, stdout, _ = run(capsys, "check", str(out))
    assert code == 0 and "Hợp lệ" in stdout


def test_scenario_province_unknown_name_suggests_one(tmp_path, capsys):
    code, _, err = run(capsys, "scenario", "province", "Lai Chao", "--out", str(tmp_path / "x"))
    assert code == 2
    assert "không tìm thấy tỉnh/thành phố 'Lai Chao'" in err and "Tỉnh Lai Châu" in err
    assert not (tmp_path / "x").exists()
    code, _, err = run(capsys, "scenario", "province", "--out", str(tmp_path / "x"))
    assert code == 2 and "thiếu tên tỉnh" in err


def test_scenario_country_and_check_name_the_province_of_each_problem(tmp_path, capsys):
    out = tmp_path / "country"
    code, stdout, _ = run(
        capsys, "scenario", "country", "--seed", "3", "--days", "3", "--provinces", "Lai Châu, 11", "--out", str(out)
    )
    assert code == 0, stdout
    assert sorted(p.name for p in out.iterdir()) == ["11-dien-bien", "12-lai-chau", "country.toml"]
    assert "Cả nước: 2 tỉnh, thành phố, 83 xã phường" in stdout
    code, stdout, _ = run(capsys, "check", str(out))
    assert code == 0, stdout
    assert re.search(r"Điện Biên · 11-dien-bien: 45 xã phường, [\d.]+ người, \d+ điểm lưu động", stdout)
    assert "Cả nước: 2/2 tỉnh, thành phố hợp lệ; 83 xã phường" in stdout

    wards = out / "12-lai-chau" / "wards.csv"
    wards.write_text(wards.read_text(encoding="utf-8").replace("Xã Bình Lư", "Xã Bình Lưu", 1), encoding="utf-8")
    code, stdout, err = run(capsys, "check", str(out))
    assert code == 1
    assert (
        "[Lai Châu · 12-lai-chau] wards.csv, hàng 2 (dòng 3), cột ward: không tìm thấy xã/phường 'Xã Bình Lưu'"
        in stdout
    )
    assert "Lai Châu · 12-lai-chau: " in stdout and "không nạp được" in stdout
    assert "Điện Biên · 11-dien-bien: 45 xã phường" in stdout  # the other province is still checked
    assert "Từ chối:" in err and "Lai Châu · 12-lai-chau" in err


def test_check_of_a_country_with_a_missing_province_directory_names_it(tmp_path, capsys):
    out = tmp_path / "country"
    assert main(["scenario", "country", "--days", "3", "--provinces", "Lai Châu", "--out", str(out)]) == 0
    capsys.readouterr()
    (out / "12-lai-chau").rename(out / "elsewhere")
    code, _, err = run(capsys, "check", str(out))
    assert code == 1 and "không có thư mục tỉnh đã kê: 12-lai-chau" in err


def test_scenario_hanoi_with_days_is_shorter_and_tiny_refuses_days(tmp_path, capsys):
    code, _, _ = run(capsys, "scenario", "hanoi", "--days", "3", "--out", str(tmp_path / "h"))
    assert code == 0
    assert "days = 3\n" in (tmp_path / "h" / "campaign.toml").read_text(encoding="utf-8")
    code, _, err = run(capsys, "scenario", "tiny", "--days", "3", "--out", str(tmp_path / "t"))
    assert code == 2 and "--days" in err
