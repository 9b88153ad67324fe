"""Shared set-up for benchmarks: Django on a throw-away database (SQLite by default,
PostgreSQL when DATABASE_URL is set), never the development one."""

import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Development settings (no collectstatic needed), but DEBUG is switched off below by
# setup_test_environment(debug=False), as in production.
os.environ.setdefault("DJANGO_DEBUG", "true")

import django

django.setup()

from django.db import connection, reset_queries
from django.template.base import Template
from django.test.utils import (
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)


class ThrowAwayDatabase:
    def __enter__(self):
        render = Template._render
        setup_test_environment(debug=False)  # as in production: no query log
        # Nor the test framework's signal and context copy for every template rendered
        # (1.5–2 ms of a thread page); teardown_test_environment puts it back as it was.
        Template._render = render
        self.config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        return connection.vendor

    def __exit__(self, *exc):
        if hasattr(connection, "close_pool"):
            connection.close_pool()
        teardown_databases(self.config, verbosity=0)
        teardown_test_environment()  # so a script can use several throw-away databases


def percentile(values, pct):
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def summary(times_ms):
    return {
        "p50_ms": round(statistics.median(times_ms), 2),
        "p95_ms": round(percentile(times_ms, 95), 2),
    }


def measure(client, url, runs):
    client.get(url)  # warm caches (site root, settings, templates)
    # As the servers do at start-up (config/wsgi.py, config/asgi.py): what lives as long
    # as the process is frozen for the garbage collector.
    gc.collect()
    gc.freeze()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # CPU time of this process: what the page costs, apart from waiting for a core
    # on a shared machine (the load average is printed with the figures).
    cpu_figures = summary(cpu)
    return {
        **summary(times),
        "cpu_p50_ms": cpu_figures["p50_ms"],
        "cpu_p95_ms": cpu_figures["p95_ms"],
        "queries": len(captured),
    }


def sizes_summary(bench: str, vendor: str, runs: int, results: dict) -> dict:
    """The last line of a page benchmark over several sizes: {size: {page: figures}}."""
    sizes = list(results)
    counts = {
        name: {results[size][name]["queries"] for size in sizes} for name in results[sizes[0]]
    }
    figures = [figure for size in sizes for figure in results[size].values()]
    return {
        "bench": bench,
        "db": vendor,
        "runs": runs,
        "sizes": results,
        "same_query_count_at_every_size": all(len(c) == 1 for c in counts.values()),
        "worst_p95_ms": max(figure["p95_ms"] for figure in figures),
        "worst_cpu_p95_ms": max(figure["cpu_p95_ms"] for figure in figures),
        "load_average": os.getloadavg()[0],
    }
