"""A staff account enrolling its authenticator opens the admin in that same session: the
code typed to enrol counts as the second factor.

Committed for real: allauth announces the new authenticator once its transaction
commits, inside the request that enrolled it. A transactional test's teardown empties
every table, migration data included; serialized_rollback brings that data back before
the test, and _restore_database after the module, so the tests that follow (the browser
tests load the demo) find the database as migrations left it.
"""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import connection

from accounts import roles
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module", autouse=True)
def _restore_database(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


def code(secret) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_enrolling_an_authenticator_opens_the_admin_in_that_session(client, users):
    person = factories.UserFactory(role=roles.MODERATORS, is_staff=True, second_factor=False)
    client.post("/compte/connexion/", {"login": person.email, "password": factories.PASSWORD})
    assert client.get("/admin/").status_code == 403  # the way to enrol
    # allauth asks for the password again before adding an authenticator.
    client.post("/compte/confirmer-identite/", {"password": factories.PASSWORD})
    assert client.get("/compte/double-authentification/application/activer/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(
        "/compte/double-authentification/application/activer/", {"code": code(secret)}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
