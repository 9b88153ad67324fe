"""Server time and SQL queries of the moderation queues of the Wagtail admin with many
pending and reported comments, through Django's test client, as a moderator.

    python benchmarks/moderation.py [--sizes 1000,100000] [--runs 50]

For each size: half the comments pending (a priori), half published and reported by
one to five distinct people (one Report row each), then p50/p95 of the first and of a
deep page (keyset cursor half-way down) of "À modérer", "Signalés" and "Tout", and of
"À modérer" filtered by consultation. One JSON line per size, then a last line with
everything. Target: the same query count at every size, p95 under 200 ms.
"""

import argparse
import json
import os
import random
import time

from _setup import ThrowAwayDatabase, measure, sizes_summary
from django.db import connection
from django.test import Client

from accounts import roles
from participation.models import Comment, Report, State
from participation.queries import moderation as queries
from tests import factories

AUTHORS = 40
REPORTERS = 5
QUEUE = "/admin/moderation/"


def fill(consultation, size, authors, reporters, rng, batch=5000):
    """size/2 pending comments, size/2 published ones with 1–5 distinct reporters."""
    pending = size // 2
    made = Comment.objects.bulk_create(
        (
            Comment(
                consultation=consultation,
                author=authors[n % len(authors)],
                body=f"Commentaire n° {n} : plus de bancs et d’ombre sur la place.",
                state=State.PENDING if n < pending else State.PUBLISHED,
                path="",
            )
            for n in range(size)
        ),
        batch_size=batch,
    )
    if connection.vendor != "postgresql" or made[0].pk is None:
        made = list(Comment.objects.filter(consultation=consultation).order_by("id"))
    reports, counts = [], {}
    for comment in made[pending:]:
        people = rng.sample(reporters, rng.randint(1, REPORTERS))
        counts[comment.pk] = len(people)
        reports += [Report(comment_id=comment.pk, reporter=p, reason="abuse") for p in people]
    Report.objects.bulk_create(reports, batch_size=batch)
    by_count = {}
    for pk, n in counts.items():
        by_count.setdefault(n, []).append(pk)
    for n, pks in by_count.items():
        for start in range(0, len(pks), 900):
            Comment.objects.filter(pk__in=pks[start : start + 900]).update(
                reports_count=n, reports_open=True
            )


def deep_cursor(user, queue, filters):
    """The cursor half-way down a queue, as the "Next page" link would carry it."""
    comments = Comment.objects.all()
    if queue == queries.QUEUE_PENDING:
        ids = comments.filter(state=State.PENDING).order_by("-id").values_list("id", flat=True)
        return str(ids[ids.count() // 2])
    if queue == queries.QUEUE_REPORTED:
        rows = comments.filter(reports_open=True).order_by("-reports_count", "-id")
        middle = rows.values_list("reports_count", "id")[rows.count() // 2]
        return f"{middle[0]}.{middle[1]}"
    ids = comments.order_by("-id").values_list("id", flat=True)
    return str(ids[ids.count() // 2])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rng = random.Random(5)
    results = {}
    with ThrowAwayDatabase() as vendor:
        roles.create_groups()
        _home, index, _news = factories.build_site()
        authors = [factories.UserFactory() for _ in range(AUTHORS)]
        reporters = [factories.UserFactory() for _ in range(REPORTERS)]
        moderator = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
        client = Client()
        client.force_login(moderator)
        for size in sizes:
            Comment.objects.all().delete()
            consultation = factories.consultation(index, title=f"File de {size}")
            start = time.perf_counter()
            fill(consultation, size, authors, reporters, rng)
            built_s = round(time.perf_counter() - start, 1)
            if vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE participation_comment; ANALYZE participation_report")
            pages = {
                "pending_first": QUEUE,
                "pending_deep": f"{QUEUE}?apres={deep_cursor(moderator, 'a-moderer', None)}",
                "reported_first": f"{QUEUE}?file=signales",
                "reported_deep": (
                    f"{QUEUE}?file=signales&apres={deep_cursor(moderator, 'signales', None)}"
                ),
                "all_first": f"{QUEUE}?file=tout",
                "all_deep": f"{QUEUE}?file=tout&apres={deep_cursor(moderator, 'tout', None)}",
                "pending_by_consultation": f"{QUEUE}?consultation={consultation.pk}",
            }
            figures = {name: measure(client, page, args.runs) for name, page in pages.items()}
            results[size] = figures
            print(
                json.dumps(
                    {
                        "bench": "moderation",
                        "db": vendor,
                        "size": size,
                        "built_s": built_s,
                        "load_average": os.getloadavg()[0],
                        **figures,
                    }
                ),
                flush=True,
            )
        print(json.dumps(sizes_summary("moderation", vendor, args.runs, results)))


if __name__ == "__main__":
    main()
