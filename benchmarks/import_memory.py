"""Time and memory of checking a large people table with one phone number filled down every row.

    python benchmarks/import_memory.py [--rows 200000] [--scenario tiny|hanoi]

Writes the scenario as CSV into a temporary directory, replaces its people table by ``--rows``
rows (each with its own id, all with the first person's phone, as a spreadsheet's fill-down
leaves them), then checks the directory in a child process and prints the child's wall seconds,
peak resident memory, and the problems it reported. The target is under 30 s and 500 MB for
200,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
from scheduler.loader import check_campaign_report
from scheduler.problems import problem_count
report = check_campaign_report(sys.argv[1])
shown = report.errors + report.warnings + report.notes
print(json.dumps({"errors": problem_count(report.errors), "warnings": problem_count(report.warnings),
                  "notes": problem_count(report.notes), "listed": len(shown),
                  "characters": sum(len(str(p)) for p in shown), "first": [str(p) for p in shown[:3]]}))
"""


def write_people(directory: Path, rows: int) -> int:
    """Replace people.csv by ``rows`` rows cycling through the scenario's people, one phone filled down.

    Returns the size of the file in bytes.
    """
    path = directory / "people.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        template = list(reader)
    phone = template[0]["phone"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        for number in range(rows):
            row = dict(template[number % len(template)])
            row["person_id"] = f"P{number + 1:07d}"
            row["phone"] = phone
            writer.writerow(row)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--scenario", choices=("tiny", "hanoi"), default="tiny")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from scheduler.io import export_campaign
    from scheduler.scenarios import hanoi_scenario, tiny_scenario

    campaign = hanoi_scenario(args.seed) if args.scenario == "hanoi" else tiny_scenario()
    with tempfile.TemporaryDirectory(prefix="raquan-import-memory-") as scratch:
        directory = Path(scratch)
        export_campaign(campaign, directory, table_format="csv")
        size_bytes = write_people(directory, args.rows)
        start = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(directory)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        wall_seconds = time.perf_counter() - start
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kilobytes on Linux
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        raise SystemExit(f"the check failed with exit code {child.returncode}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"{args.scenario} scenario, people.csv of {args.rows:,} rows ({size_bytes / 1e6:.1f} MB), one phone filled down"
    )
    print(f"{'wall seconds':<24}{wall_seconds:>12.1f}   (target < 30)")
    print(f"{'peak RSS MB':<24}{peak_rss_mb:>12.0f}   (target < 500)")
    print(f"{'errors':<24}{result['errors']:>12,}")
    print(f"{'warnings':<24}{result['warnings']:>12,}")
    print(f"{'notes':<24}{result['notes']:>12,}")
    print(f"{'problems listed':<24}{result['listed']:>12,}   ({result['characters']:,} characters)")
    for line in result["first"]:
        print(f"  {line}")


if __name__ == "__main__":
    main()
