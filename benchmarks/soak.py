"""Soak: mixed traffic through the production servers, with Redis stopped and PostgreSQL
connections killed along the way.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune .venv/bin/python benchmarks/soak.py \\
        --duration 600

gunicorn (HTTP, 2 workers) and uvicorn (/ws/) on a throw-away PostgreSQL database with
the demo loaded, and a Redis of the script's own on a free port. Client threads send
80 % page reads with browser headers (anonymous or signed in) and 20 % signed-in
writes (comments, supports, votes); WebSocket readers stay connected to a consultation
and reconnect with backoff when let go, as the page does. At 30 % of the run Redis is
stopped for --redis-outage seconds (then started again, its memory empty); at 55 % and
80 % every PostgreSQL connection of the servers is terminated.

Prints a line per minute (requests, error rate, p95), then one JSON line: writes
acknowledged (302) against writes stored (must be equal: nothing acknowledged lost),
the poll's tally against its ballots, and the resident memory of each process at start
and end. Exits 1 when something acknowledged was lost or the tally is off.
"""

import argparse
import asyncio
import json
import os
import random
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import _setup  # noqa: F401  (Django set up on a throw-away database)
from _setup import ThrowAwayDatabase, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.production import (
    Browser,
    database_url,
    gunicorn,
    memory_kib,
    server_environment,
    uvicorn,
)
from tests.redis_server import RedisServer

PASSWORD = "soak-tribune-2026"  # noqa: S105 (throw-away accounts)
PAGES = ["/", "/consultations/", "/recherche/?q=v%C3%A9lo", "/actualites/"]
COMMENT_ACTION = re.compile(r'action="(/participation/consultations/\d+/commenter/)"')
COMMENT_ID = re.compile(r'id="commentaire-(\d+)"')


def prepare(writers: int):
    """The demo, and `writers` verified accounts with a production password hash."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from participation.models import ConsultationPage, Poll
    from tests import factories

    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    emails = []
    for number in range(writers):
        user = factories.UserFactory(email=f"soak-{number}@exemple.test")
        user.password = password
        user.save(update_fields=["password"])
        emails.append(user.email)
    consultations = [page.url for page in ConsultationPage.objects.live() if page.status == "open"]
    poll = Poll.objects.get(consultation__slug="plan-velo-2027")
    velo = ConsultationPage.objects.get(slug="plan-velo-2027")
    return emails, consultations, poll.pk, velo.pk, velo.url


class Stats:
    def __init__(self, start: float):
        self.start = start
        self.lock = threading.Lock()
        self.minutes = defaultdict(lambda: {"requests": 0, "errors": 0, "times": []})
        self.acknowledged = {"comments": set(), "supports": set(), "votes": set()}
        self.refused = defaultdict(int)
        self.statuses = defaultdict(int)

    def record(self, started: float, status: int | None):
        elapsed = time.monotonic() - started
        with self.lock:
            minute = self.minutes[int((started - self.start) // 60)]
            minute["requests"] += 1
            minute["times"].append(elapsed * 1000)
            if status is None or status >= 500:
                minute["errors"] += 1
            self.statuses[str(status)] += 1


def timed(stats, call, *args, **kwargs):
    started = time.monotonic()
    try:
        response = call(*args, **kwargs)
    except Exception:
        stats.record(started, None)
        return None
    stats.record(started, response.status_code)
    return response


def client(number, base_url, email, consultations, velo_url, stats, stop, seed):
    rng = random.Random(seed)
    browser = Browser(base_url)
    signed_in = False
    comment_ids: list[int] = []
    while not stop.is_set():
        if email and not signed_in:
            response = timed(stats, browser.sign_in, email, PASSWORD)
            signed_in = response is not None and response.status_code == 302
            if not signed_in:
                time.sleep(1)
                continue
        path = rng.choice(consultations + PAGES)
        if not email or rng.random() < 0.8:
            response = timed(stats, browser.get, path)
            if response is not None and response.status_code == 200:
                comment_ids = [int(x) for x in COMMENT_ID.findall(response.text)] or comment_ids
            continue
        kind = rng.choice(("comments", "comments", "supports", "votes"))
        if kind == "comments":
            page = timed(stats, browser.get, velo_url)
            if page is None or page.status_code != 200 or not COMMENT_ACTION.search(page.text):
                continue
            body = f"Soak {number} {time.monotonic():.6f}"
            action = COMMENT_ACTION.search(page.text).group(1)
            response = timed(stats, browser.post, action, {"body": body}, referer=velo_url)
            key = body
        elif kind == "supports":
            if not comment_ids:
                continue
            comment = rng.choice(comment_ids)
            response = timed(
                stats,
                browser.post,
                f"/participation/commentaires/{comment}/soutenir/",
                {"supported": "1"},
                referer=velo_url,
                # The in-place answer: 200 when stored, the refusal's status otherwise
                # (the plain form redirects either way, with a message).
                headers={"X-Tribune-Fragment": "1"},
            )
            key = (email, comment)
        else:
            page = timed(stats, browser.get, velo_url)
            form = page is not None and re.search(
                r'action="(/participation/sondages/\d+/vote/)".*?</form>', page.text, re.S
            )
            if not form:
                continue
            answers = {}
            for name, value in re.findall(r'name="(q\d+)"[^>]*value="(\d+)"', form.group(0)):
                answers.setdefault(name, value)
            for name in re.findall(r'<textarea[^>]+name="(q\d+)"', form.group(0)):
                answers[name] = "Réponse du soak"
            response = timed(stats, browser.post, form.group(1), answers, referer=velo_url)
            key = email
        if response is None:
            continue
        if response.status_code == (200 if kind == "supports" else 302):
            with stats.lock:
                stats.acknowledged[kind].add(key)
        else:
            with stats.lock:
                stats.refused[f"{kind}:{response.status_code}"] += 1


def live_readers(ws_port, consultation_id, count, stop, figures):
    import websockets

    url = f"ws://127.0.0.1:{ws_port}/ws/consultations/{consultation_id}/"
    origin = f"http://127.0.0.1:{ws_port}"

    async def reader():
        attempts = 0
        while not stop.is_set():
            try:
                async with websockets.connect(url, origin=origin, open_timeout=5) as socket:
                    attempts = 0
                    figures["connections"] += 1
                    while not stop.is_set():
                        try:
                            await asyncio.wait_for(socket.recv(), timeout=1)
                            figures["frames"] += 1
                        except TimeoutError:
                            continue
            except Exception:
                figures["lost_or_refused"] += 1
            # The page's backoff: 1 s doubling to 30 s, with jitter.
            ceiling = min(30, 2**attempts)
            attempts += 1
            await asyncio.sleep(ceiling / 2 + random.random() * ceiling / 2)

    async def main():
        await asyncio.gather(*(reader() for _ in range(count)))

    asyncio.run(main())


def terminate_backends() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def memory(servers, redis) -> dict:
    found = {}
    for server in servers:
        for index, pid in enumerate(server.pids()):
            name = server.name if index == 0 else f"{server.name}-worker-{index}"
            try:
                found[name] = round(memory_kib(pid) / 1024, 1)
            except OSError:
                found[name] = None
    found["redis"] = round(memory_kib(redis.process.pid) / 1024, 1) if redis.process else None
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds (600)")
    parser.add_argument("--clients", type=int, default=8, help="HTTP client threads")
    parser.add_argument("--writers", type=int, default=6, help="of which signed in")
    parser.add_argument("--readers", type=int, default=20, help="WebSocket readers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--redis-outage", type=float, default=30, help="seconds")
    args = parser.parse_args()

    with ThrowAwayDatabase() as vendor:
        if vendor != "postgresql":
            sys.exit("soak.py runs on PostgreSQL: set DATABASE_URL.")
        from django.db import connection

        from participation.models import Ballot, Comment, Poll, Support
        from participation.queries import polls as poll_queries

        emails, consultations, poll_id, velo_id, velo_url = prepare(args.writers)
        redis = RedisServer().start()
        logs = Path(os.environ.get("TRIBUNE_VAR_DIR", "var")) / "soak"
        logs.mkdir(parents=True, exist_ok=True)
        env = server_environment(
            database_url(connection.settings_dict),
            redis.url,
            TRIBUNE_RATE_COMMENTS_PER_MINUTE=100_000,
            TRIBUNE_RATE_SUPPORTS_PER_MINUTE=100_000,
            TRIBUNE_VOTE_RATE_LIMIT=100_000,
        )
        http = gunicorn(env, logs / "gunicorn.log", workers=args.workers).start()
        ws = uvicorn(env, logs / "uvicorn.log").start()
        servers = [http, ws]
        try:
            warm = Browser(http.url)
            for path in consultations + PAGES:
                for _ in range(args.workers):
                    warm.get(path)
            memory_start = memory(servers, redis)
            start = time.monotonic()
            stats, stop = Stats(start), threading.Event()
            figures = defaultdict(int)
            threads = [
                threading.Thread(
                    target=client,
                    args=(n, http.url, emails[n] if n < args.writers else None, consultations,
                          velo_url, stats, stop, n),
                    daemon=True,
                )
                for n in range(args.clients)
            ]  # fmt: skip
            threads.append(
                threading.Thread(
                    target=live_readers,
                    args=(ws.port, velo_id, args.readers, stop, figures),
                    daemon=True,
                )
            )
            for thread in threads:
                thread.start()
            events = []

            def at(fraction):
                delay = start + args.duration * fraction - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

            at(0.30)
            redis.stop()
            events.append(("redis stopped", round(time.monotonic() - start)))
            time.sleep(args.redis_outage)
            redis.start()
            events.append(("redis started, memory empty", round(time.monotonic() - start)))
            for fraction in (0.55, 0.80):
                at(fraction)
                killed = terminate_backends()
                events.append(
                    (f"{killed} PostgreSQL connections killed", round(time.monotonic() - start))
                )
            at(1.0)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            time.sleep(1)
            memory_end = memory(servers, redis)
        finally:
            for server in servers:
                server.stop()
            redis.close()

        stored_comments = set(
            Comment.objects.filter(body__startswith="Soak ").values_list("body", flat=True)
        )
        stored_supports = {
            (email, comment)
            for email, comment in Support.objects.filter(user__email__in=emails).values_list(
                "user__email", "comment_id"
            )
        }
        stored_votes = set(
            Ballot.objects.filter(poll_id=poll_id, voter__email__in=emails).values_list(
                "voter__email", flat=True
            )
        )
        stored = {"comments": stored_comments, "supports": stored_supports, "votes": stored_votes}
        poll = Poll.objects.get(pk=poll_id)
        tally = poll_queries.results([poll])[poll_id].participants
        ballots = poll.ballots.count()

    per_minute = []
    for minute in sorted(stats.minutes):
        figures_minute = stats.minutes[minute]
        requests = figures_minute["requests"]
        per_minute.append(
            {
                "minute": minute + 1,
                "requests": requests,
                "error_rate": round(figures_minute["errors"] / requests, 4) if requests else 0,
                "p95_ms": round(percentile(figures_minute["times"], 95), 1),
            }
        )
        print(
            f"minute {minute + 1:>2}: {requests:>5} requests, "
            f"{figures_minute['errors']:>3} errors, p95 {per_minute[-1]['p95_ms']} ms",
            file=sys.stderr,
        )
    for what, second in events:
        print(f"  at {second} s: {what}", file=sys.stderr)
    writes = {
        kind: {
            "acknowledged": len(stats.acknowledged[kind]),
            "stored": len(stored[kind] & stats.acknowledged[kind]),
            "lost": len(stats.acknowledged[kind] - stored[kind]),
        }
        for kind in stored
    }
    lost = sum(figure["lost"] for figure in writes.values())
    result = {
        "bench": "soak",
        "db": "postgresql",
        "duration_s": args.duration,
        "clients": args.clients,
        "readers": args.readers,
        "gunicorn_workers": args.workers,
        "requests": sum(m["requests"] for m in per_minute),
        "statuses": dict(stats.statuses),
        "per_minute": per_minute,
        "events": events,
        "writes": writes,
        "refused": dict(stats.refused),
        "nothing_acknowledged_lost": lost == 0,
        "tally": tally,
        "ballots": ballots,
        "tally_exact": tally == ballots,
        "live": dict(figures),
        "memory_mib_start": memory_start,
        "memory_mib_end": memory_end,
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if lost == 0 and tally == ballots else 1)


if __name__ == "__main__":
    main()
