"""The `raquan` command line. It owns all file input and output.

    raquan scenario hanoi --seed 7 --out DIR   write a realistic Hanoi campaign
    raquan scenario tiny --out DIR             three wards, a dozen people
    raquan check DIR                           validate a campaign directory
    raquan wards [--province P] [--format F]   communes of Vietnam as CSV or GeoJSON
    raquan demo [--out DIR] [--seed N]         the main job on the bundled Hanoi scenario
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)


def _write_scenario(name: str, seed: int, out: Path, table_format: str):
    from scheduler.io import export_campaign
    from scheduler.scenarios import hanoi_scenario, tiny_scenario

    campaign = hanoi_scenario(seed) if name == "hanoi" else tiny_scenario()
    export_campaign(campaign, out, table_format=table_format)
    return campaign


def cmd_scenario(args: argparse.Namespace) -> int:
    """Write a scenario directory."""
    from scheduler.summary import format_summary, summarise

    campaign = _write_scenario(args.name, args.seed, Path(args.out), args.format)
    print(format_summary(summarise(campaign)))
    print(f"Đã ghi kịch bản vào {args.out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a campaign directory; print every problem; non-zero exit if any."""
    from scheduler.io import CampaignLoadError, load_campaign
    from scheduler.summary import format_summary, summarise

    try:
        campaign = load_campaign(Path(args.directory))
    except CampaignLoadError as error:
        for problem in error.problems:
            print(problem)
        print(f"Từ chối: {len(error.problems)} lỗi trong {args.directory}; không dữ liệu nào được nạp.",
              file=sys.stderr)
        return 1
    print(format_summary(summarise(campaign)))
    print(f"Hợp lệ: {args.directory}")
    return 0


def cmd_wards(args: argparse.Namespace) -> int:
    """Print the communes of Vietnam (or of one province) as CSV or GeoJSON."""
    from geo.export import write_wards_csv, write_wards_geojson
    from geo.units import UnknownPlaceError

    try:
        if args.format == "csv":
            write_wards_csv(sys.stdout, province=args.province)
        else:
            write_wards_geojson(sys.stdout, province=args.province)
    except UnknownPlaceError as error:
        print(f"raquan wards: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the Hanoi scenario, load it back through the validator and summarise it."""
    from scheduler.io import load_campaign
    from scheduler.summary import format_summary, summarise

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="raquan-demo-"))
    _write_scenario("hanoi", args.seed, out, "csv")
    campaign = load_campaign(out)
    print(format_summary(summarise(campaign)))
    print(f"Kịch bản Hà Nội (seed {args.seed}) đã ghi vào {out} và kiểm tra hợp lệ.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="raquan", description="Ra Quân: xếp lịch và điều phối lực lượng hỗ trợ "
                                     "chuyển đổi số tại các xã, phường.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    scenario = sub.add_parser("scenario", help="write a scenario directory")
    scenario.add_argument("name", choices=("hanoi", "tiny"))
    scenario.add_argument("--seed", type=int, default=1, help="random seed (hanoi only; default 1)")
    scenario.add_argument("--out", required=True, help="directory to write")
    scenario.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="table format (default csv)")
    scenario.set_defaults(func=cmd_scenario)

    check = sub.add_parser("check", help="validate a campaign directory")
    check.add_argument("directory")
    check.set_defaults(func=cmd_check)

    wards = sub.add_parser("wards", help="list the communes of Vietnam")
    wards.add_argument("--province", help='a province, with or without diacritics ("Hà Nội", "Ha Noi")')
    wards.add_argument("--format", choices=("csv", "geojson"), default="csv")
    wards.set_defaults(func=cmd_wards)

    demo = sub.add_parser("demo", help="the main job on the bundled Hanoi scenario")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--out", help="directory for the scenario (default: a new temporary directory)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head or similar: stop quietly
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
