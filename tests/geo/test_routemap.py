"""The route map: a self-contained SVG of the ward, the base and the numbered stops."""

import re
import xml.etree.ElementTree as ET

import pytest

from geo.addresses import approximate_location, office_location
from geo.routemap import LEGEND, route_map_svg

SVG = "{http://www.w3.org/2000/svg}"
HA_DONG = "09556"
BA_VI = "09700"


def number_pairs(text: str) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?[0-9]+(?:\.[0-9]+)?", text)]
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


@pytest.fixture(scope="module")
def route(hanoi_wards):
    base = office_location(HA_DONG)
    stops = []
    for i in range(7):
        lat, lon = approximate_location(HA_DONG, f"Số {i + 3} phố Quang Trung", f"Tổ {i % 3}")
        stops.append((lat, lon, str(i + 1), i in (1, 4, 5)))
    svg = route_map_svg(HA_DONG, base, stops, title='Đội 2 <Hà Đông> & "lưu động"')
    return base, stops, svg, ET.fromstring(svg)


def stop_groups(root):
    return [g for g in root.iter(f"{SVG}g") if "stop" in g.get("class", "").split()]


def marker(group):
    (circle,) = [c for c in group.findall(f"{SVG}circle") if c.get("class") == "marker"]
    return circle


def true_place(group) -> tuple[float, float]:
    """Where the stop is: the leader's start when its circle was moved, else the circle's centre."""
    leader = group.find(f"{SVG}line")
    if leader is not None:
        return float(leader.get("x1")), float(leader.get("y1"))
    return float(marker(group).get("cx")), float(marker(group).get("cy"))


def test_one_numbered_circle_per_stop(route):
    _, stops, _, root = route
    groups = stop_groups(root)
    assert len(groups) == len(stops)
    for group, (_, _, label, _) in zip(groups, stops, strict=True):
        assert marker(group).get("r") is not None
        assert group.find(f"{SVG}text").text == label


def test_approximate_stops_have_a_dashed_outline(route):
    _, stops, _, root = route
    dashed = [g for g in stop_groups(root) if marker(g).get("stroke-dasharray")]
    assert len(dashed) == sum(1 for stop in stops if stop[3]) == 3
    assert [g.find(f"{SVG}text").text for g in dashed] == ["2", "5", "6"]


def test_the_ward_polygon_the_base_and_the_route(route):
    _, stops, _, root = route
    ward = [p for p in root.iter(f"{SVG}path") if p.get("class") == "ward"]
    assert len(ward) == 1
    assert ward[0].get("d").startswith("M") and ward[0].get("d").endswith("Z")
    assert len(number_pairs(ward[0].get("d"))) >= 4
    base = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "base" and not _in_legend(root, r)]
    assert len(base) == 1
    base_x = float(base[0].get("x")) + float(base[0].get("width")) / 2
    base_y = float(base[0].get("y")) + float(base[0].get("height")) / 2
    (polyline,) = root.iter(f"{SVG}polyline")
    points = number_pairs(polyline.get("points"))
    assert len(points) == len(stops) + 2
    assert points[0] == points[-1] == pytest.approx((base_x, base_y), abs=0.02)
    centres = [
        (float(g.find(f"{SVG}circle").get("cx")), float(g.find(f"{SVG}circle").get("cy"))) for g in stop_groups(root)
    ]
    assert points[1:-1] == centres


def test_everything_is_drawn_inside_the_view_box(route):
    _, _, _, root = route
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert root.get("width") == "100%"
    for polyline in root.iter(f"{SVG}polyline"):
        for x, y in number_pairs(polyline.get("points")):
            assert 0 <= x <= width and 0 <= y <= height
    for path in root.iter(f"{SVG}path"):
        for x, y in number_pairs(path.get("d")):
            assert 0 <= x <= width and 0 <= y <= height


def test_north_is_up_and_east_is_right(hanoi_wards):
    base = office_location(BA_VI)
    north = (base[0] + 0.01, base[1], "1", False)
    east = (base[0], base[1] + 0.01, "2", False)
    root = ET.fromstring(route_map_svg(BA_VI, base, [north, east]))
    (n, e) = [marker(g) for g in stop_groups(root)]
    assert float(n.get("cy")) < float(e.get("cy"))
    assert float(e.get("cx")) > float(n.get("cx"))


def test_stops_close_together_do_not_hide_each_other(hanoi_wards):
    """Five visits at one house and three next door: every number stays readable, each tied to its place."""
    base = office_location(HA_DONG)
    house = approximate_location(HA_DONG, "Số 5", "Tổ 1")
    next_door = (house[0] + 0.00005, house[1])
    stops = [(*house, str(i + 1), True) for i in range(5)] + [(*next_door, str(i + 6), False) for i in range(3)]
    root = ET.fromstring(route_map_svg(HA_DONG, base, stops))
    groups = stop_groups(root)
    centres = [(float(marker(g).get("cx")), float(marker(g).get("cy"))) for g in groups]
    radius = float(marker(groups[0]).get("r"))
    for i, (ax, ay) in enumerate(centres):
        for bx, by in centres[i + 1 :]:
            assert (ax - bx) ** 2 + (ay - by) ** 2 >= (2 * radius) ** 2
    moved = [g for g in groups if g.find(f"{SVG}line") is not None]
    assert len(moved) >= 6
    places = {true_place(g) for g in groups}
    assert len(places) == 2  # the leaders point back to the two true places
    (polyline,) = root.iter(f"{SVG}polyline")
    assert number_pairs(polyline.get("points"))[1:-1] == [true_place(g) for g in groups]


def test_the_title_and_labels_are_escaped(route):
    _, _, svg, root = route
    assert "Đội 2 &lt;Hà Đông&gt; &amp;" in svg
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert 'Đội 2 <Hà Đông> & "lưu động"' in texts
    base = office_location(HA_DONG)
    tricky = route_map_svg(HA_DONG, base, [(base[0] + 0.001, base[1], "<1>", True)])
    assert [g.find(f"{SVG}text").text for g in stop_groups(ET.fromstring(tricky))] == ["<1>"]


def test_the_legend_is_in_vietnamese(route):
    _, _, _, root = route
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    for line in LEGEND:
        assert line in texts
    assert "Trụ sở / điểm xuất phát" in LEGEND and "Vị trí ước lượng" in LEGEND


def test_an_empty_label_shows_the_order_number(hanoi_wards):
    base = office_location(HA_DONG)
    stops = [(base[0] + 0.001 * i, base[1], "", False) for i in (1, 2, 3)]
    root = ET.fromstring(route_map_svg(HA_DONG, base, stops))
    assert [g.find(f"{SVG}text").text for g in stop_groups(root)] == ["1", "2", "3"]


def test_no_network_resource(route):
    _, _, svg, root = route
    assert not list(root.iter(f"{SVG}image"))
    assert "href" not in svg and "url(" not in svg
    assert svg.count("http") == 1  # the namespace only


def test_a_route_without_stops_and_bad_points(hanoi_wards):
    base = office_location(HA_DONG)
    root = ET.fromstring(route_map_svg(HA_DONG, base, []))
    assert stop_groups(root) == []
    with pytest.raises(ValueError):
        route_map_svg(HA_DONG, base, [(float("nan"), base[1], "1", False)])
    with pytest.raises(KeyError):
        route_map_svg("99999", base, [])


def _in_legend(root, element) -> bool:
    legend = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"]
    return any(element in list(g) for g in legend)
