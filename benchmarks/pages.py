"""Server time and SQL queries of the public pages, through Django's test client.

    python benchmarks/pages.py [--runs 200]

Prints one JSON line per page, then a last line with every page.
"""

import argparse
import json
import time

from _setup import ThrowAwayDatabase, summary
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from participation.models import ConsultationPage


def measure(client, url, runs):
    client.get(url)  # warm caches (site root, settings, templates)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {**summary(times), "queries": len(queries)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with ThrowAwayDatabase() as vendor:
        call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
        consultation = ConsultationPage.objects.live().get(slug="plan-velo-2027")
        pages = {
            "home": "/",
            "index": consultation.get_parent().url,
            "index_filtered": consultation.get_parent().url + "?status=open&theme=mobilite",
            "consultation": consultation.url,
            "search": "/recherche/?q=v%C3%A9lo",
        }
        client = Client()
        results = {}
        for name, url in pages.items():
            results[name] = measure(client, url, args.runs)
            print(json.dumps({"bench": "pages", "page": name, "db": vendor, **results[name]}))
        print(json.dumps({"bench": "pages", "db": vendor, "runs": args.runs, "pages": results}))


if __name__ == "__main__":
    main()
