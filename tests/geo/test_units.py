"""The commune registry of geo/units.py, offline."""

import pytest

from geo.units import (
    OfflineGeocodingError,
    UnknownPlaceError,
    communes,
    convert_legacy_address,
    find_commune,
    find_province,
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
