"""What a deployment sends besides pages: Permissions-Policy on every answer, Secure on
every cookie behind HTTPS, the content security policies (strict nonces on the public
site; the Wagtail admin's documented exception)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from cms.middleware import ADMIN_CSP
from tests import factories

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "-production-key-with-enough-entropy-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "participer.ville-demo.fr",
    "SMTP_HOST": "smtp.ville-demo.fr",
    # Any database address makes the configuration production-like (never connected to).
    "DATABASE_URL": "postgres://tribune@127.0.0.1:1/absente",
}

SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({name: "
    "getattr(s, name) for name in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'LANGUAGE_COOKIE_SECURE', 'COOKIE_CONSENT_SECURE', 'MFA_TRUST_COOKIE_SECURE', "
    "'PERMISSIONS_POLICY', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT')}))"
)


def production_settings(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_"))}
    env.update(PRODUCTION, **extra)
    env.pop("TRIBUNE_VAR_DIR", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_marks_every_cookie_secure_and_sends_a_permissions_policy():
    found = production_settings()
    for name in (
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SECURE",
        "COOKIE_CONSENT_SECURE",
        "MFA_TRUST_COOKIE_SECURE",
    ):
        assert found[name] is True, name
    assert "camera=()" in found["PERMISSIONS_POLICY"]
    assert "geolocation=()" in found["PERMISSIONS_POLICY"]
    assert found["SECURE_HSTS_SECONDS"] >= 31536000 and found["SECURE_SSL_REDIRECT"] is True


# --- Every cookie Secure, in a production-like answer ---------------------------------------

SECURE = {
    "SECURE_COOKIES": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "LANGUAGE_COOKIE_SECURE": True,
    "COOKIE_CONSENT_SECURE": True,
}


def cookies_of(response) -> dict:
    return dict(response.cookies.items())


@override_settings(**SECURE)
def test_every_cookie_a_visit_collects_is_secure(client, users, site_tree):
    collected = {}
    # Sign-in page (CSRF cookie), cookie choice (consent, audience), language switch,
    # sign-in (session).
    collected |= cookies_of(client.get("/compte/connexion/"))
    collected |= cookies_of(client.post("/cookies/", {"choice": "accept_all", "next": "/"}))
    collected |= cookies_of(client.get("/"))
    collected |= cookies_of(client.post("/i18n/setlang/", {"language": "en", "next": "/"}))
    collected |= cookies_of(
        client.post(
            "/compte/connexion/",
            {"login": users["citizen"].email, "password": factories.PASSWORD},
        )
    )
    assert {"csrftoken", "cookie_consent", "django_language", "sessionid"} <= set(collected)
    insecure = [name for name, morsel in collected.items() if not morsel["secure"]]
    assert insecure == []


@override_settings(SECURE_COOKIES=True, LANGUAGE_COOKIE_SECURE=False)
def test_a_cookie_set_without_the_flag_gets_it_anyway(client, site_tree):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.cookies["django_language"]["secure"] is True


@override_settings(SECURE_COOKIES=False, LANGUAGE_COOKIE_SECURE=False)
def test_plain_http_make_run_keeps_cookies_usable(client, site_tree):
    # `make run` serves plain HTTP on loopback: a Secure cookie would never come back.
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert not response.cookies["django_language"]["secure"]


# --- Permissions-Policy on every answer -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/recherche/?q=velo", "/health/", "/n-existe-pas/", "/admin/", "/recherche/?q=%00"],
)
def test_every_answer_carries_a_permissions_policy(client, site_tree, path):
    response = client.get(path)
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_an_admin_page_carries_it_too(client, users, site_tree):
    client.force_login(users["moderator"])
    response = client.get(reverse("moderation_queue"))
    assert response.status_code == 200
    assert "geolocation=()" in response["Permissions-Policy"]


# --- Content security policies ---------------------------------------------------------------


def directives(header: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_public_pages_run_only_scripts_with_the_nonce(client, site_tree):
    response = client.get("/")
    policy = directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-"))[7:-1]
    html = response.content.decode()
    assert f'nonce="{nonce}"' in html
    assert "<script>" not in html  # every script of the page carries the nonce


def test_the_admin_exception_is_limited_to_the_admin(client, users, site_tree):
    """Wagtail 8's admin writes inline scripts without a nonce (docs/decisions/
    0007-admin-content-security-policy.md): only /admin/ allows them, never eval,
    never another origin, never plugins, never a frame from elsewhere."""
    client.force_login(users["administrator"])
    response = client.get("/admin/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    for values in policy.values():
        assert "'unsafe-eval'" not in values and "*" not in values
        assert not any(v.startswith(("http:", "https:")) for v in values)
    assert ADMIN_CSP["script-src"] == ["'self'", "'unsafe-inline'"]
    public = directives(client.get("/").headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in public["script-src"]
