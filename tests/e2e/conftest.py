"""Browser tests: Debian's Chromium driven by Playwright, against the real ASGI app
served by uvicorn on a loopback port, with axe-core on every page visited.

Without Chromium the browser tests are skipped, except with CI=true where a missing
browser is an error (DESIGN.md, `make test`).
"""

import os
import re
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.core import mail

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "/e2e/" in str(item.fspath)]
    # Browser tests last of all (after pytest-django's own ordering): Playwright's sync
    # API keeps an event loop running in the main thread until the session ends, and
    # asyncio tests collected after them (tests/participation/…) could not start theirs.
    items[:] = [item for item in items if item not in e2e] + e2e
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    # (tests/conftest.py moves them after every other test.)
    if CHROMIUM or not e2e:
        return
    if IN_CI:
        raise pytest.UsageError(
            "CI=true mais Chromium est introuvable : installez-le (apt-get install chromium)."
        )
    skip = pytest.mark.skip(reason="Chromium n'est pas installé (apt-get install chromium)")
    for item in e2e:
        item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread(threading.Thread):
    """uvicorn in a thread of the test process: it sees the test database and the
    in-memory mail outbox of the tests."""

    def __init__(self, port):
        super().__init__(daemon=True)
        import uvicorn

        from config.asgi import application

        self.server = uvicorn.Server(
            uvicorn.Config(
                application,
                host="127.0.0.1",
                port=port,
                ws="websockets-sansio",
                lifespan="off",
                log_level="warning",
            )
        )

    def run(self):
        self.server.run()

    def stop(self):
        self.server.should_exit = True
        self.join(timeout=10)


@dataclass
class LiveSite:
    base_url: str
    urls: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, page, email: str, password: str):
        page.goto(self.url("/compte/connexion/"))
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_load_state()

    # The admin asks for a TOTP code; a code is accepted once per account, so
    # a second sign-in of the same account waits for the next 30-second period.
    used_codes: dict = field(default_factory=dict)

    def totp_code(self, email: str, secret: str) -> str:
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        counter = int(time.time()) // 30
        if self.used_codes.get(email) == counter:
            time.sleep(30 - time.time() % 30 + 0.5)
            counter = int(time.time()) // 30
        self.used_codes[email] = counter
        return format_hotp_value(hotp_value(secret, counter))

    def admin_login(self, page, email: str, password: str, secret: str):
        """Sign in to the admin: e-mail and password, then the authenticator code."""
        # Sent to the site's sign-in form. The first admin page of a test session can
        # be slow on a busy machine: more than the ten seconds other steps get.
        page.goto(self.url("/admin/login/"), timeout=30_000)
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Connexion").click()
        code = page.locator("input[name=code]")
        code.fill(self.totp_code(email, secret))
        code.press("Enter")
        page.wait_for_url(re.compile(r"/admin/"))

    @staticmethod
    def run(function, *args, **kwargs):
        """Run database work from a browser test: Playwright's event loop runs in the
        test thread, so Django's ORM must be called from another one. That thread ends
        here: its connection must go back to the pool (PostgreSQL), or every call would
        keep one until the pool runs dry."""
        from django.db import connections

        def work():
            try:
                return function(*args, **kwargs)
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as executor:
            return executor.submit(work).result()

    @staticmethod
    def emails_to(address: str):
        return [message for message in mail.outbox if address in message.to]

    def confirmation_link(self, address: str) -> str:
        body = self.emails_to(address)[-1].body
        path = re.search(r"https?://[^/\s]+(/compte/confirmer-adresse/\S+/)", body).group(1)
        return self.url(path)


def _warm(url: str) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return
        except urllib.error.URLError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"le serveur de test ne répond pas à {url}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def live_site(_test_settings, committed_database, django_db_blocker):
    """The demo site, loaded once and served for every browser test.

    Browser tests run last (pytest-django orders tests without database access after
    the others), so what they commit does not leak into other tests.
    """
    from django.core.management import call_command

    from participation.models import ConsultationPage

    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        urls = {
            status: next(p.url for p in ConsultationPage.objects.live() if p.status == status)
            for status in ("open", "upcoming", "closed")
        }
        from django.db import connections

        # A fresh pool for the server's threads: the tests before these (threads racing
        # each other, servers whose connections were terminated) may have left the
        # shared pool full or holding dead connections.
        for each in connections.all():
            each.close()
            if hasattr(each, "close_pool"):
                each.close_pool()
        port = free_port()
        server = ServerThread(port)
        server.start()
        deadline = time.monotonic() + 20
        while not server.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("le serveur de test n'a pas démarré")
            time.sleep(0.05)
        # The first request of each kind imports and compiles what it needs (the admin
        # most of all): done here, not inside the first test's ten-second budget.
        base = f"http://127.0.0.1:{port}"
        for path in ("/", urls["open"], "/admin/login/"):
            _warm(base + path)
        try:
            yield LiveSite(base_url=f"http://127.0.0.1:{port}", urls=urls)
        finally:
            server.stop()
            from django.db import connection, connections

            if connection.vendor == "postgresql":
                # Connections still held by the server's worker threads would keep the
                # test database busy and stop its removal at the end of the session.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
            for each in connections.all():
                each.close()
                if hasattr(each, "close_pool"):
                    each.close_pool()


@pytest.fixture(scope="session")
def browser(live_site):
    # After live_site: Playwright's sync API keeps an event loop running in this
    # thread, after which Django refuses database calls here (see LiveSite.run).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_site):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    assert not errors, f"erreurs JavaScript ou CSP dans la page : {errors}"


def assert_no_axe_violations(page):
    """axe-core (WCAG 2.1 A/AA rules) finds nothing on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            "resultTypes": ["violations"],
        },
    )
    assert results.violations_count == 0, f"axe-core sur {page.url} :\n{results.generate_report()}"


@pytest.fixture(scope="session")
def admin_storage_state(browser, live_site):
    """Cookies of a demo administrator signed in with the second factor, taken once:
    each new sign-in of the same account would wait for the next TOTP period."""
    from participation import demo

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    live_site.admin_login(
        page, "admin@demo.tribune.test", demo.DEMO_PASSWORD, demo.DEMO_TOTP_SECRET
    )
    state = context.storage_state()
    context.close()
    return state
