"""Pages through the production server, beside a bare Django page, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune .venv/bin/python benchmarks/serve.py \\
        [--comments 100000] [--duration 20] [--connections 16]

gunicorn (2 sync workers, production settings: DEBUG off, PostgreSQL, a Redis of the
script's own) on a throw-away database with the demo loaded, plus a consultation of
--comments published comments (factories.bulk_thread, as benchmarks/thread.py). wrk
(`apt-get install wrk`) sends a browser's headers over --connections keep-alive
connections to, in turn: the bare page (/banc/nu/, one indexed query and 5 KB of
template, in the benchmark's own URLconf only), the big consultation read anonymously,
the home page, and the same consultation signed in. Each figure is requests per second
and its ratio to the bare page measured in the same run.

Targets: anonymous consultation and home ≥ 0.5 of the bare page, signed in ≥ 0.2.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup  # noqa: F401  (Django set up on a throw-away database)
from _setup import ThrowAwayDatabase

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.production import BROWSER_HEADERS, Browser, database_url, gunicorn, server_environment
from tests.redis_server import RedisServer

PASSWORD = "banc-tribune-2026"  # noqa: S105 (throw-away account)
TARGETS = {"consultation_anonymous": 0.5, "home_anonymous": 0.5, "consultation_signed_in": 0.2}
RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
TIMEOUTS = re.compile(r"Socket errors:.*timeout (\d+)")
TOTAL = re.compile(r"(\d+) requests in")
LATENCY_P50 = re.compile(r"50%\s+([\d.]+)(us|ms|s)")


def prepare(comments: int):
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    from cms.models import ConsultationIndexPage
    from tests import factories

    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    reader = factories.UserFactory(email="banc@exemple.test", display_name="Banc")
    reader.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    reader.save(update_fields=["password"])
    index = ConsultationIndexPage.objects.live().first()
    big = factories.consultation(index, title=f"Fil de {comments} commentaires", slug="grand-fil")
    started = time.perf_counter()
    # Authors only sign the comments: a cheap hash instead of production's 1M iterations.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        authors = [factories.UserFactory() for _ in range(60)]
    factories.bulk_thread(big, comments, authors)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return big.url, reader.email, round(time.perf_counter() - started, 1)


def collect_static(env: dict) -> None:
    """Production settings serve hashed static names from the manifest collectstatic
    writes; a fresh checkout has none yet."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=Path(__file__).resolve().parents[1],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
    )


def wrk(url: str, *, duration: int, connections: int, cookie: str = "") -> dict:
    headers = dict(BROWSER_HEADERS)
    if cookie:
        headers["Cookie"] = cookie
    # wrk's default 2 s timeout drops slower answers from its figures: 30 s keeps them.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    p50 = LATENCY_P50.search(output)
    unit = {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)] if p50 else 0
    return {
        "rps": float(RATE.search(output).group(1)),
        "requests": int(TOTAL.search(output).group(1)),
        "errors": int(NON_2XX.search(output).group(1)) if NON_2XX.search(output) else 0,
        "timeouts": int(TIMEOUTS.search(output).group(1)) if TIMEOUTS.search(output) else 0,
        "p50_ms": round(float(p50.group(1)) * unit, 1) if p50 else None,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk est absent : apt-get install wrk")
    with ThrowAwayDatabase() as vendor:
        from django.db import connection

        big_url, email, built_s = prepare(args.comments)
        redis = RedisServer().start()
        log_dir = Path(tempfile.mkdtemp(prefix="tribune-serve-"))
        env = server_environment(
            database_url(connection.settings_dict),
            redis.url,
            DJANGO_SETTINGS_MODULE="benchmarks.serve_settings",
        )
        collect_static(env)
        server = gunicorn(env, log_dir / "gunicorn.log", workers=2).start()
        try:
            browser = Browser(server.url)
            for path in ("/banc/nu/", big_url, "/", big_url, "/"):
                answer = browser.get(path)
                assert answer.status_code == 200, path
                print(path, answer.headers.get("X-Page-Cache"), file=sys.stderr)
            signed_in = Browser(server.url)
            assert signed_in.sign_in(email, PASSWORD).status_code == 302
            cookie = "; ".join(f"{c.name}={c.value}" for c in signed_in.session.cookies)
            assert "Banc" in signed_in.get(big_url).text  # really signed in
            pages = {
                "bare": ("/banc/nu/", ""),
                "consultation_anonymous": (big_url, ""),
                "home_anonymous": ("/", ""),
                "consultation_signed_in": (big_url, cookie),
            }
            figures = {}
            for name, (path, page_cookie) in pages.items():
                wrk(server.url + path, duration=3, connections=args.connections, cookie=page_cookie)
                figures[name] = wrk(
                    server.url + path,
                    duration=args.duration,
                    connections=args.connections,
                    cookie=page_cookie,
                )
                print(json.dumps({"page": name, **figures[name]}), flush=True)
        finally:
            server.stop()
            redis.close()
    bare_rps = figures["bare"]["rps"]
    ratios = {name: round(figures[name]["rps"] / bare_rps, 2) for name in TARGETS}
    print(
        json.dumps(
            {
                "bench": "serve",
                "db": vendor,
                "server": "gunicorn, 2 sync workers",
                "connections": args.connections,
                "duration_s": args.duration,
                "comments": args.comments,
                "built_s": built_s,
                "load_average": os.getloadavg()[0],
                "rps": {name: figure["rps"] for name, figure in figures.items()},
                "p50_ms": {name: figure["p50_ms"] for name, figure in figures.items()},
                "errors": {name: figure["errors"] for name, figure in figures.items()},
                "timeouts": {name: figure["timeouts"] for name, figure in figures.items()},
                "ratio_to_bare": ratios,
                "targets": TARGETS,
                "met": {name: ratios[name] >= target for name, target in TARGETS.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
