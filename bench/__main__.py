"""Run benchmarks: `python -m bench` runs all of them, `python -m bench arch api` a chosen few."""

from __future__ import annotations

import argparse
import importlib
import sys

SUITES = [
    "arch",
    "api",
    "leaderboard",
    "load",
    "worker_loop",
    "queue",
    "editor",
    "presets",
    "relations",
    "protocol",
    "study",
    "interchange",
    "latency_model",
    "workflows",
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"any of {SUITES} (default: all)")
    args = parser.parse_args()
    unknown = set(args.suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite {sorted(unknown)[0]!r}; choose from {SUITES}")
    for name in args.suites or SUITES:
        print(f"\n=== bench/{name}.py ===", flush=True)
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
