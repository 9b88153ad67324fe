"""The local OpenID Connect provider (tests/oidc_provider) as a test fixture: started on
loopback in its own process with its own SQLite file, driven over HTTP like a person's
browser would (sign in at the provider, approve) and told to misbehave when a test needs
it."""

import html
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(18100, 18200)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.I)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100–18199")


class LocalProvider:
    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/o"
        env = dict(os.environ, OIDC_PROVIDER_DB=str(directory / "provider.sqlite3"))
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = open(directory / "provider.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError((directory / "provider.log").read_text())
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()

    def control(self, what: str, **data):
        requests.post(f"{self.url}/test/{what}/", json=data, timeout=5).raise_for_status()

    def misbehave(self, mode: str = ""):
        self.control("mode", mode=mode)

    def person(self, username, *, email, password="mot-de-passe-fc", **claims):  # noqa: S107
        self.control("identity", username=username, email=email, password=password, claims=claims)
        return {"username": username, "password": password}

    def register(self, client_id, secret, *, sites):
        self.control(
            "client",
            client_id=client_id,
            secret=secret,
            redirect_uris=[f"{site}/compte/oidc/{client_id}/connexion/callback/" for site in sites],
            post_logout_redirect_uris=[f"{site}/" for site in sites],
        )

    def browser(self, person) -> requests.Session:
        """A browser signed in at the provider as `person`."""
        session = requests.Session()
        page = session.get(f"{self.url}/login/", timeout=5)
        fields = dict(HIDDEN.findall(page.text))
        fields.update(person)
        session.post(f"{self.url}/login/", data=fields, timeout=5).raise_for_status()
        return session

    def authorize(self, session: requests.Session, authorize_url: str, *, allow=True) -> str:
        """Open the authorization address, answer the consent page, return where the
        provider sends the browser back (Tribune's callback)."""
        page = session.get(authorize_url, allow_redirects=False, timeout=5)
        if page.status_code == 302:
            return page.headers["Location"]
        assert page.status_code == 200, page.text[:500]
        fields = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
        if allow:
            fields["allow"] = "Authorize"
        answer = session.post(authorize_url, data=fields, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


SECRET = "secret-de-test-oidc-assez-long-pour-signer-en-hs256"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = LocalProvider(tmp_path_factory.mktemp("oidc-provider"))
    yield provider
    provider.stop()


def oidc_app(provider_id, name, provider, **extra):
    """One allauth app as config/settings.py builds it from the environment."""
    return {
        "provider_id": provider_id,
        "name": name,
        "client_id": provider_id,
        "secret": SECRET,
        "settings": {
            "server_url": provider.issuer,
            "oauth_pkce_enabled": True,
            "scope": ["openid", "email"],
            "email_verified": True,
            **extra,
        },
    }


def configure(settings, provider, *, sites, server_url=None):
    """Tribune knows FranceConnect and ProConnect at the local provider, which knows
    Tribune at `sites` (redirect and post-logout addresses)."""
    from django.utils.csp import CSP

    provider.misbehave("")
    # allauth writes its callback address with ACCOUNT_DEFAULT_HTTP_PROTOCOL, "https" with
    # production settings; the test servers speak the protocol of `sites`.
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = sites[0].split(":", 1)[0]
    for client_id in ("franceconnect", "proconnect"):
        provider.register(client_id, SECRET, sites=sites)
    extra = {"server_url": server_url} if server_url else {}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [
                oidc_app(
                    "franceconnect",
                    "FranceConnect",
                    provider,
                    auth_params={"acr_values": "eidas1"},
                    **extra,
                ),
                oidc_app("proconnect", "ProConnect", provider, **extra),
            ],
        }
    }
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": [CSP.SELF, provider.url]}
