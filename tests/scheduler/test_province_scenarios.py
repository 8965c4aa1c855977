"""Any province, and the country, as scenarios; the country directory and its check."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from geo import units
from scheduler.country_io import (
    COUNTRY_FILE,
    CountryDirError,
    check_country,
    export_country,
    is_country_dir,
    province_dir_name,
    province_dirs,
    read_country,
)
from scheduler.export import export_campaign
from scheduler.loader import load_campaign
from scheduler.model import Pool
from scheduler.scenarios import (
    MIN_TECHNICIANS_PER_CLUSTER,
    PROVINCE_SCHOOLS,
    country_scenario,
    hanoi_scenario,
    oncall_clusters,
    province_rates,
    province_scenario,
    staff_weight,
)


def pools(campaign) -> Counter:
    return Counter(person.pool for person in campaign.people)


def test_ha_noi_is_the_hanoi_scenario():
    assert province_scenario("Hà Nội", 2) == hanoi_scenario(2)
    assert province_scenario("01", 2) == hanoi_scenario(2)


def test_same_seed_gives_the_same_bytes_and_another_seed_other_people(tmp_path):
    for name in ("a", "b"):
        export_campaign(province_scenario("Lai Châu", 3, days=5), tmp_path / name)
    export_campaign(province_scenario("Lai Châu", 4, days=5), tmp_path / "c")
    for path in sorted((tmp_path / "a").iterdir()):
        assert (tmp_path / "b" / path.name).read_bytes() == path.read_bytes(), path.name
    assert (tmp_path / "c" / "people.csv").read_bytes() != (tmp_path / "a" / "people.csv").read_bytes()


def test_pools_follow_the_communes_weights_and_rates():
    rates = province_rates()
    for name, communes in (("Lai Châu", 38), ("Hưng Yên", 104)):
        campaign = province_scenario(name, 1, days=3)
        assert len(campaign.wards) == communes
        weight = sum(staff_weight(w) for w in campaign.wards)
        counted = pools(campaign)
        assert counted[Pool.STUDENT] == pytest.approx(rates.students_per_staff_weight * weight, abs=1)
        assert counted[Pool.TELECOM] == pytest.approx(rates.telecom_per_staff_weight * weight, abs=1)
    # Hà Nội's own pools give back its rates' reference: 2,500 students and 300 telecom staff.
    hanoi = [w for w in hanoi_scenario(1).wards]
    assert rates.students_per_staff_weight * sum(staff_weight(w) for w in hanoi) == pytest.approx(2500)


def test_more_communes_and_more_area_mean_larger_pools():
    lai_chau, hung_yen = province_scenario("Lai Châu", 1, days=3), province_scenario("Hưng Yên", 1, days=3)
    assert pools(hung_yen)[Pool.STUDENT] > pools(lai_chau)[Pool.STUDENT]  # 104 communes against 38
    # Per commune, Lai Châu's large mountain xã draw more people and more mobile points than Hưng Yên's.
    assert pools(lai_chau)[Pool.STUDENT] / 38 > pools(hung_yen)[Pool.STUDENT] / 104
    lai_chau_45, hung_yen_45 = province_scenario("Lai Châu", 1), province_scenario("Hưng Yên", 1)
    assert len(lai_chau_45.mobile_points) / 38 > len(hung_yen_45.mobile_points) / 104
    # A larger commune of one type weighs more, within the bounds.
    xa = sorted((w for w in lai_chau.wards if w.kind == "Xã"), key=lambda w: w.area_km2 or 0)
    assert staff_weight(xa[-1]) > staff_weight(xa[0])


def test_every_on_call_cluster_has_technicians_and_telecom_staff_living_in_it():
    campaign = province_scenario("Lai Châu", 1, days=3)
    clusters = oncall_clusters(list(campaign.wards))
    assert sum(len(c) == 1 for c in clusters) > 10  # a rural province: many one-commune clusters
    homes = {pool: Counter(p.home_ward_code for p in campaign.people if p.pool is pool) for pool in Pool}
    for cluster in clusters:
        assert sum(homes[Pool.TECHNICIAN][code] for code in cluster) >= MIN_TECHNICIANS_PER_CLUSTER, cluster
        assert sum(homes[Pool.TELECOM][code] for code in cluster) >= 1, cluster
    assert len({p.phone for p in campaign.people}) == len(campaign.people)
    assert len({m.id for m in campaign.mobile_points}) == len(campaign.mobile_points)


def test_students_of_a_province_with_known_universities_come_from_them():
    campaign = province_scenario("Đà Nẵng", 1, days=3)
    by_school = Counter(p.organisation for p in campaign.people if p.pool is Pool.STUDENT)
    for school in PROVINCE_SCHOOLS["48"]:
        assert by_school[school.name] == school.students
    school_ward = units.convert_legacy_address(PROVINCE_SCHOOLS["48"][1].legacy_address).code
    duy_tan = [p for p in campaign.people if p.organisation == "Trường Đại học Duy Tân"]
    assert sum(p.home_ward_code == school_ward for p in duy_tan) > len(duy_tan) / 2
    # The rest of the pool follows the rule: the province's colleges and students home for the summer.
    assert any(name.startswith("Sinh viên về địa phương dịp hè") for name in by_school)


@pytest.mark.parametrize("code", sorted(PROVINCE_SCHOOLS))
def test_every_known_university_is_in_its_province(code):
    for school in PROVINCE_SCHOOLS[code]:
        assert units.convert_legacy_address(school.legacy_address).province_code == code, school.name


def test_a_province_without_known_universities_follows_the_rule():
    campaign = province_scenario("Lai Châu", 1, days=3)
    students = [p for p in campaign.people if p.pool is Pool.STUDENT]
    organisations = Counter(p.organisation for p in students)
    assert set(organisations) == {
        "Các trường đại học, cao đẳng tại Lai Châu",
        "Sinh viên về địa phương dịp hè – Tỉnh đoàn Lai Châu",
    }
    kinds = {w.code: w.kind for w in campaign.wards}
    colleges = [p for p in students if p.organisation.startswith("Các trường")]
    assert all(kinds[p.home_ward_code] == "Phường" for p in colleges)
    summer_homes = {p.home_ward_code for p in students if p not in colleges}
    assert len(summer_homes) > 30  # spread over the province's 38 communes


def test_unknown_province_says_what_it_might_be():
    with pytest.raises(units.UnknownPlaceError, match="Lai Châu"):
        province_scenario("Lai Chao")


@pytest.mark.parametrize("code", [p.code for p in units.provinces()])
def test_every_province_loads_cleanly(code, tmp_path):
    """All 34, Tây Ninh's Xã Tân Thành and Xã Tân Thạnh (names alike but for their diacritics) included."""
    campaign = province_scenario(code, 1, days=3, scale=0.05)
    export_campaign(campaign, tmp_path / "written")
    loaded = load_campaign(tmp_path / "written")
    assert (loaded.name, loaded.wards, len(loaded.people)) == (campaign.name, campaign.wards, len(campaign.people))
    export_campaign(loaded, tmp_path / "again")
    for path in sorted((tmp_path / "written").iterdir()):
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.fixture(scope="module")
def country_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("country")
    export_country(country_scenario(5, days=3, scale=0.1, provinces=["Điện Biên", "12", "Cao Bằng"]), out, 5)
    return out


def test_country_directory_layout(country_dir):
    assert is_country_dir(country_dir)
    assert not is_country_dir(country_dir / "12-lai-chau")
    assert [p.name for p in province_dirs(country_dir)] == ["04-cao-bang", "11-dien-bien", "12-lai-chau"]
    country = read_country(country_dir)
    assert country.seed == 5
    assert country.solver.time_limit_seconds == 900
    assert province_dir_name("Thành phố Hồ Chí Minh") == "79-ho-chi-minh"
    assert province_dir_name("Hưng Yên") == "33-hung-yen"


def test_check_names_the_province_of_a_problem_and_checks_the_others(country_dir, tmp_path):
    broken = tmp_path / "country"
    shutil.copytree(country_dir, broken)
    people = broken / "11-dien-bien" / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines(keepends=True)
    assert ",technician," in lines[3]
    lines[3] = lines[3].replace(",technician,", ",ky_thuat_x,", 1)
    people.write_text("".join(lines), encoding="utf-8")
    result = check_country(broken)
    assert not result.ok
    by_name = {p.directory.name: p for p in result.provinces}
    failed = by_name["11-dien-bien"]
    assert failed.campaign is None and failed.report.error_count == 1
    assert failed.prefix(failed.report.errors[0]).startswith("[Điện Biên · 11-dien-bien] people.csv, hàng 3")
    assert by_name["04-cao-bang"].campaign is not None and by_name["12-lai-chau"].campaign is not None


def test_a_campaign_of_another_province_in_a_directory_is_an_error(country_dir, tmp_path):
    broken = tmp_path / "country"
    shutil.copytree(country_dir, broken)
    shutil.rmtree(broken / "04-cao-bang")
    shutil.copytree(broken / "12-lai-chau", broken / "04-cao-bang")
    result = check_country(broken)
    errors = [str(e) for p in result.provinces for e in p.report.errors]
    assert errors == [
        "campaign.toml, khoá province: thư mục 04-cao-bang là của Tỉnh Cao Bằng nhưng chiến dịch là của Tỉnh Lai Châu"
    ]


def test_a_missing_listed_province_directory_is_an_error_naming_it(country_dir, tmp_path):
    broken = tmp_path / "country"
    shutil.copytree(country_dir, broken)
    shutil.rmtree(broken / "12-lai-chau")
    with pytest.raises(CountryDirError, match="12-lai-chau"):
        province_dirs(broken)
    (broken / COUNTRY_FILE).write_text("[country]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(CountryDirError, match="provinces"):
        province_dirs(broken)
