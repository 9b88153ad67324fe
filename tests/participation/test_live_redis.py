"""Across server processes, on the real Redis: two ASGI servers on two loopback ports;
a comment posted through one reaches a WebSocket reader connected to the other.

Runs in the production-like configuration (REDIS_URL and DATABASE_URL set, as the
second half of .ci/run does): the server processes need the channel layer and the
test database that this process uses.
"""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests import factories

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (settings.REDIS_URL and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")),
    reason="needs REDIS_URL and PostgreSQL (the production-like half of .ci/run)",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    from django.db import connection

    params = connection.settings_dict
    user = urllib.parse.quote(params.get("USER") or "postgres")
    password = params.get("PASSWORD") or ""
    credentials = f"{user}:{urllib.parse.quote(password)}" if password else user
    host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{params['NAME']}"


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url()}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode(errors="replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


@pytest.fixture
def two_servers():
    ports = free_port(), free_port()
    processes = [start_server(port) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_for(port, process)
        yield ports, processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def post_comment(port: int, consultation_id: int, session: str, body: str) -> int:
    """The form post a browser makes, through server `port`."""
    token = secrets.token_hex(16)  # a 32-character CSRF secret, as the cookie holds
    data = urllib.parse.urlencode({"body": body, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/participation/consultations/{consultation_id}/commenter/",
        data=data,
        headers={
            "Cookie": f"sessionid={session}; csrftoken={token}",
            "Content-Type": "application/x-www-form-urlencoded",
            # The in-place answer (enhance.js): this page has no site, so no address
            # to redirect to.
            "X-Tribune-Fragment": "1",
        },
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def committed(committed_database, django_db_blocker):
    """A consultation and an author committed for the server processes to see, removed
    afterwards. Not a transactional test: its final flush would also wipe what data
    migrations wrote (locale, roles), which the browser tests that follow rely on."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import Page

    from participation.models import ConsultationPage

    with django_db_blocker.unblock():
        consultation = factories.add_page(
            Page.get_first_root_node(),
            ConsultationPage(
                title="Deux processus",
                slug=f"deux-processus-{uuid.uuid4().hex[:8]}",
                summary="Résumé.",
                body=[],
                opens_at=timezone.now() - timedelta(days=1),
            ),
        )
        author = factories.UserFactory(email=f"deux-{uuid.uuid4().hex[:10]}@exemple.test")
        try:
            yield consultation, author
        finally:
            consultation.delete()  # its comments and journal-free counters go with it
            author.delete()


def test_a_comment_posted_through_one_process_reaches_a_reader_of_the_other(
    committed, two_servers, django_db_blocker
):
    import websockets

    from participation.models import LiveEvent
    from tests.clients import Client

    consultation, author = committed
    client = Client()
    with django_db_blocker.unblock():
        client.force_login(author)
    session = client.cookies["sessionid"].value
    (writer_port, reader_port), processes = two_servers

    async def scenario():
        url = f"ws://127.0.0.1:{reader_port}/ws/consultations/{consultation.pk}/"
        async with websockets.connect(url, origin=f"http://127.0.0.1:{reader_port}") as reader:
            await asyncio.sleep(0.3)  # the subscription reaches Redis
            status = await asyncio.to_thread(
                post_comment, writer_port, consultation.pk, session, "Vu depuis l’autre processus"
            )
            if status not in (200, 302):
                processes[0].terminate()
                log = processes[0].communicate(timeout=10)[1].decode(errors="replace")
                raise AssertionError(f"the comment was not posted ({status}):\n{log[-3000:]}")
            frame = await asyncio.wait_for(reader.recv(), timeout=10)
        return json.loads(frame)

    try:
        message = asyncio.run(scenario())
    finally:
        with django_db_blocker.unblock():
            client.logout()
            LiveEvent.objects.filter(consultation_id=consultation.pk).delete()
    assert message["type"] == "comment.created"
    assert message["body"] == "Vu depuis l’autre processus"
    assert message["consultation"] == consultation.pk
    assert isinstance(message["cursor"], int)
