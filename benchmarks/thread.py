"""Server time and SQL queries of a consultation page with its comment thread, at
several thread sizes, through Django's test client, as a signed-in citizen.

    python benchmarks/thread.py [--sizes 10,1000,100000] [--runs 100]

For each size: a consultation with that many published comments (30 % of them
replies at every depth, supports counted with one row each), then p50/p95 of the
first page and of a deep page (keyset cursor half-way down the thread), in the
"most recent" and "most supported" orders. One JSON line per size, then a last line
with everything. Each consultation also holds a poll (results shown to everyone)
with --ballots ballots, imported in bulk as paper votes would be, so the page shows
tallies counted over that many ballots.
"""

import argparse
import json
import os
import time

from _setup import ThrowAwayDatabase, measure, sizes_summary
from django.db import connection
from django.test import Client

from accounts import roles
from participation.models import ResultsVisibility
from participation.queries import comments as queries
from participation.services import polls as poll_services
from tests import factories

AUTHORS = 60


def add_ballots(consultation, count):
    poll = factories.poll(consultation, results_visibility=ResultsVisibility.ALWAYS)
    single, multiple = factories.choice_ids(poll, 0), factories.choice_ids(poll, 1)
    first, second, _text = poll.questions.all()
    entries = [
        (None, {first.pk: single[n % len(single)], second.pk: multiple[: 1 + n % 2]})
        for n in range(count)
    ]
    assert poll_services.import_ballots(poll, entries) == count


def deep_cursor(consultation, sort_slug):
    """The cursor of the page that starts half-way down the top-level comments."""
    sort = queries.SORTS[sort_slug]
    tops = queries.top_level(None, consultation).order_by(*sort.ordering)
    middle = tops[tops.count() // 2]
    return queries.encode_cursor(sort, [getattr(middle, name) for name in sort.fields])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,100000")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--ballots", type=int, default=100_000)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = {}
    with ThrowAwayDatabase() as vendor:
        roles.create_groups()
        _home, index, _news = factories.build_site()
        people = [factories.UserFactory() for _ in range(AUTHORS)]
        viewer = people[0]
        client = Client()
        client.force_login(viewer)
        for size in sizes:
            consultation = factories.consultation(index, title=f"Fil de {size} commentaires")
            start = time.perf_counter()
            factories.bulk_thread(consultation, size, people)
            add_ballots(consultation, args.ballots)
            built_s = round(time.perf_counter() - start, 1)
            if vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE participation_comment; ANALYZE participation_support")
            url = consultation.url
            pages = {
                "first": url,
                "deep": f"{url}?tri=recents&apres={deep_cursor(consultation, 'recents')}",
                "supported_first": f"{url}?tri=soutenus",
                "supported_deep": (
                    f"{url}?tri=soutenus&apres={deep_cursor(consultation, 'soutenus')}"
                ),
            }
            figures = {name: measure(client, page, args.runs) for name, page in pages.items()}
            results[size] = figures
            print(
                json.dumps(
                    {
                        "bench": "thread",
                        "db": vendor,
                        "size": size,
                        "built_s": built_s,
                        "load_average": os.getloadavg()[0],
                        **figures,
                    }
                ),
                flush=True,
            )
        print(json.dumps(sizes_summary("thread", vendor, args.runs, results)))


if __name__ == "__main__":
    main()
