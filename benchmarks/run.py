"""Run the benchmarks: ``make bench`` (full) or ``make bench-quick`` (under a minute).

Each ``bench_*.py`` module beside this file defines ``run(quick: bool, workdir: Path)``
returning a list of :class:`synth.Result`; this runner prints every figure next
to its target and exits 1 if a target is missed.

The package's modules are byte-compiled first, as installing it does: where
``PYTHONDONTWRITEBYTECODE`` is set, a source edited since the last install would
otherwise be compiled again by every process the benchmarks launch.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import Result  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, under a minute")
    parser.add_argument("only", nargs="*", help="run only these modules (e.g. bench_check)")
    args = parser.parse_args()
    compileall.compile_dir(HERE.parent / "src", quiet=1)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m in args.only or m.removeprefix("bench_") in args.only]
    results: list[Result] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aipm-bench-") as tmp:
        for name in modules:
            mod = importlib.import_module(name)
            work = Path(tmp) / name
            work.mkdir()
            print(f"== {name}", flush=True)
            for r in mod.run(args.quick, work):
                print("  " + r.line(), flush=True)
                results.append(r)
    missed = [r for r in results if r.ok is False]
    print(
        f"\n{len(results)} figures, {len(missed)} missed target(s), "
        f"{time.perf_counter() - started:.1f} s{' (quick)' if args.quick else ''}"
    )
    for r in missed:
        print(f"  MISSED: {r.line()}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
