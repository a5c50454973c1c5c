"""Run every benchmark in bench/ and write bench/results/results.json and results.md.

Each result is a ratio to a floor measured in the same run, because the machine is shared and
noisy: absolute seconds mean little, ratios travel. ``--quick`` runs the small sizes only.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def discover(only: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if not only or any(o in n for o in only)]


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.2f} ms"
    return f"{value:,.2f} {unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("only", nargs="*", help="run only benchmarks whose name contains one of these")
    args = parser.parse_args()
    from bench.common import setup_django

    setup_django()
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for name in discover(args.only):
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            cases = module.run(quick=args.quick)
        except Exception:
            traceback.print_exc()
            failures.append(name)
            continue
        for c in cases:
            c.setdefault("benchmark", name)
            value, floor = fmt(c["value"], c["unit"]), fmt(c["floor"], c["unit"])
            ratio = f"{c['ratio']:.2f}" if c.get("ratio") is not None else "—"
            print(f"   {c['case']}: {value} (floor {floor}, ratio {ratio})")
        results.extend(cases)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": args.quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "results.json").write_text(
        json.dumps({"meta": meta, "results": results, "failed": failures}, indent=2, default=str)
    )
    lines = ["| benchmark | case | value | floor | ratio | notes |", "| --- | --- | --- | --- | --- | --- |"]
    for c in results:
        ratio = f"{c['ratio']:.2f}" if c.get("ratio") is not None else "—"
        value, floor = fmt(c["value"], c["unit"]), fmt(c["floor"], c["unit"])
        lines.append(f"| {c['benchmark']} | {c['case']} | {value} | {floor} | {ratio} | {c.get('notes', '')} |")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwritten: {out / 'results.json'} and {out / 'results.md'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
