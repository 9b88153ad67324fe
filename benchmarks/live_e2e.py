"""Live comments end to end: readers that behave like the page, on the production servers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune_bench \\
    REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python benchmarks/live_e2e.py [--readers 100,500,1000] [--rate 5]
        [--seconds 30] [--signed-in 0.2] [--asgi-processes 2] [--storm 1000]

gunicorn (HTTP, 2 workers) and uvicorn (/ws/, --asgi-processes processes, readers spread
over them as the proxy's round robin does) started as
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
servers for the CPUs, so the figures are an upper bound.

`--storm N` adds a last round: N pages connected, the ASGI processes stopped, comments
posted while they are down, the processes started again; the pages come back with
live.js's backoff and catch up from their cursor. It prints how long pages took to have
every comment again, the catch-ups, and ordinary page requests (the consultation and the
home page, with a browser's headers) timed while it lasts. Last line: every round.
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
parser.add_argument(
    "--asgi-processes", type=int, default=1, help="uvicorn processes; readers spread over them"
)
parser.add_argument(
    "--storm",
    type=int,
    default=0,
    help="after the rounds, that many readers lose their sockets to a restart of the ASGI "
    "processes and come back with the page's backoff (0: no storm round)",
)
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


def reader_process(ws_urls, http_base, catch_up_path, cursor, cookies, count, expected, ready,
                   go, posted, results, grace):  # fmt: skip
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
        # Spread over the ASGI processes as the proxy's round robin would.
        ws_url = ws_urls[number % len(ws_urls)]
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
        _done, pending = await asyncio.wait(tasks, timeout=grace)
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


def start_readers(ws_servers, http, consultation, cookies, readers, expected, cursor, grace):
    """The reader processes, connected and caught up; returns what collect() needs."""
    ws_urls = [f"ws://127.0.0.1:{ws.port}/ws/consultations/{consultation.pk}/" for ws in ws_servers]
    catch_up_path = f"/participation/consultations/{consultation.pk}/direct/"
    signed = round(readers * args.signed_in)
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
            args=(ws_urls, http.url, catch_up_path, cursor, mine, count, expected, ready, go,
                  posted, results, grace),
        )  # fmt: skip
        worker.start()
        workers.append(worker)
        readies.append(ready)
    for ready in readies:
        ready.wait(timeout=240)
    time.sleep(1)
    return workers, results, go, posted, signed


def collect(workers, results):
    opened, seen = 0, []
    for _worker in workers:
        opened_here, seen_here = results.get(timeout=300)
        opened += opened_here
        seen.extend(seen_here)
    load = os.getloadavg()
    for worker in workers:
        worker.join(timeout=30)
    return opened, seen, load


def pct(values, p):
    return round(percentile(values, p), 1) if values else None


def run_round(http, ws_servers, consultation, authors, cookies, readers) -> dict:
    from django.conf import settings

    from participation.services import comments as services

    comments = int(args.seconds * args.rate)
    cursor = last_cursor(consultation)
    workers, results, go, posted, signed = start_readers(
        ws_servers, http, consultation, cookies, readers, comments, cursor, GRACE_S
    )
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
    opened, seen, load = collect(workers, results)
    frame_ms = [(at - sent[n]) * 1000 for each in seen for n, at in each["frames"]]
    visible_ms = [(at - sent[n]) * 1000 for each in seen for n, at in each["visible"].items()]
    requests = sum(len(each["requests"]) for each in seen)
    connect_ms = [each["connect_ms"] for each in seen if each["connect_ms"] is not None]
    frames = sum(len(each["frames"]) for each in seen)
    reconnections = sum(each["reconnections"] for each in seen)
    expected = readers * comments
    return {
        "bench": "live_e2e",
        "readers": readers,
        "signed_in": signed,
        "connected": opened,
        "comments": comments,
        "rate_per_s": args.rate,
        "db": "postgresql",
        "asgi_processes": len(ws_servers),
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


STORM_COMMENTS = 20  # posted while the ASGI processes are down: every page catches them up
STORM_DOWN_S = 3.0  # how long the ASGI processes stay down


def probe_pages(base: str, paths: list[str], stop: threading.Event, timings: list) -> None:
    """Ordinary page requests while the storm lasts: a person opening a page, with a
    browser's headers, one after the other."""
    import requests

    from tests.production import BROWSER_HEADERS

    session = requests.Session()
    session.headers.update(BROWSER_HEADERS)
    n = 0
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            status = session.get(base + path, timeout=30).status_code
        except requests.RequestException:
            status = 0
        timings.append(((time.perf_counter() - started) * 1000, status))
        time.sleep(0.1)


def run_storm(http, ws_servers, consultation, authors, cookies, readers) -> dict:
    """Every page loses its socket to a restart of the ASGI processes, comments are
    posted meanwhile, and the pages come back with live.js's backoff and catch up from
    their cursor. Measured: ordinary page requests while it lasts, how long the pages
    take to have every comment again, and the catch-up requests."""
    from django.conf import settings

    from participation.services import comments as services

    cursor = last_cursor(consultation)
    workers, results, go, posted, signed = start_readers(
        ws_servers, http, consultation, cookies, readers, STORM_COMMENTS, cursor, 120
    )
    settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "comment": (10**6, 60)}
    stop, timings = threading.Event(), []
    probes = [
        threading.Thread(
            target=probe_pages, args=(http.url, [consultation.url, "/"], stop, timings)
        )
        for _ in range(2)
    ]
    for probe in probes:
        probe.start()
    time.sleep(2)
    before = len(timings)
    go.set()
    restarted_at = time.time()
    for ws in ws_servers:
        ws.stop()
    for n in range(STORM_COMMENTS):
        services.post_comment(
            author=authors[n % len(authors)], consultation=consultation, body=f"{BODY}{n}"
        )
    time.sleep(max(0.0, STORM_DOWN_S - (time.time() - restarted_at)))
    for ws in ws_servers:
        ws.start()
    back_at = time.time()
    posted.set()
    opened, seen, load = collect(workers, results)
    stop.set()
    for probe in probes:
        probe.join(timeout=60)
    during = timings[before:]
    page_ms = [ms for ms, _status in during]
    recovered_s = [
        max(each["visible"].values()) - back_at
        for each in seen
        if len(each["visible"]) == STORM_COMMENTS
    ]
    catch_ups = [
        (ended - started) * 1000
        for each in seen
        for started, ended, _status in each["requests"]
        if started >= restarted_at
    ]
    return {
        "bench": "live_e2e",
        "round": "storm",
        "readers": readers,
        "signed_in": signed,
        "connected": opened,
        "asgi_processes": len(ws_servers),
        "asgi_down_s": round(back_at - restarted_at, 2),
        "comments_while_down": STORM_COMMENTS,
        "pages_recovered": len(recovered_s),
        "lost": readers * STORM_COMMENTS - sum(len(each["visible"]) for each in seen),
        "recovered_p50_s": pct(recovered_s, 50),
        "recovered_p95_s": pct(recovered_s, 95),
        "reconnections": sum(each["reconnections"] for each in seen),
        "catch_ups": len(catch_ups),
        "catch_up_p95_ms": pct(catch_ups, 95),
        "page_requests_during": len(page_ms),
        "page_p50_ms": pct(page_ms, 50),
        "page_p95_ms": pct(page_ms, 95),
        "page_max_ms": round(max(page_ms), 1) if page_ms else None,
        "page_errors": sum(1 for _ms, status in during if status != 200),
        "load_average": [round(value, 2) for value in load],
    }


def main():
    rounds = []
    with ThrowAwayDatabase():
        from django.db import connection

        counts = [int(n) for n in args.readers.split(",") if n.strip() and int(n)]
        consultation, authors, cookies = prepare(round(max([*counts, args.storm]) * args.signed_in))
        logs = Path(os.environ["TRIBUNE_VAR_DIR"]) / "live_e2e"
        logs.mkdir(parents=True, exist_ok=True)
        env = server_environment(database_url(connection.settings_dict), os.environ["REDIS_URL"])
        http = gunicorn(env, logs / "gunicorn.log", workers=args.workers).start()
        ws_servers = [
            uvicorn(env, logs / f"uvicorn-{n}.log").start() for n in range(args.asgi_processes)
        ]
        try:
            for readers in counts:
                figures = run_round(http, ws_servers, consultation, authors, cookies, readers)
                print(json.dumps(figures), flush=True)
                rounds.append(figures)
                time.sleep(3)  # the previous readers' connections wind down
            if args.storm:
                figures = run_storm(http, ws_servers, consultation, authors, cookies, args.storm)
                print(json.dumps(figures), flush=True)
                rounds.append(figures)
        finally:
            for ws in ws_servers:
                ws.stop()
            http.stop()
            from django.core.cache import cache

            cache.clear()  # the Redis database given to this run (sessions, catch-ups)
    print(json.dumps({"bench": "live_e2e", "rounds": rounds}))


if __name__ == "__main__":
    threading.current_thread().name = "live_e2e"
    main()
