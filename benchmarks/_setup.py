"""Shared set-up for benchmarks: Django on a throw-away database (SQLite by default,
PostgreSQL when DATABASE_URL is set), never the development one."""

import os
import statistics
import sys
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

from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)


class ThrowAwayDatabase:
    def __enter__(self):
        setup_test_environment(debug=False)  # as in production: no query log
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
