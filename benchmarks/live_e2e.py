"""Live comments end to end: readers that behave like the page, on the production servers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune_bench \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python benchmarks/live_e2e.py [--readers 100,500,1000] [--rate 5]
        [--seconds 30] [--signed-in 0.2]

gunicorn (HTTP, 2 workers) and uvicorn (/ws/, one process) started as
docs/operations.md says (tests/production.py), on a throw-away PostgreSQL database and
the given Redis (keys under a prefix of this run). For each reader count, that many
readers open the consultation's socket — 80 % anonymous, 20 % signed in (their session
cookie on the socket and on HTTP) — and do what static/js/live.js does:

- once the socket is open, one catch-up request from the cursor the page had (here
  every reader has the same one: the journal's state when the round starts, as after a
  restart when every page reconnects at once);
- on each `comment.created` frame, whatever HTTP the page would send for it: none when
  the frame carries the comment's HTML; a catch-up request when it does not;
- on a frame whose `prev` it never received (a broadcast skipped while the channel
  layer was out): after 1 s, a catch-up from its cursor;
- when the server lets it go (a reader that fell behind, code 4408) or the socket
  fails: reconnect after a backoff with jitter (1 s doubling), then catch up from the
  last cursor seen — those requests count as requests per comment too.

Meanwhile the script posts comments through participation.services at `--rate` per
second for `--seconds`. Printed per round: frame latency p50/p95/p99 (from just before
the service call to the frame's arrival), visible latency (to the comment's HTML in the
reader's hands: the frame itself, or the catch-up answer that brought it), comments
lost (never in a reader's hands 15 s after the last one was posted), HTTP requests per
comment per reader (all but the first catch-up at connection), reconnections, the connection
catch-ups' p95, the mean frame size, and the machine's load average. Readers run in
`--reader-processes` processes on the same machine: their work competes with the
servers for the CPUs, so the figures are an upper bound. Last line: every round.
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--readers", default="100,500,1000")
parser.add_argument("--rate", type=float, default=5.0, help="comments per second")
parser.add_argument("--seconds", type=float, default=30.0, help="posting time per round")
parser.add_argument("--signed-in", type=float, default=0.2, help="share of signed-in readers")
parser.add_argument("--reader-processes", type=int, default=2)
parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
args = parser.parse_args()

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("live_e2e.py runs on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL.")
if not os.environ.get("REDIS_URL"):
    sys.exit("live_e2e.py needs Redis: set REDIS_URL.")
RUN = f"live{os.getpid()}"
# The servers and this process (which posts, and broadcasts on commit) share the
# channel layer, the cache and the sessions: same prefixes, same secret.
os.environ["CHANNELS_PREFIX"] = RUN
os.environ["CACHE_KEY_PREFIX"] = RUN
os.environ.setdefault("DJANGO_SECRET_KEY", "live-e2e-benchmark-" + secrets.token_urlsafe(40))
os.environ.setdefault("TRIBUNE_VAR_DIR", tempfile.mkdtemp(prefix="tribune-live-e2e-"))

import asyncio
import multiprocessing
import threading
from urllib.parse import urlsplit

import _setup  # noqa: F401  (Django set up; the database is throw-away)
from _setup import ThrowAwayDatabase, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.production import database_url, gunicorn, server_environment, uvicorn

BODY = "direct "  # comments posted by this script: "direct <number>"
GRACE_S = 15  # after the last comment, how long readers may take to have them all


def prepare(signed_in: int):
    """The site, one consultation, authors, and a session for each signed-in reader."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts import roles
    from tests import factories

    # Throw-away accounts: hashing their passwords as production does (hundreds of
    # milliseconds each) would spend minutes before the first round. Sessions do not
    # depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    roles.create_groups()
    _home, index, _news = factories.build_site()
    consultation = factories.consultation(index, title="Direct")
    authors = [factories.UserFactory() for _ in range(10)]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = []
    for _ in range(signed_in):
        user = factories.UserFactory()
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return consultation, authors, cookies


async def http_get(base: str, path: str, cookie: str | None) -> tuple[int, bytes]:
    """One GET as a browser's fetch() sends it (a connection of its own, closed after)."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    headers = [
        f"GET {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Accept: application/json",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
        "Connection: close",
    ]
    if cookie:
        headers.append(f"Cookie: {cookie}")
    writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _sep, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body


def reader_process(ws_url, http_base, catch_up_path, cursor, cookies, count, expected, ready, go,
                   posted, results):  # fmt: skip
    """`count` readers in this process; sends back what each saw and sent."""
    import gc
    import random

    import websockets

    gc.freeze()  # the Django heap forked from the parent is not a browser's: leave it
    origin = http_base

    async def catch_up(cookie, after, stats):
        started = time.time()
        status, body = await http_get(http_base, f"{catch_up_path}?after={after}", cookie)
        stats["requests"].append((started, time.time(), status))
        return json.loads(body) if status == 200 else {"events": []}

    def take(stats, events, at, from_frame):
        """Comments of this script in `events` (a frame's, or a catch-up's)."""
        wanted = []
        for event in events:
            body = event.get("body") or ""
            prev = event.get("prev")
            if (
                from_frame
                and isinstance(prev, int)
                and prev > stats["cursor"]
                and prev not in stats["seen"]
            ):
                stats["gaps"].append((prev, stats["cursor"]))
            if isinstance(event.get("cursor"), int):
                stats["seen"].add(event["cursor"])
                stats["cursor"] = max(stats["cursor"], event["cursor"])
            if event.get("type") != "comment.created" or not body.startswith(BODY):
                continue
            n = int(body.split()[1])
            if from_frame:
                stats["frames"].append((n, at))
            if event.get("html"):
                stats["visible"].setdefault(n, at)
            elif from_frame:
                wanted.append(event["cursor"] - 1)
        return wanted

    background = set()  # gap catch-ups under way

    async def fill_gap(cookie, stats, prev, since):
        """As live.js: a frame named a row never received; wait for a crossed frame,
        then catch up from where the reader was."""
        await asyncio.sleep(1.0)
        if prev in stats["seen"]:
            return
        answer = await catch_up(cookie, since, stats)
        take(stats, answer.get("events", []), time.time(), False)

    async def one(number, cookie, opened, seen):
        stats = {"frames": [], "visible": {}, "requests": [], "bytes": 0, "connect_ms": None,
                 "cursor": 0, "reconnections": 0, "seen": set(), "gaps": []}  # fmt: skip
        seen.append(stats)
        headers = [("Cookie", cookie)] if cookie else []
        after, first, delay = cursor, True, 1.0
        while len(stats["visible"]) < expected:
            try:
                async with websockets.connect(
                    ws_url,
                    origin=origin,
                    additional_headers=headers,
                    compression=None,
                    open_timeout=120,
                    ping_interval=None,
                    max_size=2**22,
                ) as socket_:
                    # What live.js does when the socket opens: catch up from its cursor.
                    started = time.time()
                    answer = await catch_up(cookie, after, stats)
                    take(stats, answer.get("events", []), time.time(), False)
                    if str(answer.get("cursor", "")).isdigit():
                        stats["cursor"] = max(stats["cursor"], int(answer["cursor"]))
                    if first:
                        first = False
                        stats["connect_ms"] = (time.time() - started) * 1000
                        stats["requests"].clear()  # counted apart: not caused by a frame
                        opened.append(number)
                    delay = 1.0
                    while len(stats["visible"]) < expected:
                        frame = await socket_.recv()
                        now = time.time()
                        stats["bytes"] += len(frame)
                        message = json.loads(frame)
                        for missing in take(stats, message.get("events", [message]), now, True):
                            # A frame without HTML: the page asks for the comment.
                            answer = await catch_up(cookie, missing, stats)
                            take(stats, answer.get("events", []), time.time(), False)
                        while stats["gaps"]:
                            prev, since = stats["gaps"].pop()
                            task = asyncio.create_task(fill_gap(cookie, stats, prev, since))
                            background.add(task)
                            task.add_done_callback(background.discard)
                    return
            except asyncio.CancelledError:
                return
            except (websockets.ConnectionClosed, OSError):
                # Let go (a reader that fell behind) or refused: like the page, come
                # back after a backoff with jitter and catch up from the last cursor.
                stats["reconnections"] += 1
                after = str(stats["cursor"]) if stats["cursor"] else after
                await asyncio.sleep(delay / 2 + random.random() * delay / 2)
                delay = min(delay * 2, 30.0)

    async def main():
        opened, seen, tasks = [], [], []
        for number in range(count):
            cookie = cookies[number] if number < len(cookies) else None
            tasks.append(asyncio.create_task(one(number, cookie, opened, seen)))
            if number % 50 == 49:
                await asyncio.sleep(0.05)  # do not storm the server's accept queue
        deadline = time.time() + 180
        while len(opened) < count and time.time() < deadline:
            await asyncio.sleep(0.05)
        ready.set()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, go.wait)
        await loop.run_in_executor(None, posted.wait)
        _done, pending = await asyncio.wait(tasks, timeout=GRACE_S)
        for task in [*pending, *background]:
            task.cancel()
        for stats in seen:
            del stats["seen"], stats["gaps"]  # not sent back
        return len(opened), seen

    results.put(asyncio.run(main()))


def last_cursor(consultation) -> str:
    from participation.models import LiveEvent

    last = (
        LiveEvent.objects.filter(consultation_id=consultation.pk)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return str(last or 0)


def run_round(http, ws, consultation, authors, cookies, readers) -> dict:
    from django.conf import settings

    from participation.services import comments as services

    ws_url = f"ws://127.0.0.1:{ws.port}/ws/consultations/{consultation.pk}/"
    catch_up_path = f"/participation/consultations/{consultation.pk}/direct/"
    signed = round(readers * args.signed_in)
    comments = int(args.seconds * args.rate)
    cursor = last_cursor(consultation)
    context = multiprocessing.get_context("fork")
    results, go, posted = context.Queue(), context.Event(), context.Event()
    workers, readies = [], []
    share = [readers // args.reader_processes] * args.reader_processes
    share[0] += readers - sum(share)
    cookie_share = [signed // args.reader_processes] * args.reader_processes
    cookie_share[0] += signed - sum(cookie_share)
    given = 0
    for count, with_cookie in zip(share, cookie_share, strict=True):
        ready = context.Event()
        mine = cookies[given : given + with_cookie]
        given += with_cookie
        worker = context.Process(
            target=reader_process,
            args=(ws_url, http.url, catch_up_path, cursor, mine, count, comments, ready, go,
                  posted, results),
        )  # fmt: skip
        worker.start()
        workers.append(worker)
        readies.append(ready)
    for ready in readies:
        ready.wait(timeout=240)
    time.sleep(1)
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "comment": (10**6, 60)}
    sent = {}
    go.set()
    start = time.monotonic()
    for n in range(comments):
        delay = start + n / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent[n] = time.time()
        services.post_comment(
            author=authors[n % len(authors)], consultation=consultation, body=f"{BODY}{n}"
        )
    posting_s = time.monotonic() - start
    posted.set()
    opened, seen = 0, []
    for _worker in workers:
        opened_here, seen_here = results.get(timeout=300)
        opened += opened_here
        seen.extend(seen_here)
    load = os.getloadavg()
    for worker in workers:
        worker.join(timeout=30)
    frame_ms = [(at - sent[n]) * 1000 for each in seen for n, at in each["frames"]]
    visible_ms = [(at - sent[n]) * 1000 for each in seen for n, at in each["visible"].items()]
    requests = sum(len(each["requests"]) for each in seen)
    connect_ms = [each["connect_ms"] for each in seen if each["connect_ms"] is not None]
    frames = sum(len(each["frames"]) for each in seen)
    reconnections = sum(each["reconnections"] for each in seen)
    expected = readers * comments

    def pct(values, p):
        return round(percentile(values, p), 1) if values else None

    return {
        "bench": "live_e2e",
        "readers": readers,
        "signed_in": signed,
        "connected": opened,
        "comments": comments,
        "rate_per_s": args.rate,
        "db": "postgresql",
        "frame_p50_ms": pct(frame_ms, 50),
        "frame_p95_ms": pct(frame_ms, 95),
        "frame_p99_ms": pct(frame_ms, 99),
        "visible_p50_ms": pct(visible_ms, 50),
        "visible_p95_ms": pct(visible_ms, 95),
        "visible_p99_ms": pct(visible_ms, 99),
        "lost": expected - len(visible_ms),
        "requests_per_comment_per_reader": round(requests / expected, 4) if expected else None,
        "connect_catch_up_p95_ms": pct(connect_ms, 95),
        "frames_received": frames,
        "reconnections": reconnections,
        "mean_frame_bytes": round(sum(each["bytes"] for each in seen) / frames) if frames else 0,
        "posting_s": round(posting_s, 2),
        "load_average": [round(value, 2) for value in load],
    }


def main():
    rounds = []
    with ThrowAwayDatabase():
        from django.db import connection

        counts = [int(n) for n in args.readers.split(",")]
        consultation, authors, cookies = prepare(round(max(counts) * args.signed_in))
        logs = Path(os.environ["TRIBUNE_VAR_DIR"]) / "live_e2e"
        logs.mkdir(parents=True, exist_ok=True)
        env = server_environment(database_url(connection.settings_dict), os.environ["REDIS_URL"])
        http = gunicorn(env, logs / "gunicorn.log", workers=args.workers).start()
        ws = uvicorn(env, logs / "uvicorn.log").start()
        try:
            for readers in counts:
                figures = run_round(http, ws, consultation, authors, cookies, readers)
                print(json.dumps(figures), flush=True)
                rounds.append(figures)
                time.sleep(3)  # the previous readers' connections wind down
        finally:
            ws.stop()
            http.stop()
            from django.core.cache import cache

            cache.clear()  # the Redis database given to this run (sessions, catch-ups)
    print(json.dumps({"bench": "live_e2e", "rounds": rounds}))


if __name__ == "__main__":
    threading.current_thread().name = "live_e2e"
    main()
