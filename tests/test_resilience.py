"""When a part fails, Tribune keeps serving: the production servers (gunicorn for HTTP,
uvicorn for /ws/) on the test database and a Redis of the test's own, which the tests
stop, freeze and start again; PostgreSQL connections terminated under them. Each step
checks what the person sees and that nothing written is lost.

Runs in the production-like half of .ci/run (PostgreSQL + Redis): the server processes
share the test database through DATABASE_URL, and the database faults are PostgreSQL's
own (pg_terminate_backend, ALLOW_CONNECTIONS).
"""

import asyncio
import json
import re
import threading
import time
import uuid
from html import unescape

import pytest
from django.conf import settings

from tests import factories
from tests.production import Browser, database_url, gunicorn, server_environment, uvicorn
from tests.redis_server import RedisServer

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL (the production-like half of .ci/run): servers share its database",
)

PASSWORD = "demo-tribune-2026"
# Accounts of this module's own: the browser tests that run after it on the same
# database find the demo citizens' threads, ballots and rate limits as the demo left them.
CITIZEN = "panne-citoyenne@exemple.test"
OTHER_CITIZEN = "panne-citoyen@exemple.test"
MODERATOR = "moderation@demo.tribune.test"
FRESH_CITIZEN = "panne-moderation@exemple.test"
PRE_MODERATED = "/consultations/budget-participatif-tilleuls/"
CONSULTATION = "/consultations/plan-velo-2027/"
SIGNED_IN = "Se déconnecter"
SERVERS = "tribune-fault-servers"
OUTAGE_PAGE = "Service momentanément indisponible"
SLOW_DOWN = "Vous allez un peu vite"


@pytest.fixture(scope="module")
def demo(committed_database, django_db_blocker):
    """The demo site, committed for the server processes (the browser tests that run
    after this module load the same one, idempotently)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from accounts.models import User

    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
        # The tests hash with MD5 for speed; the servers know only the production hashers.
        for email in (CITIZEN, OTHER_CITIZEN, FRESH_CITIZEN):
            if not User.objects.filter(email=email).exists():
                factories.UserFactory(email=email)
        User.objects.filter(email__in=(CITIZEN, OTHER_CITIZEN, MODERATOR, FRESH_CITIZEN)).update(
            password=make_password(PASSWORD, hasher="pbkdf2_sha256")
        )
    yield


@pytest.fixture(scope="module")
def own_redis():
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def servers(demo, own_redis, tmp_path_factory, django_db_blocker):
    from django.db import connection

    env = server_environment(
        # Named, so their connections can be told from the other tests' ones.
        database_url(connection.settings_dict) + f"?application_name={SERVERS}",
        own_redis.url,
        TRIBUNE_REDIS_RETRY_SECONDS=1,
        DATABASE_POOL_TIMEOUT=3,
        DATABASE_POOL_MAX=4,
    )
    logs = tmp_path_factory.mktemp("servers")
    http = gunicorn(env, logs / "gunicorn.log").start()
    ws = uvicorn(env, logs / "uvicorn.log").start()
    warm = Browser(http.url)
    for _ in range(4):  # each worker loads its templates once
        warm.get("/")
    try:
        yield http, ws
    finally:
        http.stop()
        ws.stop()
        with django_db_blocker.unblock():
            _terminate_backends()


@pytest.fixture
def redis_up(own_redis):
    """Each test starts with the Redis running (a failed test may have left it out)."""
    if own_redis.process is None:
        own_redis.start()
    own_redis.thaw()
    yield own_redis
    if own_redis.process is None:
        own_redis.start()
    own_redis.thaw()


def _terminate_backends() -> int:
    """Every connection to the test database but this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _backends() -> int:
    """The servers' connections (this process's own threads may hold others)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [SERVERS],
        )
        return cursor.fetchone()[0]


def orm(django_db_blocker, function, *args):
    with django_db_blocker.unblock():
        return function(*args)


def comment_form(page_html: str) -> str:
    return re.search(r'action="(/participation/consultations/\d+/commenter/)"', page_html).group(1)


def ballot(page_html: str) -> tuple[str, dict]:
    """The poll's form address and one answer to each question."""
    form = re.search(
        r'<form method="post" action="(/participation/sondages/\d+/vote/)".*?</form>',
        page_html,
        re.S,
    )
    answers = {}
    for tag in re.findall(r"<input[^>]+>", form.group(0)):
        name = re.search(r'name="(q\d+)"', tag)
        value = re.search(r'value="(\d+)"', tag)
        if name and value and name.group(1) not in answers:
            answers[name.group(1)] = value.group(1)
    for name in re.findall(r'<textarea[^>]+name="(q\d+)"', form.group(0)):
        answers[name] = "Une réponse libre"
    return form.group(1), answers


def wait_until(condition, seconds: float = 20, step: float = 0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def redis_back(browser: Browser) -> bool:
    """/health/ says ok again (the breaker's retry is 1 s for these servers)."""
    return wait_until(lambda: browser.get("/health/").json()["status"] == "ok")


def test_browsing_and_writing_go_on_while_redis_is_stopped_and_resume_after(
    servers, redis_up, django_db_blocker
):
    from participation.models import Ballot, Comment, LiveEvent, Poll, Report, Support

    http, _ws = servers
    alice, bob = Browser(http.url), Browser(http.url)
    assert alice.sign_in(CITIZEN, PASSWORD).status_code == 302
    assert bob.sign_in(OTHER_CITIZEN, PASSWORD).status_code == 302
    page = alice.get(CONSULTATION)
    assert page.status_code == 200 and SIGNED_IN in page.text
    action = comment_form(page.text)
    marker = uuid.uuid4().hex[:8]
    before = alice.post(action, {"body": f"Avant la panne {marker}"}, referer=CONSULTATION)
    assert before.status_code == 302
    poll_id = int(re.search(r"/sondages/(\d+)/", ballot(bob.get(CONSULTATION).text)[0]).group(1))
    voters_before = orm(django_db_blocker, lambda: Ballot.objects.filter(poll_id=poll_id).count())

    redis_up.stop()

    # Every public page renders, and both people are still signed in.
    for path in ("/", "/consultations/", CONSULTATION, "/recherche/?q=v%C3%A9lo"):
        response = alice.get(path)
        assert response.status_code == 200, path
        assert SIGNED_IN in response.text, path
    assert SIGNED_IN in bob.get(CONSULTATION).text
    health = alice.get("/health/")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["services"]["cache"] == "down"

    # A comment posted during the outage is published and journalled for live readers.
    during = alice.post(action, {"body": f"Pendant la panne {marker}"}, referer=CONSULTATION)
    assert during.status_code == 302
    assert f"Pendant la panne {marker}" in alice.get(CONSULTATION).text
    comment = orm(django_db_blocker, lambda: Comment.objects.get(body=f"Pendant la panne {marker}"))
    journalled = orm(
        django_db_blocker,
        lambda: LiveEvent.objects.filter(type="comment.created", data__id=comment.pk).count(),
    )
    assert journalled == 1

    # A vote, a support and a report during the outage are stored.
    vote_action, answers = ballot(bob.get(CONSULTATION).text)
    assert bob.post(vote_action, answers, referer=CONSULTATION).status_code == 302
    support = bob.post(
        f"/participation/commentaires/{comment.pk}/soutenir/", {}, referer=CONSULTATION
    )
    assert support.status_code == 302
    report = bob.post(
        f"/participation/commentaires/{comment.pk}/signaler/",
        {"reason": "off_topic", "details": ""},
        referer=CONSULTATION,
    )
    assert report.status_code == 302, report.text[:500]
    assert orm(django_db_blocker, lambda: Support.objects.filter(comment=comment).count()) == 1
    assert orm(django_db_blocker, lambda: Report.objects.filter(comment=comment).count()) == 1

    # Rate limits count per process instead of refusing everyone: some of a burst pass,
    # the rest get the French message, none is lost or a server error.
    statuses = []
    for number in range(14):
        response = alice.post(action, {"body": f"Rafale {marker} {number}"}, referer=CONSULTATION)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert SLOW_DOWN in unescape(response.text)
    assert set(statuses) <= {302, 429}, statuses
    assert 429 in statuses and 302 in statuses
    stored = orm(
        django_db_blocker,
        lambda: Comment.objects.filter(body__startswith=f"Rafale {marker}").count(),
    )
    assert stored == statuses.count(302)

    redis_up.start()  # back, its memory empty
    assert redis_back(alice)
    page = alice.get(CONSULTATION)
    assert SIGNED_IN in page.text  # the session cookie from before the outage
    assert SIGNED_IN in bob.get(CONSULTATION).text
    # Each comment once (read by a visitor: its author also has it in an edit form), the
    # tally exact.
    html = Browser(http.url).get(CONSULTATION).text
    assert html.count(f"Avant la panne {marker}") == 1
    assert html.count(f"Pendant la panne {marker}") == 1
    assert orm(django_db_blocker, lambda: Ballot.objects.filter(poll_id=poll_id).count()) == (
        voters_before + 1
    )

    def tally_matches_ballots():
        from participation.queries import polls as poll_queries

        poll = Poll.objects.get(pk=poll_id)
        return poll_queries.results([poll])[poll_id].participants == poll.ballots.count()

    assert orm(django_db_blocker, tally_matches_ballots)


def test_the_admin_and_moderation_work_while_redis_is_stopped(servers, redis_up, django_db_blocker):
    from participation.demo import DEMO_TOTP_SECRET
    from participation.models import Comment, LiveEvent

    http, _ws = servers
    moderator, citizen = Browser(http.url), Browser(http.url)
    assert moderator.sign_in_with_code(MODERATOR, PASSWORD, DEMO_TOTP_SECRET)
    assert moderator.get("/admin/").status_code == 200
    assert citizen.sign_in(FRESH_CITIZEN, PASSWORD).status_code == 302
    action = comment_form(citizen.get(PRE_MODERATED).text)
    marker = uuid.uuid4().hex[:8]

    redis_up.stop()

    # Posted on a pre-moderated consultation: waits for a moderator.
    body = f"À modérer pendant la panne {marker}"
    assert citizen.post(action, {"body": body}, referer=PRE_MODERATED).status_code == 302
    comment = orm(django_db_blocker, lambda: Comment.objects.get(body=body))
    assert comment.state == "pending"
    for path in ("/admin/", "/admin/moderation/"):
        page = moderator.get(path)
        assert page.status_code == 200, path
    assert body in moderator.get("/admin/moderation/").text
    decided = moderator.post(
        f"/admin/moderation/commentaires/{comment.pk}/action/",
        {"action": "publish"},
        referer="/admin/moderation/",
    )
    assert decided.status_code == 302
    comment = orm(django_db_blocker, lambda: Comment.objects.get(pk=comment.pk))
    assert comment.state == "published"
    assert body in Browser(http.url).get(PRE_MODERATED).text
    journalled = orm(
        django_db_blocker,
        lambda: LiveEvent.objects.filter(type="comment.created", data__id=comment.pk).count(),
    )
    assert journalled == 1

    redis_up.start()
    assert redis_back(moderator)
    assert moderator.get("/admin/moderation/").status_code == 200  # still signed in


def test_redis_back_with_its_memory_never_brings_back_a_signed_out_session(
    servers, redis_up, django_db_blocker
):
    http, _ws = servers
    person = Browser(http.url)
    assert person.sign_in(CITIZEN, PASSWORD).status_code == 302
    assert SIGNED_IN in person.get(CONSULTATION).text  # the session is now in Redis
    old_cookie = person.session_cookie

    redis_up.freeze()  # unreachable, its memory kept: a network cut
    assert person.post("/compte/deconnexion/", {}, referer=CONSULTATION).status_code == 302
    assert SIGNED_IN not in person.get(CONSULTATION).text
    redis_up.thaw()
    assert redis_back(person)
    # The worker that signed the person out deletes the session from Redis within its
    # retry delay (1 s here), even if it serves nothing meanwhile.
    time.sleep(2.5)

    # Someone replaying the cookie of the closed session is not signed in.
    replay = Browser(http.url)
    replay.session.cookies.set("sessionid", old_cookie)
    page = replay.get(CONSULTATION)
    assert page.status_code == 200
    assert SIGNED_IN not in page.text


def test_health_called_a_thousand_times_holds_no_connection(servers, redis_up, django_db_blocker):
    http, _ws = servers
    probe = Browser(http.url)
    answers = [probe.get("/health/") for _ in range(1000)]
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["status"] for answer in answers} == {"ok"}
    # Pages still served, and the servers hold no more connections than their pools.
    for path in ("/", CONSULTATION, "/consultations/"):
        assert probe.get(path).status_code == 200
    # 2 gunicorn workers and one uvicorn, DATABASE_POOL_MAX=4 each.
    assert 1 <= orm(django_db_blocker, _backends) <= 3 * 4


def test_postgres_connections_terminated_mid_request_lose_nothing_acknowledged(
    servers, redis_up, django_db_blocker
):
    from participation.models import Comment

    http, _ws = servers
    marker = uuid.uuid4().hex[:8]
    writers = [Browser(http.url), Browser(http.url)]
    for writer, email in zip(writers, (CITIZEN, OTHER_CITIZEN), strict=True):
        assert writer.sign_in(email, PASSWORD).status_code == 302
    action = comment_form(writers[0].get(CONSULTATION).text)
    results, stop = [], threading.Event()

    def traffic(writer, name):
        number = 0
        while not stop.is_set():
            number += 1
            body = f"Coupure {marker} {name} {number}"
            response = writer.post(action, {"body": body}, referer=CONSULTATION)
            results.append(("post", body, response.status_code, response.text))
            page = writer.get(CONSULTATION)
            results.append(("get", CONSULTATION, page.status_code, page.text))
            time.sleep(0.9)  # under the 5 comments a minute... for most of the run

    threads = [
        threading.Thread(target=traffic, args=(writer, name))
        for writer, name in zip(writers, "ab", strict=True)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    killed = [orm(django_db_blocker, _terminate_backends)]
    time.sleep(1.5)
    killed.append(orm(django_db_blocker, _terminate_backends))
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(killed) > 0  # the servers' connections were really cut

    for kind, _what, status, text in results:
        if status == 503:
            assert OUTAGE_PAGE in unescape(text)  # a clear French page, no trace
        else:
            assert status in ({302, 429} if kind == "post" else {200}), (kind, status)
    acknowledged = {
        body for kind, body, status, _text in results if kind == "post" and status == 302
    }
    stored = set(
        orm(
            django_db_blocker,
            lambda: list(
                Comment.objects.filter(body__startswith=f"Coupure {marker}").values_list(
                    "body", flat=True
                )
            ),
        )
    )
    assert acknowledged <= stored
    # Served again without a restart.
    assert writers[0].get(CONSULTATION).status_code == 200


def test_postgres_unreachable_gives_a_french_503_then_recovers_without_restart(
    servers, redis_up, django_db_blocker
):
    from django.db import connection

    http, _ws = servers
    visitor = Browser(http.url)
    assert visitor.get(CONSULTATION).status_code == 200
    name = connection.settings_dict["NAME"]

    def refuse(allow: bool):
        import psycopg

        params = connection.settings_dict
        # From another database: PostgreSQL refuses this on the current one.
        with psycopg.connect(
            dbname="postgres",
            host=params.get("HOST") or "127.0.0.1",
            port=params.get("PORT") or 5432,
            user=params.get("USER") or "postgres",
            password=params.get("PASSWORD") or None,
            autocommit=True,
        ) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')

    with django_db_blocker.unblock():
        refuse(False)
        try:
            _terminate_backends()
            page = visitor.get(CONSULTATION)
            assert page.status_code == 503
            assert OUTAGE_PAGE in unescape(page.text)
            assert "Traceback" not in page.text
            health = visitor.get("/health/")
            assert health.status_code == 503
            assert health.json()["services"]["database"] == "down"
        finally:
            refuse(True)
    # Every worker has its own pool: ten pages in a row reach both of them.
    assert wait_until(
        lambda: all(visitor.get(CONSULTATION).status_code == 200 for _ in range(10)), seconds=30
    )
    assert wait_until(lambda: visitor.get("/health/").json()["services"]["database"] == "up")


def test_a_live_reader_across_the_outage_catches_up_each_comment_once(
    servers, redis_up, django_db_blocker
):
    import websockets

    from participation.models import ConsultationPage

    http, ws = servers
    consultation_id = orm(
        django_db_blocker, lambda: ConsultationPage.objects.get(slug="plan-velo-2027").pk
    )
    writer = Browser(http.url)
    assert writer.sign_in(CITIZEN, PASSWORD).status_code == 302
    action = comment_form(writer.get(CONSULTATION).text)
    marker = uuid.uuid4().hex[:8]
    reader = Browser(http.url)
    live = f"/participation/consultations/{consultation_id}/direct/"
    cursor = reader.get(f"{live}?after=t{int(time.time() * 1000)}").json()["cursor"]
    url = f"ws://127.0.0.1:{ws.port}/ws/consultations/{consultation_id}/"
    origin = f"http://127.0.0.1:{ws.port}"

    async def scenario():
        seen = []
        async with websockets.connect(url, origin=origin) as socket:
            await asyncio.sleep(1.5)  # subscribed, heartbeats going
            await asyncio.to_thread(redis_up.stop)
            # The process stops hearing the layer and lets its reader go to poll.
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    seen.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
            assert closed.value.rcvd.code == 1013
        # Written during the outage: the page polls the catch-up endpoint meanwhile.
        status = await asyncio.to_thread(
            lambda: writer.post(action, {"body": f"En direct {marker}"}, referer=CONSULTATION)
        )
        assert status.status_code == 302
        with pytest.raises(websockets.InvalidStatus):  # handshakes refused while out
            async with websockets.connect(url, origin=origin):
                pass
        await asyncio.to_thread(redis_up.start)
        # Reconnects once the layer is heard again, then catches up from its cursor.
        for _attempt in range(40):
            try:
                async with websockets.connect(url, origin=origin) as socket:
                    return seen
            except websockets.InvalidStatus:
                await asyncio.sleep(0.5)
        raise AssertionError("the live stream did not come back after Redis returned")

    asyncio.run(scenario())
    answer = reader.get(
        f"/participation/consultations/{consultation_id}/direct/?after={cursor}"
    ).json()
    created = [
        event
        for event in answer["events"]
        if event["type"] == "comment.created" and event["body"] == f"En direct {marker}"
    ]
    assert len(created) == 1
    assert f"En direct {marker}" in created[0]["html"]  # its card, as its frame had it
    again = reader.get(
        f"/participation/consultations/{consultation_id}/direct/?after={answer['cursor']}"
    ).json()
    assert not [e for e in again["events"] if e.get("id") == created[0]["id"]]
