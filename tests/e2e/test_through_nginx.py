"""The browser tests' main paths through the production topology: nginx (the
configuration of deploy/, rendered by config/prod.py) in front of gunicorn for HTTP
and two uvicorn processes for /ws/, all on the test database and the run's Redis.
Two people sign in, one comments and votes while the other's page updates live
(through Redis, whichever uvicorn each socket reached), a moderator signs in with a
second-factor code and approves a comment; nginx serves the static files itself,
compressed and cached.

Runs in the production-like half of .ci/run (PostgreSQL + Redis): the servers are
processes of their own and share the test database through DATABASE_URL.
"""

import os
import re
import shutil
import uuid

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from config import prod
from participation import demo
from tests import factories
from tests.e2e.conftest import IN_CI, LiveSite, assert_no_axe_violations
from tests.production import (
    BROWSER_HEADERS,
    Server,
    database_url,
    free_port,
    gunicorn,
    server_environment,
    uvicorn,
)

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason=(
        "needs PostgreSQL (the production-like half of .ci/run): gunicorn and uvicorn run "
        "as processes of their own and share the test database"
    ),
)

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else "")
SERVERS = "tribune-nginx-servers"
BIKE_PLAN = "/consultations/plan-velo-2027/"
PRE_MODERATED = "/consultations/budget-participatif-tilleuls/"
MODERATOR = "moderation@demo.tribune.test"


def card(page, text):
    return page.locator("article.comment__card", has_text=text).first


def _terminate_backends():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [SERVERS],
        )


@pytest.fixture(scope="module")
def people(live_site, django_db_blocker):
    """Accounts of this module's own (the other browser tests find the demo citizens as
    the demo left them), hashed with the production hasher the servers know."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    suffix = uuid.uuid4().hex[:8]
    emails = {
        "author": f"nginx-autrice-{suffix}@exemple.test",
        "reader": f"nginx-lecteur-{suffix}@exemple.test",
    }

    def create():
        for email in emails.values():
            factories.UserFactory(email=email)
        User.objects.filter(email__in=emails.values()).update(
            password=make_password(factories.PASSWORD, hasher="pbkdf2_sha256")
        )
        User.objects.filter(email=MODERATOR).update(
            password=make_password(demo.DEMO_PASSWORD, hasher="pbkdf2_sha256")
        )

    with django_db_blocker.unblock():
        # From another thread: when other browser tests ran first, Playwright's event
        # loop already runs in this one.
        LiveSite.run(create)
    emails["password"] = factories.PASSWORD
    return emails


@pytest.fixture(scope="module")
def site(live_site, people, django_db_blocker, tmp_path_factory):
    """nginx → gunicorn + 2 × uvicorn on free ports; a LiveSite whose address is nginx."""
    if not NGINX:
        message = "nginx est introuvable : installez le paquet Debian (apt-get install nginx)."
        if IN_CI and os.environ.get("DATABASE_URL"):
            pytest.fail("CI=true et DATABASE_URL défini, mais " + message)
        pytest.skip(message)
    from django.db import connection

    env = server_environment(
        database_url(connection.settings_dict) + f"?application_name={SERVERS}",
        settings.REDIS_URL,
        TRIBUNE_VAR_DIR=settings.VAR_DIR,
        DATABASE_POOL_MAX=4,
    )
    logs = tmp_path_factory.mktemp("nginx-site")
    backends = [
        gunicorn(env, logs / "gunicorn.log"),
        uvicorn(env, logs / "uvicorn-1.log"),
        uvicorn(env, logs / "uvicorn-2.log"),
    ]
    port = free_port()
    site_conf = prod.render_site(
        listen=f"127.0.0.1:{port}",
        server_name="127.0.0.1 localhost",
        var_dir=settings.VAR_DIR,
        gunicorn=f"127.0.0.1:{backends[0].port}",
        uvicorn=[f"127.0.0.1:{backends[1].port}", f"127.0.0.1:{backends[2].port}"],
    )
    conf = logs / "nginx.conf"
    conf.write_text(prod.render_main(site_conf, logs))
    nginx = Server(
        "nginx", [NGINX, "-e", "stderr", "-c", str(conf), "-p", str(logs)], port, env,
        logs / "nginx.log",
    )  # fmt: skip
    started = []
    try:
        for server in [*backends, nginx]:
            started.append(server.start())
        yield LiveSite(base_url=nginx.url, urls=live_site.urls, used_codes=live_site.used_codes)
    finally:
        for server in reversed(started):
            server.stop()
        with django_db_blocker.unblock():
            # From another thread: Playwright's event loop runs in this one by now.
            LiveSite.run(_terminate_backends)


def test_nginx_serves_static_files_itself_compressed_and_cached(site):
    session = requests.Session()
    session.headers.update(BROWSER_HEADERS)
    home = session.get(site.url("/"), timeout=30)
    assert home.status_code == 200
    assert home.headers["Content-Encoding"] == "gzip"
    # One of each security header: Django's, plus the one nginx adds.
    headers = home.raw.headers
    assert headers.getlist("X-Frame-Options") == ["DENY"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert len(headers.getlist("Permissions-Policy")) == 1
    assert "camera=()" in home.headers["Permissions-Policy"]
    assert home.headers["Server"] == "nginx"  # no version number

    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', home.text).group(1)
    answer = session.get(site.url(stylesheet), timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"  # the .gz written by collectstatic
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "Django" not in answer.headers.get("Server", "")

    health = session.get(site.url("/health/"), timeout=30).json()
    assert health["status"] == "ok"


@pytest.fixture
def reader_page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"erreurs JavaScript dans la page : {errors}"


def test_comment_and_vote_reach_another_browser_live_through_nginx(page, reader_page, site, people):
    page.set_default_timeout(15_000)
    site.login(page, people["author"], people["password"])
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    site.login(reader_page, people["reader"], people["password"])
    page.goto(site.url(BIKE_PLAN))
    # What reaches the reader through nginx's /ws/ (not the 15-second polling fallback).
    sockets, frames = [], []

    def listen(socket):
        sockets.append(socket.url)
        socket.on("framereceived", lambda payload: frames.append(str(payload)))

    reader_page.on("websocket", listen)
    reader_page.goto(site.url(BIKE_PLAN))
    reader_page.evaluate("window.__sameDocument = true")  # survives only if nothing reloads
    reader_page.wait_for_function("() => !!document.getElementById('live')")
    reader_page.wait_for_timeout(800)  # the socket through nginx is open

    text = f"Des arceaux devant la médiathèque ({uuid.uuid4().hex[:6]})."
    page.get_by_label("Votre commentaire", exact=True).fill(text)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(card(page, text)).to_be_visible()
    show = reader_page.get_by_role("button", name="1 nouveau commentaire — afficher")
    expect(show).to_be_visible()
    show.click()
    expect(card(reader_page, text)).to_be_visible()
    assert sockets and all(url.startswith(site.base_url.replace("http", "ws")) for url in sockets)
    assert any('"comment.created"' in frame for frame in frames)

    reader_poll = reader_page.get_by_role("region", name="Vos trajets à vélo")
    figure = reader_poll.locator(".poll__participants").first
    participants = int(figure.inner_text().split()[0])
    poll = page.get_by_role("region", name="Vos trajets à vélo")
    poll.get_by_label("Une ou plusieurs fois par semaine").check()
    poll.get_by_label("Des pistes séparées des voitures").check()
    poll.get_by_role("button", name="Voter").click()
    expect(poll.get_by_text("Vous avez voté à ce sondage")).to_be_visible()
    expect(figure).to_have_text(f"{participants + 1} participant·es")
    assert any('"poll.results"' in frame for frame in frames)

    assert reader_page.evaluate("window.__sameDocument") is True
    assert_no_axe_violations(page)


def test_moderator_signs_in_with_a_code_and_approves_through_nginx(page, browser, site, people):
    page.set_default_timeout(15_000)
    text = f"Un banc à l’ombre près des Tilleuls ({uuid.uuid4().hex[:6]})."
    site.login(page, people["author"], people["password"])
    page.goto(site.url(PRE_MODERATED))
    page.get_by_label("Votre commentaire", exact=True).fill(text)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(card(page, text)).to_contain_text(re.compile("attente", re.IGNORECASE))

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    try:
        admin = context.new_page()
        site.admin_login(admin, MODERATOR, demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET)
        admin.goto(site.url("/admin/moderation/"))
        pending = admin.locator("li.moderation__row", has_text=text).first
        expect(pending).to_be_visible()
        pending.get_by_role("button", name="Publier").click()
        expect(admin.get_by_text("Commentaire publié.")).to_be_visible()
    finally:
        context.close()

    visitor = browser.new_context(locale="fr-FR")
    try:
        public = visitor.new_page()
        public.goto(site.url(PRE_MODERATED))
        expect(card(public, text)).to_be_visible()
        expect(card(public, text)).not_to_contain_text(re.compile("attente", re.IGNORECASE))
        assert_no_axe_violations(public)
    finally:
        visitor.close()
