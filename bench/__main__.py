"""`make bench`: run every bench/bench_*.py (or those named on the command line)."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    failures = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name} ==", flush=True)
        started = time.monotonic()
        try:
            module.run()
        except Exception as exc:  # keep going: one broken benchmark must not hide the others
            failures += 1
            print(f"{name} failed: {exc!r}", file=sys.stderr)
        print(f"   ({time.monotonic() - started:.1f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
