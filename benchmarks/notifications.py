"""An official answer in a thread followed by many people: what the agent's request
costs (it only enqueues), what the worker takes to create every notification and send
the immediate e-mails, then the daily digests, and the worker's peak memory.

    python benchmarks/notifications.py [--sizes 2000,100000] [--runs 10]

For each size: one question, `size` people following its thread (a tenth of them with
official answers in the daily digest, a hundredth e-mailed at once), then `runs`
official answers through the service with django-tasks' database backend (enqueue
p50/p95: the request's cost), then the fan-out of one answer as the worker runs it
(seconds, peak Python memory by tracemalloc, notifications created), a second run of
the same task (a restarted worker: nothing created, nothing sent), and the daily
digests. Targets: enqueue p95 under 100 ms at every size; peak memory flat across sizes
(batched: TRIBUNE_NOTIFICATION_BATCH recipients at a time). One JSON line per size,
then one line with everything.
"""

import argparse
import json
import time
import tracemalloc

from _setup import ThrowAwayDatabase, summary
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test.utils import override_settings

from accounts import roles
from participation.models import EmailMode, Follow, Kind, Notification, NotificationPreference
from participation.services import comments, notifications
from tests import factories

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAIL = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def people(size, start):
    User = get_user_model()
    made = User.objects.bulk_create(
        (
            User(email=f"suiveur{start + n}@bench.test", display_name=f"Suiveur {start + n}")
            for n in range(size)
        ),
        batch_size=5000,
    )
    if made and made[0].pk is None:  # SQLite before RETURNING support
        made = list(User.objects.filter(email__startswith="suiveur").order_by("-pk")[:size])
    return [user.pk for user in made]


def run_size(size, runs, index, agent, seq):
    consultation = factories.consultation(index, title=f"Suivie par {size}", slug=f"suivie-{size}")
    asker = factories.UserFactory()
    question = comments.post_comment(author=asker, consultation=consultation, body="Quand ?")
    ids = people(size, seq)
    Follow.objects.bulk_create(
        (Follow(thread_id=question.pk, user_id=pk) for pk in ids), batch_size=5000
    )
    NotificationPreference.objects.bulk_create(
        (
            NotificationPreference(
                user_id=pk,
                official_answer=EmailMode.IMMEDIATE if n % 100 == 0 else EmailMode.DAILY,
            )
            for n, pk in enumerate(ids)
            if n % 10 == 0
        ),
        batch_size=5000,
    )
    enqueue_ms, answers = [], []
    with override_settings(TASKS=DATABASE_TASKS):
        for n in range(runs):
            start = time.perf_counter()
            with transaction.atomic():
                answer = comments.post_comment(
                    author=agent,
                    consultation=consultation,
                    parent=question,
                    body=f"Réponse officielle n° {n}.",
                    official=True,
                )
            enqueue_ms.append((time.perf_counter() - start) * 1000)
            answers.append(answer)
    mail.outbox = []
    tracemalloc.start()
    start = time.perf_counter()
    notifications.fan_out(Kind.OFFICIAL_ANSWER, answers[0].pk)
    worker_s = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    created = Notification.objects.filter(event_key=f"answer:{answers[0].pk}").count()
    immediate = len(mail.outbox)
    start = time.perf_counter()
    notifications.fan_out(Kind.OFFICIAL_ANSWER, answers[0].pk)  # a restarted worker
    rerun_s = time.perf_counter() - start
    again = Notification.objects.filter(event_key=f"answer:{answers[0].pk}").count()
    rerun_emails = len(mail.outbox) - immediate
    start = time.perf_counter()
    digests = notifications.send_digests(EmailMode.DAILY)
    digest_s = time.perf_counter() - start
    return {
        "enqueue": summary(enqueue_ms),
        "worker_s": round(worker_s, 2),
        "worker_peak_mb": round(peak / 1e6, 1),
        "notifications": created,
        "immediate_emails": immediate,
        "rerun_s": round(rerun_s, 2),
        "rerun_created": again - created,
        "rerun_emails": rerun_emails,
        "digests": digests,
        "digests_s": round(digest_s, 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,100000")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = {}
    from django.conf import settings

    # The agent answers more often than the per-person rate limit lets anyone post.
    limits = {**settings.TRIBUNE_RATE_LIMITS, "comment": (10**6, 60)}
    with (
        ThrowAwayDatabase() as vendor,
        override_settings(MAILERS=MAIL, TRIBUNE_RATE_LIMITS=limits),
    ):
        mail.outbox = []
        roles.create_groups()
        _home, index, _news = factories.build_site()
        agent = factories.UserFactory(role=roles.AGENTS)
        seq = 0
        for size in sizes:
            results[size] = run_size(size, args.runs, index, agent, seq)
            seq += size
            print(
                json.dumps({"bench": "notifications", "db": vendor, "size": size, **results[size]})
            )
    print(json.dumps({"bench": "notifications", "db": vendor, "runs": args.runs, "sizes": results}))


if __name__ == "__main__":
    main()
