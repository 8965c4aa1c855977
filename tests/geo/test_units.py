"""The commune registry of geo/units.py, offline."""

import pytest

from geo.units import (
    OfflineGeocodingError,
    UnknownPlaceError,
    communes,
    convert_legacy_address,
    find_commune,
    find_province,
    fold,
    match_commune,
)


def test_hanoi_has_126_communes_51_phuong_75_xa():
    units = communes("Hà Nội")
    assert len(units) == 126
    assert sum(u.kind == "Phường" for u in units) == 51
    assert sum(u.kind == "Xã" for u in units) == 75


def test_vietnam_has_3321_communes():
    assert len(communes()) == 3321


def test_find_province_without_diacritics():
    province = find_province("Ha Noi")
    assert province.code == "01"
    assert province.short_name == "Hà Nội"


def test_a_misspelt_commune_suggests_the_right_one():
    with pytest.raises(UnknownPlaceError) as raised:
        find_commune("Dinh Congg", province="Hà Nội")
    assert raised.value.suggestions[0] == "Phường Định Công"


def test_legacy_address_converts_offline():
    unit = convert_legacy_address("Phường Mộ Lao, Quận Hà Đông, Hà Nội")
    assert unit.code == "09556"
    assert unit.name == "Phường Hà Đông"


def test_legacy_address_with_a_street_in_a_split_ward_refuses_the_network():
    with pytest.raises(OfflineGeocodingError):
        convert_legacy_address("Số 5 phố Quảng Oai, Thị trấn Tây Đằng, Huyện Ba Vì, Hà Nội")


@pytest.mark.parametrize(
    ("province", "twins"),
    [
        ("Tây Ninh", ("Xã Tân Thành", "Xã Tân Thạnh")),
        ("Hồ Chí Minh", ("Xã Thanh An", "Xã Thạnh An")),
        ("Quảng Ngãi", ("Xã Sơn Hà", "Xã Sơn Hạ")),
    ],
)
def test_communes_whose_names_differ_only_by_diacritics_are_told_apart_by_them(province, twins):
    """Seven provinces have two communes whose names fold alike; written with its diacritics, each is found (it
    was 'not unique' before, and those provinces' own lists did not load)."""
    for name in twins:
        short = name.split(" ", 1)[1]
        for written in (name, short, "X." + short, name.upper()):
            assert match_commune(written, province).unit.name == name, written


def test_a_name_without_diacritics_that_fits_two_communes_names_both():
    with pytest.raises(UnknownPlaceError) as raised:
        match_commune(fold("Xã Tân Thạnh"), "Tây Ninh")
    assert "Xã Tân Thành" in str(raised.value) and "Xã Tân Thạnh" in str(raised.value)
