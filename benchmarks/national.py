"""The Grand Débat's size on one box: 2,000,000 contributions, measured over HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tribune_bench \\
        .venv/bin/python benchmarks/national.py [--scale 1] [--duration 10]

The 2019 Grand Débat national gathered 1,932,881 online contributions from 475,439
people. On a throw-away PostgreSQL database this builds, in bulk (COPY-free: the ORM's
bulk_create, as the services would leave every counter and path), `--scale` times:
500,000 accounts, 200 consultations, 1,200,000 comments (a third of them replies at
every depth; the biggest consultation holds 300,000), 500,000 supports and 300,000
ballots — 2,000,000 contributions — and prints how long that took.

Then, through nginx (deploy/nginx.conf.template) in front of gunicorn (2 sync workers,
production settings, a Redis of its own), with wrk sending a browser's headers, for
`--duration` seconds at 1 and at 16 connections:
the bare page (one indexed query, the ratio's yardstick, measured in the same run),
home, the consultation list, the biggest consultation (first and deep page of each
sort, a permalink to an old comment), search, the moderation queue and the dashboard
(a moderator's session with the second factor passed). In process: the privacy export
of the heaviest participant and `purge_expired_data --dry-run`. Each page's queries are
run again under EXPLAIN: a plan that reads a whole contributions table (comments,
supports, ballots) is listed. Last line: every figure, the targets and which are met.

At small `--scale` PostgreSQL rightly reads small tables whole, so the EXPLAIN check
means something at full size only.

Targets (2-core machine): public pages p95 < 100 ms at one client; the consultation at
16 clients ≥ 0.5 × the bare page; admin queues p95 < 200 ms; no whole-table scan.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The moderator's session is made here and read by the server: one secret for both.
os.environ.setdefault("DJANGO_SECRET_KEY", "national-benchmark-" + secrets.token_urlsafe(40))

import _setup  # noqa: F401  (Django set up on a throw-away database)
import requests
from _setup import ThrowAwayDatabase

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from serve import collect_static

from config import prod
from tests.production import (
    BROWSER_HEADERS,
    Server,
    database_url,
    free_port,
    gunicorn,
    server_environment,
)
from tests.redis_server import RedisServer

ACCOUNTS = 500_000
CONSULTATIONS = 200
COMMENTS = 1_200_000
BIGGEST = 300_000
SUPPORTS = 500_000
BALLOTS = 300_000
REPLY_SHARE = 0.33
HEAVY_AUTHORS = 10
BATCH = 5_000
CONTRIBUTION_TABLES = ("participation_comment", "participation_support", "participation_ballot")
TARGETS = {"public_p95_ms_1": 100, "consultation_ratio_16": 0.5, "admin_p95_ms_1": 200}

# wrk's own summary stops at p99 without p95: this script prints the three.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("PCT %d %d %d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99)))
end
"""


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build_accounts(count: int) -> list[int]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    unusable = make_password(None)
    made = 0
    while made < count:
        size = min(10_000, count - made)
        User.objects.bulk_create(
            User(
                email=f"participant{made + n}@national.test",
                display_name=f"Participant·e {made + n}",
                password=unusable,  # nobody signs in as them
            )
            for n in range(size)
        )
        made += size
        if made % 100_000 == 0 or made == count:
            progress(f"comptes : {made:,}/{count:,}")
    return list(User.objects.filter(email__endswith="@national.test").values_list("pk", flat=True))


def build_thread(consultation, size: int, supports: int, people: list[int], rng, next_id: int):
    """`size` published comments with about REPLY_SHARE replies at every depth, and
    `supports` supports spread over them, every counter and path as the services leave
    them. Rows are kept as plain lists and written in batches: the biggest thread would
    not fit in memory as model instances."""
    from participation.models import Comment, Support, ThreadStats
    from participation.models.comments import MAX_DEPTH, path_segment

    tops = max(1, round(size * (1 - REPLY_SHARE)))
    parent, root, depth, path, replies = [], [], [], [], [0] * size
    for n in range(size):
        pk = next_id + n
        if n < tops:
            parent.append(None)
            root.append(None)
            depth.append(0)
            path.append(path_segment(pk, False))
            continue
        # Most replies go to recent comments, as in a live discussion.
        p = rng.randrange(max(0, n - 2000), n) if rng.random() < 0.8 else rng.randrange(n)
        if depth[p] >= MAX_DEPTH - 1:
            p = parent[p] - next_id
        parent.append(next_id + p)
        root.append(root[p] or next_id + p)
        depth.append(depth[p] + 1)
        path.append(path[p] + path_segment(pk, False))
        ancestor = p
        while ancestor is not None:
            replies[ancestor] += 1
            ancestor = None if parent[ancestor] is None else parent[ancestor] - next_id

    def author(n: int) -> int:
        # One comment in a hundred is by one of the few most active people, so some
        # accounts hold thousands of contributions (the privacy export measured below).
        if n % 100 == 0:
            return people[(n // 100) % HEAVY_AUTHORS]
        return people[(n * 7919) % len(people)]

    supported: dict[int, set] = {}
    for _ in range(supports):
        n = rng.randrange(size)
        supported.setdefault(n, set()).add(rng.choice(people))
    for start in range(0, size, BATCH):
        rows = []
        for n in range(start, min(size, start + BATCH)):
            reply = parent[n] is not None
            rows.append(
                Comment(
                    pk=next_id + n,
                    consultation_id=consultation.pk,
                    author_id=author(n),
                    parent_id=parent[n],
                    root_id=root[n],
                    depth=depth[n],
                    path=path[n],
                    body=(
                        f"Réponse n° {n} : d'accord, surtout le soir et en hiver."
                        if reply
                        else f"Contribution n° {n} : plus de transports en commun et de "
                        "services publics près de chez nous."
                    ),
                    replies_count=replies[n],
                    supports_count=len(supported.get(n, ())),
                )
            )
        Comment.objects.bulk_create(rows)
    links = [
        Support(comment_id=next_id + n, user_id=user)
        for n, users in supported.items()
        for user in users
    ]
    for start in range(0, len(links), BATCH):
        Support.objects.bulk_create(links[start : start + BATCH])
    stats, _created = ThreadStats.objects.get_or_create(consultation_id=consultation.pk)
    stats.comments += size
    stats.save()
    return sum(len(users) for users in supported.values())


def build(scale: float) -> dict:
    from django.db import connection
    from django.db.models import Max
    from thread import add_ballots

    from accounts import roles
    from participation.models import Comment
    from tests import factories

    rng = random.Random(2019)
    started = time.perf_counter()
    roles.create_groups()
    _home, index, _news = factories.build_site()
    people = build_accounts(max(10, round(ACCOUNTS * scale)))
    sizes = [max(1, round(BIGGEST * scale))]
    rest = max(CONSULTATIONS - 1, round((COMMENTS - BIGGEST) * scale))
    sizes += [rest // (CONSULTATIONS - 1)] * (CONSULTATIONS - 1)
    total_comments = sum(sizes)
    support_total = ballot_total = 0
    consultations = []
    for number, size in enumerate(sizes):
        consultation = factories.consultation(
            index,
            title="Grand débat : la transition" if number == 0 else f"Consultation n° {number}",
            slug="grand-debat" if number == 0 else f"consultation-{number}",
        )
        consultations.append(consultation)
        next_id = (Comment.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        supports = round(SUPPORTS * scale * size / total_comments)
        support_total += build_thread(consultation, size, supports, people, rng, next_id)
        ballots = round(BALLOTS * scale * size / total_comments)
        if ballots:
            add_ballots(consultation, ballots)
            ballot_total += ballots
        if number % 20 == 0:
            progress(f"consultation {number + 1}/{len(sizes)} ({size:,} commentaires)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('participation_comment', 'id'), "
            "(SELECT MAX(id) FROM participation_comment))"
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT pg_database_size(current_database())")
        size_bytes = cursor.fetchone()[0]
    return {
        "accounts": len(people),
        "consultations": len(sizes),
        "comments": total_comments,
        "biggest_thread": sizes[0],
        "supports": support_total,
        "ballots": ballot_total,
        "contributions": total_comments + support_total + ballot_total,
        "built_s": round(time.perf_counter() - started, 1),
        "database_mb": round(size_bytes / 2**20),
        "biggest": consultations[0],
    }


def nginx_in_front(server, env: dict, log_dir: Path) -> Server:
    """The production topology's front: deploy/nginx.conf.template rendered for this
    gunicorn (static files from disk, everything else proxied), as `make prod` runs it."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        sys.exit("nginx est absent : apt-get install nginx")
    port = free_port()
    site = prod.render_site(
        listen=f"127.0.0.1:{port}",
        server_name="127.0.0.1 localhost",
        var_dir=Path(env["TRIBUNE_VAR_DIR"]),
        gunicorn=f"127.0.0.1:{server.port}",
        uvicorn=[f"127.0.0.1:{server.port}"] * 2,  # no WebSocket is measured here
    )
    conf = log_dir / "nginx.conf"
    conf.write_text(prod.render_main(site, log_dir))
    command = [binary, "-e", "stderr", "-c", str(conf), "-p", str(log_dir)]
    return Server("nginx", command, port, env, log_dir / "nginx.log").start()


def staff_session(user) -> str:
    """A moderator's session with the second factor passed, as the sign-in leaves it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts import permissions as account_permissions

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[account_permissions.SESSION_KEY] = {"user": str(user.pk)}
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def pages(biggest) -> dict[str, str]:
    from thread import deep_cursor

    from cms.models import ConsultationIndexPage
    from participation.models import Comment
    from participation.queries import comments as queries

    old = (
        Comment.objects.filter(consultation=biggest, depth__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    found = {
        "bare": "/banc/nu/",
        "home": "/",
        "consultation_list": ConsultationIndexPage.objects.live().first().url,
        "search": "/recherche/?q=transition",
        "permalink_old_comment": f"{biggest.url}?commentaire={old}",
    }
    for slug in queries.SORTS:
        found[f"consultation_{slug}_first"] = f"{biggest.url}?tri={slug}"
        found[f"consultation_{slug}_deep"] = (
            f"{biggest.url}?tri={slug}&apres={deep_cursor(biggest, slug)}"
        )
    found["consultation"] = biggest.url
    return found


ADMIN_PAGES = {"moderation_queue": "/admin/moderation/", "dashboard": "/admin/participation/"}


def wrk(url: str, connections: int, duration: int, cookie: str = "") -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t1" if connections == 1 else "-t2", f"-c{connections}",
               f"-d{duration}s", "--timeout", "30s", "-s", str(script)]  # fmt: skip
    for name, value in {**BROWSER_HEADERS, **({"Cookie": cookie} if cookie else {})}.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 90
    ).stdout
    script.unlink()
    figures = {"rps": None, "p50_ms": None, "p95_ms": None, "p99_ms": None, "non_2xx": 0}
    for line in output.splitlines():
        if line.startswith("PCT "):
            p50, p95, p99 = (int(value) / 1000 for value in line.split()[1:])
            figures.update(p50_ms=round(p50, 1), p95_ms=round(p95, 1), p99_ms=round(p99, 1))
        elif line.startswith("Requests/sec:"):
            figures["rps"] = float(line.split()[1])
        elif "Non-2xx or 3xx responses" in line:
            figures["non_2xx"] = int(line.split()[-1])
    return figures


def full_scans(paths: dict, staff) -> dict[str, list[str]]:
    """Each page's queries run again under EXPLAIN; the contributions tables that a plan
    reads whole, per page."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts import permissions as account_permissions

    found = {}
    anonymous, moderator = Client(headers=BROWSER_HEADERS), Client(headers=BROWSER_HEADERS)
    moderator.force_login(staff)
    session = moderator.session
    session[account_permissions.SESSION_KEY] = {"user": str(staff.pk)}
    session.save()
    clients = {"anonymous": anonymous, "staff": moderator}
    for name, (who, path) in paths.items():
        with CaptureQueriesContext(connection) as captured:
            answer = clients[who].get(path)
        assert answer.status_code == 200, (name, answer.status_code)
        scans = set()
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
                scans |= seq_scans(plan[0]["Plan"] if isinstance(plan, list) else plan)
        found[name] = sorted(scans & set(CONTRIBUTION_TABLES))
    return found


def seq_scans(node: dict) -> set[str]:
    found = {node["Relation Name"]} if node.get("Node Type") == "Seq Scan" else set()
    for child in node.get("Plans", []):
        found |= seq_scans(child)
    return found


def in_process(staff) -> dict:
    from django.core.management import call_command
    from django.db.models import Count

    from accounts.models import User
    from consent.services.exports import build_zip
    from participation.models import Comment

    top = Comment.objects.values("author_id").annotate(n=Count("id")).order_by("-n").first()
    heavy = User.objects.get(pk=top["author_id"])
    heavy.n = top["n"]
    started = time.perf_counter()
    archive = build_zip(heavy)
    export_s = time.perf_counter() - started
    started = time.perf_counter()
    call_command("purge_expired_data", "--dry-run", stdout=open(os.devnull, "w"))  # noqa: SIM115
    purge_s = time.perf_counter() - started
    return {
        "export_heavy_user_s": round(export_s, 2),
        "export_bytes": len(archive),
        "heavy_user_comments": heavy.n,
        "purge_dry_run_s": round(purge_s, 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("national.py mesure PostgreSQL : définissez DATABASE_URL=postgres://…")
    with ThrowAwayDatabase():
        from django.db import connection

        from accounts import roles
        from tests import factories

        built = build(args.scale)
        biggest = built.pop("biggest")
        progress(f"construit : {json.dumps(built)}")
        staff = factories.UserFactory(role=roles.MODERATORS, is_staff=True)
        public = pages(biggest)
        redis = RedisServer().start()
        env = server_environment(
            database_url(connection.settings_dict),
            redis.url,
            DJANGO_SETTINGS_MODULE="benchmarks.serve_settings",
        )
        collect_static(env)
        log_dir = Path(tempfile.mkdtemp(prefix="tribune-national-"))
        server = gunicorn(env, log_dir / "gunicorn.log", workers=2).start()
        proxy = nginx_in_front(server, env, log_dir)
        figures = {}
        try:
            cookie = staff_session(staff)
            measured = [(name, path, "") for name, path in public.items()]
            measured += [(name, path, cookie) for name, path in ADMIN_PAGES.items()]
            for name, path, page_cookie in measured:
                # What wrk will time is the page itself: not a sign-in form, not an error.
                answer = requests.get(
                    proxy.url + path,
                    headers={**BROWSER_HEADERS, **({"Cookie": page_cookie} if page_cookie else {})},
                    allow_redirects=False,
                    timeout=60,
                )
                assert answer.status_code == 200, (name, answer.status_code)
                assert 'name="password"' not in answer.text, name
                figures[name] = {"bytes": len(answer.content)}
                for connections in (1, 16):
                    wrk(proxy.url + path, connections, 2, page_cookie)  # warm
                    figures[name][str(connections)] = wrk(
                        proxy.url + path, connections, args.duration, page_cookie
                    )
                progress(f"{name} : {json.dumps(figures[name])}")
        finally:
            proxy.stop()
            server.stop()
            redis.close()
        explained = full_scans(
            {
                **{name: ("anonymous", path) for name, path in public.items() if name != "bare"},
                **{name: ("staff", path) for name, path in ADMIN_PAGES.items()},
            },
            staff,
        )
        extra = in_process(staff)
    bare = figures["bare"]["16"]["rps"]
    public_names = [name for name in public if name != "bare"]
    worst_public = max(figures[name]["1"]["p95_ms"] for name in public_names)
    worst_admin = max(figures[name]["1"]["p95_ms"] for name in ADMIN_PAGES)
    ratio = round(figures["consultation"]["16"]["rps"] / bare, 2)
    scanned = {name: tables for name, tables in explained.items() if tables}
    print(
        json.dumps(
            {
                "bench": "national",
                "db": "postgresql",
                "server": "nginx → gunicorn, 2 sync workers",
                "scale": args.scale,
                "duration_s": args.duration,
                **built,
                "pages": figures,
                **extra,
                "full_scans": scanned,
                "load_average": os.getloadavg()[0],
                "worst_public_p95_ms_1": worst_public,
                "worst_admin_p95_ms_1": worst_admin,
                "consultation_ratio_16": ratio,
                "targets": TARGETS,
                "met": {
                    "public_p95_ms_1": worst_public < TARGETS["public_p95_ms_1"],
                    "consultation_ratio_16": ratio >= TARGETS["consultation_ratio_16"],
                    "admin_p95_ms_1": worst_admin < TARGETS["admin_p95_ms_1"],
                    "no_full_scan": not scanned,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
