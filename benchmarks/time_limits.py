"""Does `raquan solve --time-limit S` return within S (+10% + 2 s), load and writing included?

    python benchmarks/time_limits.py [--limits 10,30,60] [--seed 1] [--busy N]

Writes the Hanoi scenario once, then runs the whole command for each limit as a user
would (a new process), and prints the wall seconds beside the limit and the promise.
``--busy N`` keeps N extra processes spinning on the CPU meanwhile, to show the limit
holds on a loaded machine.
"""

import argparse
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def spin() -> None:
    while True:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limits", default="10,30,60")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--busy", type=int, default=0, help="extra CPU-bound processes while solving")
    args = parser.parse_args()
    limits = [float(x) for x in args.limits.split(",")]
    raquan = [sys.executable, "-m", "raquan"]
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "hanoi"
        subprocess.run(
            raquan + ["scenario", "hanoi", "--seed", str(args.seed), "--out", str(scenario)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        burners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
        for burner in burners:
            burner.start()
        print(f"{'limit s':>8} {'wall s':>8} {'promise s':>10} {'kept':>5}  coverage")
        broken = 0
        try:
            for limit in limits:
                out = Path(folder) / f"roster-{limit:g}.json"
                started = time.perf_counter()
                done = subprocess.run(
                    raquan + ["solve", str(scenario), "--out", str(out), "--time-limit", str(limit)],
                    capture_output=True,
                    text=True,
                )
                wall = time.perf_counter() - started
                promise = limit * 1.1 + 2
                coverage = next(
                    (line for line in done.stdout.splitlines() if line.startswith("Phủ:")), done.stderr[-200:]
                )
                kept = wall <= promise
                broken += not kept
                print(f"{limit:>8g} {wall:>8.1f} {promise:>10.1f} {'yes' if kept else 'NO':>5}  {coverage}")
        finally:
            for burner in burners:
                burner.terminate()
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
