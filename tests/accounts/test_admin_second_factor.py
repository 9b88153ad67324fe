"""Everyone who reaches the admin has a second factor (issue 5): staff without one are
refused with the way to enrol; signing in asks for the authenticator code."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from accounts import roles
from tests import factories


def code(secret=factories.TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_without_second_factor_are_refused_with_the_way_to_enrol(client, users):
    person = factories.UserFactory(role=roles.MODERATORS, is_staff=True, second_factor=False)
    client.force_login(person)
    response = client.get("/admin/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Double authentification requise" in html
    assert 'href="/compte/double-authentification/application/activer/"' in html


def test_staff_with_a_second_factor_reach_the_admin(client, users):
    client.force_login(users["moderator"])
    assert client.get("/admin/").status_code == 200


def test_citizens_are_not_asked_to_enrol(client, users):
    client.force_login(users["citizen"])
    response = client.get("/admin/")
    assert response.status_code == 302  # Wagtail's own refusal
    assert "Double authentification" not in response.content.decode()


def test_the_admin_sign_in_asks_for_the_authenticator_code(client, users):
    response = client.get("/admin/login/?next=/admin/moderation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")
    response = client.post(
        "/compte/connexion/",
        {"login": users["moderator"].email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302 and "double-authentification" in response["Location"]
    assert client.get("/admin/").status_code != 200  # not signed in with the password alone
    response = client.post("/compte/double-authentification/verifier/", {"code": "000000"})
    assert response.status_code == 200  # wrong code: the form again
    response = client.post("/compte/double-authentification/verifier/", {"code": code()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
