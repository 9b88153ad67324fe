"""Settings refusal and the deployment checklist, in fresh interpreters (settings are
read once per process)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "-production-key-with-enough-entropy-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "participer.ville-demo.fr",
    "SMTP_HOST": "smtp.ville-demo.fr",
}


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_without_secret_key_refuses_to_start_with_a_clear_message():
    result = manage("check", DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="exemple.fr")
    assert result.returncode != 0
    assert "refuse de démarrer avec DEBUG désactivé sans DJANGO_SECRET_KEY" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = manage(
        "check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"]
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_a_short_secret_key_is_refused():
    result = manage(
        "check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="court", DJANGO_ALLOWED_HOSTS="exemple.fr"
    )
    assert result.returncode != 0
    assert "trop courte" in result.stderr


def test_an_unreadable_boolean_is_refused():
    result = manage("check", DJANGO_DEBUG="peut-être")
    assert result.returncode != 0
    assert "indiquez true ou false" in result.stderr


def test_check_deploy_reports_nothing_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
