"""Concurrent voters on PostgreSQL: ballots per second, and tallies checked to the unit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune \\
        python benchmarks/votes.py [--voters 5000] [--threads 50] [--shards 1,16] [--changes 0.1]

Each round creates a fresh poll (a single choice, a multiple choice with a maximum, a
free text) and `--voters` verified accounts, then `--threads` threads — spread over
`--processes` forked processes, like the workers of a server — cast one ballot per
account through services.polls.cast_ballot, the service the vote view calls; a share
of them change their ballot right after. The counters shown on the page are
then compared with a recount of the ballots and with what the threads chose.

Prints one JSON line per round, then a last line with every round.
"""

import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--voters", type=int, default=5000)
parser.add_argument("--threads", type=int, default=50)
parser.add_argument("--shards", default="1,16", help="shard counts to compare, e.g. 1,16")
parser.add_argument("--changes", type=float, default=0.1, help="share of voters who change")
parser.add_argument(
    "--processes", type=int, default=1, help="processes sharing the threads, like server workers"
)
args = parser.parse_args()
# One pooled connection per voting thread, plus one spare.
os.environ["DATABASE_POOL_MAX"] = str(args.threads // args.processes + 2)

import logging
import multiprocessing
import random
import threading
import time
from collections import Counter

from _setup import ThrowAwayDatabase, summary
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from accounts.models import User
from participation.models import Choice, ConsultationPage, Poll, Question
from participation.queries import polls as poll_queries
from participation.services import polls as poll_services


class Collisions(logging.Handler):
    """Counts the retries of cast_ballot (a lost race on a constraint, a deadlock)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record):
        if "collided" in record.getMessage():
            self.count += 1


def make_poll(consultation, label):
    poll = Poll.objects.create(
        consultation=consultation, title=f"Banc d'essai {label}", is_published=True
    )
    specs = [
        ("Fréquence ?", "single", None, ["Tous les jours", "Chaque semaine", "Rarement", "Jamais"]),
        (
            "Aménagements ?",
            "multiple",
            3,
            ["Pistes", "Carrefours", "Parkings", "Jalonnement", "Aide", "Atelier"],
        ),
        ("Un lieu dangereux ?", "text", None, []),
    ]
    for order, (text, kind, maximum, labels) in enumerate(specs):
        question = Question.objects.create(
            poll=poll, text=text, kind=kind, max_choices=maximum, sort_order=order
        )
        for n, choice_label in enumerate(labels):
            Choice.objects.create(question=question, label=choice_label, sort_order=n)
    return poll.pk


def make_voters(count, label):
    users = [
        User(email=f"votant-{label}-{n}@bench.test", display_name=f"Votant {n}")
        for n in range(count)
    ]
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users, batch_size=1000)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=1000,
    )
    return [user.pk for user in users]


def random_answers(poll, rng):
    single, multiple, text = poll.questions.all()
    picks = [c.pk for c in multiple.choices.all()]
    return {
        single.pk: rng.choice([c.pk for c in single.choices.all()]),
        multiple.pk: rng.sample(picks, rng.randint(1, multiple.max_choices)),
        text.pk: "Le carrefour de la gare." if rng.random() < 0.2 else "",
    }


def vote_slice(poll_id, voter_ids, threads, seed, barrier, queue):
    """One process of voters: `threads` threads cast one ballot per account (some change
    it right after), released together by `barrier`; results go to `queue`."""
    collisions.count = 0
    chunks = [voter_ids[i::threads] for i in range(threads)]
    expected, latencies, writes, errors = Counter(), [], [], []
    lock = threading.Lock()

    def voter_thread(index):
        rng = random.Random(seed * 1000 + index)
        mine, times, count = Counter(), [], 0
        try:
            poll = poll_queries.poll_for_vote(poll_id)
            users = list(User.objects.filter(pk__in=chunks[index]))
            barrier.wait()
            single, multiple, _text = poll.questions.all()
            for user in users:
                final = random_answers(poll, rng)
                rounds = [final]
                if rng.random() < args.changes:
                    rounds = [random_answers(poll, rng), final]
                for answers in rounds:
                    begin = time.perf_counter()
                    poll_services.cast_ballot(voter=user, poll=poll, answers=answers)
                    times.append((time.perf_counter() - begin) * 1000)
                    count += 1
                mine[final[single.pk]] += 1
                mine.update(final[multiple.pk])
        except Exception as error:  # reported by the parent, never silently lost
            errors.append(repr(error))
        finally:
            with lock:
                expected.update(mine)
                latencies.extend(times)
                writes.append(count)
            connections.close_all()

    workers = [threading.Thread(target=voter_thread, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    queue.put(
        {
            "expected": dict(expected),
            "latencies": latencies,
            "writes": sum(writes),
            "errors": errors,
            "retries": collisions.count,
        }
    )


def run_round(consultation, shards, label):
    settings.TRIBUNE_POLL_TALLY_SHARDS = shards
    poll_id = make_poll(consultation, label)
    voter_ids = make_voters(args.voters, label)
    # Forked processes must not share the parent's connections.
    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    context = multiprocessing.get_context("fork")
    per_process = [args.threads // args.processes] * args.processes
    per_process[0] += args.threads - sum(per_process)
    barrier = context.Barrier(args.threads + 1)
    queue = context.Queue()
    processes = [
        context.Process(
            target=vote_slice,
            args=(poll_id, voter_ids[n :: args.processes], per_process[n], n, barrier, queue),
        )
        for n in range(args.processes)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=600)
    start = time.perf_counter()
    parts = [queue.get(timeout=3600) for _ in processes]
    elapsed = time.perf_counter() - start
    for process in processes:
        process.join()

    expected = Counter()
    for part in parts:
        expected.update(part["expected"])
    errors = [error for part in parts for error in part["errors"]]
    writes = sum(part["writes"] for part in parts)
    poll = Poll.objects.get(pk=poll_id)
    shown = poll_queries.results([poll])[poll_id]
    counted = poll_queries.counted_from_ballots(poll)
    shown_counts = {k: v for k, v in shown.counts.items() if v}
    exact = (
        not errors
        and shown.participants == counted.participants == args.voters
        and shown_counts == counted.counts == dict(expected)
    )
    return {
        "shards": shards,
        "processes": args.processes,
        "ballots": args.voters,
        "writes": writes,
        "seconds": round(elapsed, 2),
        "ballots_per_s": round(args.voters / elapsed, 1),
        "writes_per_s": round(writes / elapsed, 1),
        **summary([ms for part in parts for ms in part["latencies"]]),
        "participants": shown.participants,
        "exact": exact,
        "retries": sum(part["retries"] for part in parts),
        "errors": errors[:3],
    }


collisions = Collisions()


def main():
    shard_counts = [int(s) for s in args.shards.split(",")]
    service_log = logging.getLogger("participation.services.polls")
    service_log.setLevel(logging.INFO)
    service_log.propagate = False
    service_log.addHandler(collisions)
    with ThrowAwayDatabase() as vendor:
        if vendor != "postgresql":
            print(
                "votes.py mesure des écritures concurrentes : lancez-le sur PostgreSQL "
                "(DATABASE_URL=postgres://…).",
                file=sys.stderr,
            )
            print(json.dumps({"bench": "votes", "db": vendor, "error": "PostgreSQL required"}))
            return 2
        call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        consultation = ConsultationPage.objects.live().get(slug="plan-velo-2027")
        with connection.cursor() as cursor:
            server = cursor.connection.info.server_version
        rounds = []
        for shards in shard_counts:
            result = run_round(consultation, shards, f"s{shards}")
            rounds.append(result)
            print(json.dumps({"bench": "votes", "db": vendor, **result}))
        print(
            json.dumps(
                {
                    "bench": "votes",
                    "db": vendor,
                    "postgres": server,
                    "threads": args.threads,
                    "processes": args.processes,
                    "voters": args.voters,
                    "changes": args.changes,
                    "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
                    "rounds": rounds,
                    "exact": all(r["exact"] for r in rounds),
                }
            )
        )
        return 0 if all(r["exact"] for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
