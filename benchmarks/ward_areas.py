"""How well the approximate ward polygons fit the official areas, against a plain Voronoi baseline.

    python benchmarks/ward_areas.py [--province "Hà Nội"] [--all]

Builds the polygons afresh (in a temporary cache directory), measures every
ward's area in a Lambert azimuthal equal-area projection centred on the province
(independent of the plane the polygons are built in) and prints, for the
power-diagram polygons and for the Voronoi cells of the centroids clipped to the
same extent: relative area errors, totals, validity, overlaps, gaps, centroid
containment and build time. ``--all`` prints one summary line per province
(``fixed``: official areas replaced as implausible, see ``geo.area_check``) and
then the sums of the areas against the provinces' official areas where known.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import geopandas as gpd
import numpy as np
import shapely

HANOI_OFFICIAL_KM2 = 3359.8  # Hà Nội's published area
# Official areas of provinces (km²) to set the sums of the commune areas against: Hà Nội as above; Hưng Yên and
# Ninh Bình from Nghị quyết 202/2025/QH15 of the National Assembly (12 June 2025), Article 1.
OFFICIAL_PROVINCE_KM2 = {"01": HANOI_OFFICIAL_KM2, "33": 2514.81, "37": 3942.62}


def measure(wards: gpd.GeoDataFrame, extent: shapely.Geometry, seconds: float) -> dict:
    """The figures of one set of polygons (lon/lat) against the official areas."""
    crs = f"+proj=laea +lat_0={wards['lat'].mean():.6f} +lon_0={wards['lon'].mean():.6f} +datum=WGS84 +units=m"
    projected = wards.to_crs(crs)
    geometries = projected.geometry.to_numpy()
    area_km2 = shapely.area(geometries) / 1e6
    official = wards["area_km2"].to_numpy(dtype=float)
    known = ~np.isnan(official)
    error = np.abs(area_km2[known] - official[known]) / official[known]
    first, second = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    keep = first < second
    overlaps = shapely.intersection(geometries[first[keep]], geometries[second[keep]])
    overlap_km2 = float(shapely.area(overlaps).sum()) / 1e6
    extent_projected = gpd.GeoSeries([extent], crs="EPSG:4326").to_crs(crs).iloc[0]
    gap_km2 = shapely.area(shapely.difference(extent_projected, shapely.union_all(geometries))) / 1e6
    contained = int(
        shapely.contains_xy(wards.geometry.to_numpy(), wards["lon"].to_numpy(), wards["lat"].to_numpy()).sum()
    )
    return {
        "wards": len(wards),
        "median_error": float(np.median(error)),
        "p90_error": float(np.percentile(error, 90)),
        "max_error": float(error.max()),
        "total_km2": float(area_km2.sum()),
        "official_total_km2": float(official[known].sum()),
        "valid": int(shapely.is_valid(geometries).sum()),
        "overlap_km2": overlap_km2,
        "gap_km2": gap_km2,
        "contained": contained,
        "seconds": seconds,
    }


def build(province: str) -> tuple[dict, dict]:
    """Build both sets of polygons of a province afresh and measure them."""
    from geo import polygons

    polygons.clear_memory_cache()
    started = time.perf_counter()
    ours = polygons.ward_polygons(province)
    ours_seconds = time.perf_counter() - started
    extent = polygons.province_extent(province)
    started = time.perf_counter()
    voronoi = polygons.voronoi_polygons(province)
    voronoi_seconds = time.perf_counter() - started
    return measure(ours, extent, ours_seconds), measure(voronoi, extent, voronoi_seconds)


def report(name: str, ours: dict, voronoi: dict) -> None:
    n = ours["wards"]
    rows = [
        ("wards", f"{n}", f"{voronoi['wards']}"),
        ("median relative area error", f"{ours['median_error']:.1%}", f"{voronoi['median_error']:.1%}"),
        ("90th percentile", f"{ours['p90_error']:.1%}", f"{voronoi['p90_error']:.1%}"),
        ("largest", f"{ours['max_error']:.1%}", f"{voronoi['max_error']:.1%}"),
        ("total area km²", f"{ours['total_km2']:,.1f}", f"{voronoi['total_km2']:,.1f}"),
        ("  sum of areas used km²", f"{ours['official_total_km2']:,.2f}", f"{voronoi['official_total_km2']:,.2f}"),
        (
            "  total vs official sum",
            _signed(ours["total_km2"], ours["official_total_km2"]),
            _signed(voronoi["total_km2"], voronoi["official_total_km2"]),
        ),
    ]
    from geo.units import find_province

    province = find_province(name)
    if province.code in OFFICIAL_PROVINCE_KM2:
        official_km2 = OFFICIAL_PROVINCE_KM2[province.code]
        rows.append(
            (
                f"  total vs {official_km2:,} km² ({province.short_name})",
                _signed(ours["total_km2"], official_km2),
                _signed(voronoi["total_km2"], official_km2),
            )
        )
    rows += [
        ("valid polygons", f"{ours['valid']}/{n}", f"{voronoi['valid']}/{n}"),
        ("overlap area km²", f"{ours['overlap_km2']:.6f}", f"{voronoi['overlap_km2']:.6f}"),
        ("gap area km² (extent − union)", f"{ours['gap_km2']:.6f}", f"{voronoi['gap_km2']:.6f}"),
        ("centroid inside own polygon", f"{ours['contained']}/{n}", f"{voronoi['contained']}/{n}"),
        ("build seconds", f"{ours['seconds']:.2f}", f"{voronoi['seconds']:.2f} (extent reused)"),
    ]
    print(f"Ward polygons of {name}: areas measured in a LAEA projection centred on the province")
    print(f"{'':38s} {'power diagram':>16s} {'plain Voronoi':>24s}")
    for label, mine, theirs in rows:
        print(f"{label:38s} {mine:>16s} {theirs:>24s}")


def _signed(value: float, reference: float) -> str:
    return f"{value - reference:+,.1f} km² ({(value - reference) / reference:+.2%})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", default="Hà Nội", help="province name or code (default Hà Nội)")
    parser.add_argument("--all", action="store_true", help="one summary line for each of the 34 provinces")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="raquan-bench-") as cache:
        os.environ["RAQUAN_CACHE_DIR"] = cache
        if not args.all:
            ours, voronoi = build(args.province)
            report(args.province, ours, voronoi)
            return 0
        from geo.units import communes, provinces

        print(
            f"{'province':14s} {'wards':>5s} {'median':>7s} {'p90':>7s} {'total/official':>15s} "
            f"{'valid':>5s} {'overlap':>8s} {'gap':>8s} {'inside':>6s} {'secs':>5s} {'voronoi median':>15s} "
            f"{'fixed':>5s}"
        )
        started = time.perf_counter()
        for province in provinces():
            ours, voronoi = build(province.code)
            ratio = ours["total_km2"] / ours["official_total_km2"]
            ok = ours["valid"] == ours["wards"]
            print(
                f"{province.short_name:14s} {ours['wards']:5d} {ours['median_error']:7.1%} {ours['p90_error']:7.1%} "
                f"{ratio:15.3f} {str(ok):>5s} {ours['overlap_km2']:8.5f} {ours['gap_km2']:8.5f} "
                f"{ours['contained']:6d} {ours['seconds']:5.1f} {voronoi['median_error']:15.1%} "
                f"{sum(u.area_corrected for u in communes(province.code)):5d}",
                flush=True,
            )
        print(f"all provinces: {time.perf_counter() - started:.0f} s")
        print(f"{'province':14s} {'areas used km²':>16s} {'package km²':>16s} {'official km²':>13s}")
        for province in provinces():
            if province.code in OFFICIAL_PROVINCE_KM2:
                units = communes(province.code)
                official_km2 = OFFICIAL_PROVINCE_KM2[province.code]
                used_km2 = sum(u.area_km2 or 0.0 for u in units)
                package_km2 = sum(u.official_area_km2 or 0.0 for u in units)
                print(
                    f"{province.short_name:14s} {used_km2:9,.1f} {used_km2 / official_km2 - 1:+6.1%} "
                    f"{package_km2:9,.1f} {package_km2 / official_km2 - 1:+6.1%} {official_km2:13,.2f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
