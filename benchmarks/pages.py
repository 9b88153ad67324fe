"""Server time and SQL queries of the public pages, through Django's test client.

    python benchmarks/pages.py [--runs 200]

Prints one JSON line per page, then a last line with every page.
"""

import argparse
import json

from _setup import ThrowAwayDatabase, measure
from django.core.management import call_command
from django.test import Client

from participation.models import ConsultationPage


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
