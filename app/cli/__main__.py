"""`python -m app.cli ...`, as `isocost ...` (how `isocost serve` starts its worker)."""

import sys

from app.cli import main

if __name__ == "__main__":  # importing this module (tests import every module) runs nothing
    sys.exit(main())
