"""The production servers, started the way docs/operations.md says (gunicorn for HTTP,
uvicorn for /ws/), on the test database and a Redis of the caller's own; and a client
that browses them as a person's browser does (headers, cookies, CSRF tokens).

Used by the fault tests (tests/test_resilience.py) and benchmarks/soak.py.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]

BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "fr-FR,fr;q=0.9",
    "Accept-Encoding": "gzip, deflate",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict) -> str:
    user = urllib.parse.quote(settings_dict.get("USER") or "postgres")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{urllib.parse.quote(password)}" if password else user
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


def server_environment(database: str, redis: str, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        # Plain HTTP on loopback (a TLS proxy in production): cookies without Secure.
        "DJANGO_SECURE_COOKIES": "false",
        "SMTP_HOST": os.environ.get("SMTP_HOST", "127.0.0.1"),
        "TRIBUNE_VAR_DIR": os.environ.get("TRIBUNE_VAR_DIR", str(ROOT / "var" / "ci")),
        "LOG_LEVEL": "WARNING",
        "TASKS_IMMEDIATE": "true",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


class Server:
    """One server process, its output kept in a log file for when a test fails."""

    def __init__(self, name: str, command: list[str], port: int, env: dict, log: Path):
        self.name, self.command, self.port, self.env, self.log = name, command, port, env, log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60) -> "Server":
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} stopped at start:\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")

    def pids(self) -> list[int]:
        """The process and its children (gunicorn's workers)."""
        if self.process is None:
            return []
        found = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            found += [int(pid) for pid in children.read_text().split()]
        return found

    def tail(self, size: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def gunicorn(env: dict, log: Path, *, workers: int = 2, port: int | None = None) -> Server:
    port = port or free_port()
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
    ]  # fmt: skip
    return Server("gunicorn", command, port, env, log)


def uvicorn(env: dict, log: Path, *, port: int | None = None) -> Server:
    port = port or free_port()
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning",
    ]  # fmt: skip
    return Server("uvicorn", command, port, env, log)


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """A person's browser: browser headers, cookies, forms posted with their token."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(BROWSER_HEADERS)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=30, **kwargs)

    def post(self, path: str, data: dict, *, referer: str = "/", headers=None, **kwargs):
        """A form post from `referer`, not following the redirect (POST → redirect)."""
        token = self.session.cookies.get("csrftoken")
        if token is None:
            self.get(referer)
            token = self.session.cookies.get("csrftoken")
        return self.session.post(
            self.base_url + path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.base_url + referer, **(headers or {})},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )

    def sign_in(self, email: str, password: str) -> requests.Response:
        page = self.get("/compte/connexion/")
        token = TOKEN.search(page.text).group(1)
        return self.session.post(
            self.base_url + "/compte/connexion/",
            data={"csrfmiddlewaretoken": token, "login": email, "password": password},
            headers={"Referer": self.base_url + "/compte/connexion/"},
            allow_redirects=False,
            timeout=30,
        )

    def sign_in_with_code(self, email: str, password: str, totp_secret: str) -> bool:
        """Staff: password, then the authenticator's code when the site asks for it."""
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        answer = self.sign_in(email, password)
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or "/double-authentification/" not in location:
            return False
        page = self.get(location)
        token = TOKEN.search(page.text).group(1)
        code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // 30))
        answer = self.session.post(
            page.url,
            data={"csrfmiddlewaretoken": token, "code": code},
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=30,
        )
        return answer.status_code == 302

    @property
    def session_cookie(self) -> str | None:
        return self.session.cookies.get("sessionid")


def memory_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
