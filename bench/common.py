"""Shared helpers for benchmarks.

Each ``bench/bench_<name>.py`` defines ``run(quick: bool = False) -> list[dict]``; every dict is one
measured case: ``{"benchmark", "case", "value", "unit", "floor", "ratio", "notes"}`` where ``floor``
is the baseline measured in the same run and ``ratio = value / floor`` (lower is better).
``bench/run.py`` runs them all and writes ``bench/results/results.json`` and ``results.md``.

Benchmarks use their own PostgreSQL database (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/bench``), created and migrated on first use.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench"


def setup_django() -> None:
    """Configure Django against the benchmark database and migrate it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _ensure_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def timings(fn: Callable[[], Any], *, repeat: int = 30, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def case(benchmark: str, name: str, value: float, floor: float, unit: str = "s", notes: str = "") -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "case": name,
        "value": value,
        "unit": unit,
        "floor": floor,
        "ratio": (value / floor) if floor else None,
        "notes": notes,
    }
