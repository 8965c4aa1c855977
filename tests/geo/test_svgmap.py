"""Ward polygons as SVG path data for the coverage map."""

import re

import pytest

from geo import svgmap
from geo.units import UnknownPlaceError, communes

NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def view_box(text: str) -> tuple[float, float, float, float]:
    x, y, width, height = (float(v) for v in text.split())
    return x, y, width, height


def coordinates(path_d: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in NUMBER.findall(path_d)]
    assert len(numbers) % 2 == 0
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


@pytest.fixture(scope="module")
def hanoi_map(hanoi_wards):
    return svgmap.ward_map("Hà Nội")


def test_hanoi_gives_one_path_per_ward_in_code_order(hanoi_map):
    assert len(hanoi_map.wards) == 126
    assert [code for code, _name, _d in hanoi_map.wards] == [u.code for u in communes("Hà Nội")]
    names = {u.code: u.name for u in communes("Hà Nội")}
    for code, name, path_d in hanoi_map.wards:
        assert name == names[code]
        assert re.fullmatch(r"(M[-0-9. ]+Z)+", path_d), path_d[:80]
        assert len(coordinates(path_d)) >= 3


def test_every_point_lies_in_the_view_box(hanoi_map):
    x, y, width, height = view_box(hanoi_map.view_box)
    assert width > 0 and height > 0 and (width, height) == (hanoi_map.width, hanoi_map.height)
    points = [p for _code, _name, d in hanoi_map.wards for p in coordinates(d)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert x <= min(xs) and max(xs) <= x + width and y <= min(ys) and max(ys) <= y + height
    # the margin is small: the wards fill the box
    assert max(xs) - min(xs) > 0.9 * width and max(ys) - min(ys) > 0.9 * height


def test_the_projection_keeps_the_city_shape(hanoi_map, hanoi_wards):
    """Kilometres east-west and north-south: Hà Nội is about 75 km wide and 90 km tall."""
    _x, _y, width, height = view_box(hanoi_map.view_box)
    assert 70 < width < 85 and 85 < height < 100
    # north is up: the northernmost ward centroid has the smallest y
    north = hanoi_wards.loc[hanoi_wards["lat"].idxmax(), "code"]
    south = hanoi_wards.loc[hanoi_wards["lat"].idxmin(), "code"]
    paths = {code: d for code, _name, d in hanoi_map.wards}
    mean_y = {
        code: sum(p[1] for p in coordinates(paths[code])) / len(coordinates(paths[code])) for code in (north, south)
    }
    assert mean_y[north] < mean_y[south]


def test_simplification_keeps_the_paths_small(hanoi_map):
    assert sum(len(d) for _code, _name, d in hanoi_map.wards) < 150_000


def test_a_subset_gets_a_view_box_fitted_to_it(hanoi_map):
    codes = [code for code, _name, _d in hanoi_map.wards[:3]]
    subset = svgmap.ward_map("Thành phố Hà Nội", codes + ["99999"])
    assert [code for code, _name, _d in subset.wards] == codes
    x, y, width, height = view_box(subset.view_box)
    assert width * height < view_box(hanoi_map.view_box)[2] * view_box(hanoi_map.view_box)[3]
    for _code, _name, d in subset.wards:
        for px, py in coordinates(d):
            assert x <= px <= x + width and y <= py <= y + height


def test_the_map_is_cached_per_province(hanoi_map):
    assert svgmap.province_shapes("Hà Nội") is svgmap.province_shapes("01")


def test_an_unknown_province_raises():
    with pytest.raises(UnknownPlaceError):
        svgmap.ward_map("Atlantis")
