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


# Any database address makes the configuration production-like (never connected to here).
PRODUCTION_LIKE = {"DATABASE_URL": "postgres://tribune@127.0.0.1:1/absente"}
EMBEDDED = ("DATABASE_URL", "REDIS_URL", "TRIBUNE_VAR_DIR")


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    if "DATABASE_URL" not in env:
        base = {k: v for k, v in base.items() if k not in EMBEDDED}
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
    result = manage(
        "check", DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="exemple.fr", **PRODUCTION_LIKE
    )
    assert result.returncode != 0
    assert "refuse de démarrer avec DEBUG désactivé sans DJANGO_SECRET_KEY" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = manage(
        "check",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
        **PRODUCTION_LIKE,
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
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **PRODUCTION_LIKE)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


SHOW = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.HTTPS, len(s.SECRET_KEY), s.WAGTAILADMIN_BASE_URL, "
    "s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[1])"
)


def test_the_embedded_configuration_runs_without_debug_from_a_fresh_clone(tmp_path):
    """`make run` on a fresh clone: no variable to set, no debug pages, a key drawn once
    and kept under var/, static files served without collectstatic."""
    result = manage(
        "shell", "--no-imports", "-c", SHOW, TRIBUNE_VAR_DIR=str(tmp_path), TRIBUNE_PORT="8123"
    )
    assert result.returncode == 0, result.stderr
    debug, https, key_length, base_url, storage = result.stdout.split()
    assert (debug, https) == ("False", "False")
    assert int(key_length) >= 50
    assert base_url == "http://127.0.0.1:8123"
    assert storage == "StaticFilesStorage"
    key = (tmp_path / "secret_key").read_text()
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    again = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.SECRET_KEY)",
        TRIBUNE_VAR_DIR=str(tmp_path),
    )
    assert again.stdout.strip() == key  # sessions survive a restart


def test_a_developer_asks_for_debug(tmp_path):
    result = manage(
        "shell", "--no-imports", "-c", SHOW, TRIBUNE_VAR_DIR=str(tmp_path), DJANGO_DEBUG="true"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "False"]


def test_make_dev_and_make_run_differ_only_by_debug():
    makefile = (ROOT / "Makefile").read_text()
    assert "DJANGO_DEBUG=true TRIBUNE_HOST=$(HOST) TRIBUNE_PORT=$(PORT) $(MANAGE) serve" in makefile
    run = makefile[makefile.index("\nrun:") : makefile.index("\ndev:")]
    assert "TRIBUNE_HOST=$(HOST) TRIBUNE_PORT=$(PORT) $(MANAGE) serve" in run
    assert "DJANGO_DEBUG" not in run
