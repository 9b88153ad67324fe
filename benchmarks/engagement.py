"""Server time of the Participation dashboard (Wagtail admin) for a consultation with
1,000,000 visits recorded, 100,000 comments and 100,000 ballots, as a member of the
communication team, through Django's test client.

    python benchmarks/engagement.py [--visits 1000000] [--comments 100000]
                                    [--ballots 100000] [--days 90] [--runs 50]

The figures are read from the pre-aggregated per-day tables (PageVisits, ShareCount,
DailyFigures), so the dashboard's cost depends on the number of days shown, not on
the number of visits or contributions. The rollup that fills DailyFigures from the
contribution tables runs in the background (cron); its duration is printed too.
Target: p95 under 300 ms. One JSON line last.
"""

import argparse
import json
import os
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from _setup import ThrowAwayDatabase, summary
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.models import User
from participation.models import Ballot, Comment, PageVisits, Poll, ShareCount
from participation.services import community
from tests import factories

POLLS = 100


@contextmanager
def keep_dates(*models):
    """Let bulk_create keep the created_at we set (auto_now_add would overwrite it)."""
    fields = [model._meta.get_field("created_at") for model in models]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def spread(index: int, total: int, first_day, days: int):
    day = first_day + timedelta(days=index * days // max(1, total))
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
        seconds=(index * 7919) % 86000
    )


def build(args):
    roles.create_groups()
    _home, index, _news = factories.build_site()
    consultation = factories.consultation(index, title="Grand débat local", opens_in=-args.days)
    first_day = timezone.localdate() - timedelta(days=args.days - 1)

    # Visits and shares: per-day counters, as the site would have left them.
    per_day = args.visits // args.days
    PageVisits.objects.bulk_create(
        PageVisits(
            page_id=consultation.pk,
            day=first_day + timedelta(days=n),
            count=per_day + (1 if n < args.visits % args.days else 0),
        )
        for n in range(args.days)
    )
    ShareCount.objects.bulk_create(
        ShareCount(
            page_id=consultation.pk,
            day=first_day + timedelta(days=n),
            network=network,
            count=10 + n % 7,
        )
        for n in range(args.days)
        for network in ("linkedin", "x", "facebook", "email")
    )

    # Comments: a thread written in bulk (benchmarks/thread.py's builder), then dated
    # over the period.
    authors = [factories.UserFactory() for _ in range(60)]
    factories.bulk_thread(consultation, args.comments, authors)
    ids = list(Comment.objects.filter(consultation=consultation).values_list("pk", flat=True))
    batch = []
    for n, pk in enumerate(ids):
        batch.append(Comment(pk=pk, created_at=spread(n, len(ids), first_day, args.days)))
        if len(batch) == 5000:
            Comment.objects.bulk_update(batch, ["created_at"])
            batch = []
    Comment.objects.bulk_update(batch, ["created_at"])

    # Ballots: POLLS polls × voters, each voter one ballot per poll.
    voters_count = max(1, args.ballots // POLLS)
    User.objects.bulk_create(
        User(
            email=f"votant-{n}@bench.test", display_name=f"Votant {n}", password=make_password(None)
        )
        for n in range(voters_count)
    )
    voters = list(User.objects.filter(email__endswith="@bench.test").values_list("pk", flat=True))
    polls = [
        Poll.objects.create(consultation=consultation, title=f"Sondage {n}", is_published=True)
        for n in range(POLLS)
    ]
    with keep_dates(Ballot):
        rows, made = [], 0
        for poll in polls:
            for voter in voters:
                rows.append(
                    Ballot(
                        poll=poll,
                        voter_id=voter,
                        created_at=spread(made, args.ballots, first_day, args.days),
                    )
                )
                made += 1
                if len(rows) == 10000:
                    Ballot.objects.bulk_create(rows)
                    rows = []
        Ballot.objects.bulk_create(rows)
    return consultation, first_day


def measure(client, url, runs):
    client.get(url)  # warm caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return {**summary(times), "queries": len(captured)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    # Building the fixture only: PBKDF2's 1M iterations would cost 0.5 s per account.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    with ThrowAwayDatabase() as vendor:
        started = time.perf_counter()
        consultation, first_day = build(args)
        built_s = time.perf_counter() - started
        started = time.perf_counter()
        community.rollup(consultation)
        rollup_s = time.perf_counter() - started
        recorded = sum(PageVisits.objects.values_list("count", flat=True))
        assert recorded == args.visits, recorded

        team = factories.UserFactory(role=roles.COMMUNICATION, is_staff=True)
        client = Client()
        client.force_login(team)
        today = timezone.localdate()
        period = f"start={first_day.isoformat()}&end={today.isoformat()}"
        results = {
            "consultation_days": measure(
                client,
                f"/admin/participation/?consultation={consultation.pk}&{period}",
                args.runs,
            ),
            "consultation_weeks": measure(
                client,
                f"/admin/participation/?consultation={consultation.pk}&{period}&granularity=week",
                args.runs,
            ),
            "site_days": measure(client, f"/admin/participation/?{period}", args.runs),
        }
        # The cost of counting one visit (one UPDATE of the day's row).
        from django.test import RequestFactory

        request = RequestFactory().get("/", HTTP_USER_AGENT="Mozilla/5.0 Firefox/133.0")
        times = []
        for _ in range(args.runs * 4):
            start = time.perf_counter()
            community.record_visit(request, consultation)
            times.append((time.perf_counter() - start) * 1000)
        record = summary(times)

    line = {
        "bench": "engagement",
        "db": vendor,
        "visits": args.visits,
        "comments": args.comments,
        "ballots": args.ballots,
        "days": args.days,
        "runs": args.runs,
        "build_s": round(built_s, 1),
        "rollup_s": round(rollup_s, 2),
        "record_visit_ms": record,
        "dashboard": results,
        "p95_ms": max(result["p95_ms"] for result in results.values()),
        "load": os.getloadavg()[0],
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
