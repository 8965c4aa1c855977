"""Time the Hanoi scenario through generate → export → load (check), in CSV and XLSX.

python benchmarks/scenario_io.py [--seed N]
"""

import argparse
import tempfile
import time
from pathlib import Path

from scheduler.io import export_campaign, load_campaign
from scheduler.scenarios import hanoi_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    campaign = hanoi_scenario(args.seed)
    generated = time.perf_counter() - start
    print(
        f"Hanoi scenario seed {args.seed}: {len(campaign.wards)} wards, {len(campaign.people)} people, "
        f"{len(campaign.mobile_points)} mobile points"
    )
    print(f"{'step':<28}{'seconds':>10}")
    print(f"{'generate':<28}{generated:>10.2f}")
    for table_format in ("csv", "xlsx"):
        with tempfile.TemporaryDirectory() as directory:
            start = time.perf_counter()
            export_campaign(campaign, Path(directory), table_format=table_format)
            exported = time.perf_counter() - start
            start = time.perf_counter()
            loaded = load_campaign(Path(directory))
            checked = time.perf_counter() - start
            size_kb = sum(p.stat().st_size for p in Path(directory).iterdir()) / 1024
        print(f"{'export ' + table_format:<28}{exported:>10.2f}   ({size_kb:,.0f} KB)")
        print(f"{'load and check ' + table_format:<28}{checked:>10.2f}")
        again = load_campaign_roundtrip(loaded, table_format)
        print(f"{'  load → export → load equal':<28}{str(again == loaded):>10}")


def load_campaign_roundtrip(campaign, table_format):
    with tempfile.TemporaryDirectory() as directory:
        export_campaign(campaign, Path(directory), table_format=table_format)
        return load_campaign(Path(directory))


if __name__ == "__main__":
    main()
