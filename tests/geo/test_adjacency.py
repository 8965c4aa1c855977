"""The adjacency graph: borders of positive length, measured in km."""

import geopandas as gpd
import networkx as nx
import pytest
import shapely

from geo.adjacency import adjacency_graph, graph_from_polygons, neighbours

HOAN_KIEM, CUA_NAM = "00070", "00082"


def test_nodes_are_the_126_ward_codes_with_names(hanoi_wards):
    graph = adjacency_graph("Hà Nội")
    assert sorted(graph.nodes) == list(hanoi_wards["code"])
    assert graph.nodes[HOAN_KIEM]["name"] == "Phường Hoàn Kiếm"


def test_neighbours_are_symmetric(hanoi_wards):
    for code in hanoi_wards["code"]:
        for other in neighbours("Hà Nội", code):
            assert code in neighbours("Hà Nội", other)


def test_hanoi_is_connected():
    graph = adjacency_graph("Ha Noi")
    assert nx.is_connected(graph)
    assert all(graph.degree(code) >= 1 for code in graph)


def test_hoan_kiem_borders_cua_nam():
    """Both are small phường of the old Hoàn Kiếm district whose centroids lie 1.1 km apart,
    less than the sum of the radii of their equal-area disks (0.78 + 0.73 km): they must touch."""
    assert CUA_NAM in neighbours("Hà Nội", HOAN_KIEM)
    border_km = adjacency_graph("Hà Nội").edges[HOAN_KIEM, CUA_NAM]["shared_border_km"]
    assert 0.2 < border_km < 10


def test_shared_borders_add_up_to_the_perimeter_inside_the_city(hanoi_laea):
    """A ward away from the city's edge is bordered all round; one on the edge only partly."""
    graph = adjacency_graph("Hà Nội")
    edge = shapely.union_all(hanoi_laea.geometry.to_numpy()).boundary
    interior = 0
    for code, geometry in zip(hanoi_laea["code"], hanoi_laea.geometry, strict=True):
        perimeter_km = geometry.length / 1000
        shared_km = sum(graph.edges[code, other]["shared_border_km"] for other in graph[code])
        if geometry.boundary.intersection(edge).length == 0:
            interior += 1
            assert shared_km == pytest.approx(perimeter_km, rel=1e-5), code
        else:
            assert 0 < shared_km < perimeter_km, code
    assert interior > 50


def test_the_returned_graph_is_a_copy():
    graph = adjacency_graph("Hà Nội")
    graph.remove_node(HOAN_KIEM)
    assert HOAN_KIEM in adjacency_graph("Hà Nội")


def test_unknown_code_is_refused():
    with pytest.raises(KeyError):
        neighbours("Hà Nội", "99999")


def test_corner_contact_is_not_a_border():
    """Four 0.01° squares in a 2×2 block: sides touch along 0.01°, diagonals only at the centre."""
    size = 0.01
    squares = {
        "A": shapely.box(105.80, 21.00, 105.80 + size, 21.00 + size),
        "B": shapely.box(105.80 + size, 21.00, 105.80 + 2 * size, 21.00 + size),
        "C": shapely.box(105.80, 21.00 + size, 105.80 + size, 21.00 + 2 * size),
        "D": shapely.box(105.80 + size, 21.00 + size, 105.80 + 2 * size, 21.00 + 2 * size),
    }
    frame = gpd.GeoDataFrame(
        {"code": list(squares), "name": [f"ward {c}" for c in squares]},
        geometry=list(squares.values()),
        crs="EPSG:4326",
    )
    graph = graph_from_polygons(frame)
    assert set(map(frozenset, graph.edges)) == {frozenset("AB"), frozenset("AC"), frozenset("BD"), frozenset("CD")}
    assert not graph.has_edge("A", "D") and not graph.has_edge("B", "C")
    # a vertical side is 0.01° of latitude, about 1.106 km; a horizontal one 0.01° of longitude at 21°, 1.04 km
    assert graph.edges["A", "C"]["shared_border_km"] == pytest.approx(1.04, abs=0.01)
    assert graph.edges["A", "B"]["shared_border_km"] == pytest.approx(1.106, abs=0.01)
    assert graph.nodes["A"]["name"] == "ward A"
