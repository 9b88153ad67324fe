"""`make restore-check`: a backup of the database is restored into a scratch database
and every table comes back with the same number of rows; the scratch database is gone
afterwards. Runs in the production-like half of .ci/run, on the test database."""

import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests.production import ROOT, database_url

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL (the production-like half of .ci/run): pg_dump and pg_restore",
)


def test_a_backup_restores_with_every_row(committed_database, django_db_blocker):
    from django.db import connection

    from accounts.models import User
    from tests import factories

    with django_db_blocker.unblock():
        people = [factories.UserFactory() for _ in range(3)]
        try:
            tables = connection.introspection.table_names()
            url = database_url(connection.settings_dict)
            env = {"PATH": "/usr/bin:/bin:/usr/sbin", "DATABASE_URL": url}
            result = subprocess.run(
                [sys.executable, "-m", "config.prod", "restore-check"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
                    [connection.settings_dict["NAME"] + "_restore_check_%"],
                )
                left = cursor.fetchone()[0]
        finally:
            User.objects.filter(pk__in=[person.pk for person in people]).delete()

    assert result.returncode == 0, result.stdout + result.stderr
    verdict = re.search(r"(\d+) tables, (\d+) lignes, toutes identiques", result.stdout)
    assert verdict, result.stdout
    assert int(verdict.group(1)) == len(tables)
    assert left == 0  # the scratch database was dropped
