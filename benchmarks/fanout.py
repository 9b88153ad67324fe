"""Fan-out of live updates: N WebSocket readers on one server process, Redis layer.

    .venv/bin/python benchmarks/fanout.py [--clients 100,1000,2000] [--comments 100]
        [--rate 20] [--redis redis://127.0.0.1:6379/14]

One uvicorn process (websockets-sansio, as `make run`) serves /ws/ with the Redis
pub/sub channel layer. For each client count, that many `websockets` clients connect
to one consultation; then `--comments` comments are posted through
services.post_comment (journal, broadcast on commit), `--rate` per second — a national
consultation's peak (DESIGN.md). Each reader notes when each comment arrives.

Prints, per round: delivery latency p50/p95/p99 (from just before the service call to
the frame's arrival at the reader), messages lost (expected − received, after a 15 s
grace period), and the server's resident memory per connection. The readers run in
`--reader-processes` processes of their own, on the same machine: their parsing
competes with the server for the CPUs, so the figures are an upper bound.
Last line: every round.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--clients", default="100,1000,2000")
parser.add_argument("--comments", type=int, default=100)
parser.add_argument("--rate", type=float, default=20.0, help="comments per second")
parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))
parser.add_argument("--reader-processes", type=int, default=2)
args = parser.parse_args()

ROOT = Path(__file__).resolve().parents[1]
os.environ["REDIS_URL"] = args.redis
os.environ["CHANNELS_PREFIX"] = f"fanout{os.getpid()}"
# A directory of its own for the throw-away SQLite database, removed at the end.
SCRATCH = tempfile.mkdtemp(prefix="tribune-fanout-")
os.environ["TRIBUNE_VAR_DIR"] = SCRATCH

import asyncio
import multiprocessing
import shutil
import socket
import subprocess
import threading
import time

from _setup import ThrowAwayDatabase, percentile
from django.conf import settings
from django.db import connection

from accounts import roles
from participation.services import comments as services
from tests import factories


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{params['NAME']}"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "fanout-benchmark-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "SMTP_HOST": "127.0.0.1",
        "LOG_LEVEL": os.environ.get("FANOUT_SERVER_LOG_LEVEL", "WARNING"),
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(port),
            "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def reader_process(url, origin, count, expected, ready, go, results):
    """`count` readers in this process; sends back every (comment number, arrival)."""
    import gc

    import websockets

    # Forked from a process that loaded Django: a browser does not carry that heap, so
    # the collector must not walk it in the middle of a broadcast either.
    gc.freeze()

    async def one(arrivals, opened):
        async with websockets.connect(
            url, origin=origin, compression=None, open_timeout=60, ping_interval=None
        ) as socket_:
            opened.append(1)
            mine = []
            arrivals.append(mine)
            try:
                while True:
                    frame = await socket_.recv()
                    now = time.time()
                    message = json.loads(frame)
                    # Frames that piled up while the server was busy come as one batch.
                    for event in message.get("events", [message]):
                        body = event.get("body", "")
                        if body.startswith("fanout "):
                            mine.append((int(body.split()[1]), now))
                    if len(mine) >= expected:
                        return
            except (websockets.ConnectionClosed, asyncio.CancelledError):
                return

    async def main():
        arrivals, opened = [], []
        tasks = []
        for n in range(count):
            tasks.append(asyncio.create_task(one(arrivals, opened)))
            if n % 50 == 49:
                await asyncio.sleep(0.05)  # do not storm the server's accept queue
        while len(opened) < count:
            await asyncio.sleep(0.05)
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        started_cpu = time.process_time()
        _done, pending = await asyncio.wait(tasks, timeout=args_grace + expected / 1.0)
        for task in pending:
            task.cancel()
        return arrivals, time.process_time() - started_cpu

    args_grace = 15
    results.put(asyncio.run(main()))


def run_round(port, server, consultation, authors, clients) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/consultations/{consultation.pk}/"
    origin = f"http://127.0.0.1:{port}"
    # One connection first: the server's first one loads the consumers' code.
    from websockets.sync.client import connect

    with connect(url, origin=origin, compression=None):
        pass
    time.sleep(0.5)
    before = rss_kib(server.pid)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    go = context.Event()
    workers, readies = [], []
    share = [clients // args.reader_processes] * args.reader_processes
    share[0] += clients - sum(share)
    for count in share:
        ready = context.Event()
        worker = context.Process(
            target=reader_process,
            args=(url, origin, count, args.comments, ready, go, results),
        )
        worker.start()
        workers.append(worker)
        readies.append(ready)
    for ready in readies:
        if not ready.wait(timeout=180):
            raise RuntimeError("readers could not all connect")
    time.sleep(1)
    connected_rss = rss_kib(server.pid)
    sent = {}
    server_cpu = cpu_seconds(server.pid)
    go.set()
    interval = 1 / args.rate
    start = time.monotonic()
    for n in range(args.comments):
        target = start + n * interval
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent[n] = time.time()
        services.post_comment(
            author=authors[n % len(authors)], consultation=consultation, body=f"fanout {n}"
        )
    posting_s = time.monotonic() - start
    arrivals, readers_cpu = [], 0.0
    for _worker in workers:
        received_by_worker, cpu = results.get(timeout=300)
        arrivals.extend(received_by_worker)
        readers_cpu += cpu
    server_cpu = cpu_seconds(server.pid) - server_cpu
    for worker in workers:
        worker.join(timeout=30)
    latencies = [
        (arrived - sent[number]) * 1000 for reader in arrivals for number, arrived in reader
    ]
    received = sum(len(reader) for reader in arrivals)
    expected = clients * args.comments
    return {
        "bench": "fanout",
        "clients": clients,
        "comments": args.comments,
        "rate_per_s": args.rate,
        "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
        "db": connection.vendor,
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "received": received,
        "lost": expected - received,
        "kib_per_connection": round((connected_rss - before) / clients, 1),
        "server_rss_mib": round(connected_rss / 1024, 1),
        # CPU seconds while the comments were posted and delivered: the server process
        # and the reader processes share the machine's cores.
        "posting_s": round(posting_s, 2),
        "server_cpu_s": round(server_cpu, 2),
        "readers_cpu_s": round(readers_cpu, 2),
    }


def main():
    rounds = []
    with ThrowAwayDatabase():
        settings.TRIBUNE_RATE_LIMITS = {**settings.TRIBUNE_RATE_LIMITS, "comment": (10**6, 60)}
        roles.create_groups()
        _home, index, _news = factories.build_site()
        consultation = factories.consultation(index, title="Fan-out")
        authors = [factories.UserFactory() for _ in range(10)]
        port = free_port()
        server = start_server(port)
        try:
            for clients in [int(n) for n in args.clients.split(",")]:
                figures = run_round(port, server, consultation, authors, clients)
                print(json.dumps(figures), flush=True)
                rounds.append(figures)
                time.sleep(2)  # the previous readers' connections wind down
        finally:
            server.terminate()
            server.wait(timeout=10)
    # After the throw-away database is dropped: it lives in SCRATCH.
    shutil.rmtree(SCRATCH, ignore_errors=True)
    print(json.dumps({"bench": "fanout", "rounds": rounds}))


if __name__ == "__main__":
    threading.current_thread().name = "fanout"
    main()
