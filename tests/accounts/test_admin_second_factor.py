"""Everyone who reaches the admin passed a second factor in that very session.

Every door that signs people in is tried for each staff role: allauth's form, Wagtail's
admin sign-in, Wagtail's front-end sign-in (`/_util/login/`), the admin's password
reset, the code form. None opens the admin without the authenticator code, and each
takes a hundred wrong passwords without letting anyone in.
"""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import SESSION_KEY
from django.core import mail

from accounts import roles
from tests import factories
from tests.clients import Client

STAFF = ("moderator", "communication", "administrator")


def code(secret=factories.TOTP_SECRET, offset=0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_staff_without_second_factor_are_refused_with_the_way_to_enrol(client, users):
    person = factories.UserFactory(role=roles.MODERATORS, is_staff=True, second_factor=False)
    client.force_login(person, second_factor=False)
    response = client.get("/admin/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Double authentification requise" in html
    assert 'href="/compte/double-authentification/application/activer/"' in html


@pytest.mark.parametrize("role", STAFF)
def test_staff_with_the_code_typed_reach_the_admin(client, users, role):
    client.force_login(users[role])
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", ("citizen", "agent"))
def test_signed_in_people_without_a_team_role_get_a_french_refusal_not_a_loop(client, users, role):
    client.force_login(users[role])
    for path in ("/admin/", "/admin/pages/", "/admin/login/"):
        response = client.get(path)
        assert response.status_code == 403, path
        html = response.content.decode()
        assert "L’administration est réservée à l’équipe" in html
        assert "Double authentification" not in html


def test_the_admin_sign_in_asks_for_the_authenticator_code(client, users):
    response = client.get("/admin/login/?next=/admin/moderation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")
    assert "next=%2Fadmin%2Fmoderation%2F" in response["Location"]
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


def test_the_admin_sign_in_address_without_next_leads_back_to_the_admin(client, db):
    response = client.get("/admin/login/")
    assert response["Location"] == "/compte/connexion/?next=%2Fadmin%2F"


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("door", ("/_util/login/", "/admin/login/"))
def test_wagtails_password_forms_sign_nobody_in(client, users, role, door):
    response = client.post(
        door, {"username": users[role].email, "password": factories.PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/compte/connexion/")


def test_private_pages_send_people_to_the_one_sign_in_form(client, site_tree):
    from wagtail.models import PageViewRestriction

    page = site_tree["news"]
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    response = client.get(page.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/?next=")


@pytest.mark.parametrize("role", STAFF)
def test_a_session_that_typed_only_a_password_is_asked_for_the_code(client, users, role):
    # As if signed in by a door that asked only a password (or before enrolling).
    client.force_login(users[role], second_factor=False)
    response = client.get("/admin/reports/?q=x")
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/compte/double-authentification/confirmer-identite/?next=%2Fadmin%2Freports%2F%3Fq%3Dx"
    )
    assert client.post("/admin/pages/").status_code == 302  # no admin action either
    response = client.post(
        "/compte/double-authentification/confirmer-identite/", {"code": code(), "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_out_stays_open_to_a_session_without_the_code(client, users):
    client.force_login(users["moderator"], second_factor=False)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert not signed_in(client)


def test_the_code_of_one_account_does_not_serve_another_in_the_same_browser(client, users):
    client.force_login(users["moderator"])  # typed the code
    client.force_login(users["communication"], second_factor=False)
    assert client.get("/admin/").status_code == 302


def test_a_staff_role_counts_only_in_a_session_that_passed_the_second_factor(users):
    from accounts import permissions

    moderator = users["moderator"]
    assert roles.has_role(moderator, roles.MODERATORS)  # no session to judge: a command
    permissions.judge_session(moderator, {})
    assert not roles.has_role(moderator, roles.MODERATORS, roles.ADMINISTRATORS)
    administrator = users["administrator"]  # a superuser too
    permissions.judge_session(administrator, {})
    assert not roles.has_role(administrator, roles.ADMINISTRATORS)
    agent = factories.UserFactory(role=roles.AGENTS)
    agent.groups.add(*moderator.groups.all())
    permissions.judge_session(agent, {})
    assert roles.has_role(agent, roles.AGENTS, roles.MODERATORS)  # still an agent
    assert not roles.has_role(agent, roles.MODERATORS)


def test_the_admin_password_reset_leads_to_the_rate_limited_one(client, users):
    response = client.get("/admin/password_reset/")
    assert response.status_code == 302
    assert response["Location"] == "/compte/mot-de-passe/oubli/"
    for _attempt in range(8):
        response = client.post("/admin/password_reset/", {"email": users["citizen"].email})
        assert response.status_code == 302
    assert mail.outbox == []
    sent = 0
    for _attempt in range(8):
        client.post("/compte/mot-de-passe/oubli/", {"email": users["moderator"].email})
        sent = len(mail.outbox)
    assert 1 <= sent <= 5  # allauth's limit per address


# --- A hundred wrong passwords on each door -----------------------------------------------


def per_minute(action: str) -> int:
    """The first count of allauth's limit for `action` ("30/m/ip" → 30)."""
    from django.conf import settings

    return int(settings.ACCOUNT_RATE_LIMITS[action].split("/")[0])


@pytest.mark.parametrize("role", STAFF)
def test_a_hundred_wrong_passwords_on_the_sign_in_form_let_nobody_in(users, role):
    client = Client()
    email = users[role].email
    refused_as_too_many, statuses = 0, []
    for attempt in range(100):
        response = client.post(
            "/compte/connexion/", {"login": email, "password": f"faux-{attempt}"}
        )
        statuses.append(response.status_code)
        assert not signed_in(client)
        refused_as_too_many += "Trop de tentatives" in response.content.decode()
    assert refused_as_too_many >= 90
    # The form comes back (200) until allauth's per-minute limit of sign-in posts, then
    # 429; past five failures for the address it already says « Trop de tentatives ».
    allowed = per_minute("login")
    assert statuses == [200] * allowed + [429] * (100 - allowed)
    # The right password, right after, is refused too while the limit lasts.
    response = client.post("/compte/connexion/", {"login": email, "password": factories.PASSWORD})
    assert "Trop de tentatives" in response.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("door", ("/_util/login/", "/admin/login/"))
def test_a_hundred_passwords_on_wagtails_forms_are_never_checked(client, users, door):
    for attempt in range(100):
        password = factories.PASSWORD if attempt == 99 else f"faux-{attempt}"
        response = client.post(
            door, {"username": users["administrator"].email, "password": password}
        )
        assert response.status_code == 302
    assert not signed_in(client)


def test_a_hundred_wrong_codes_on_the_code_form_let_nobody_in(users):
    client = Client()
    response = client.post(
        "/compte/connexion/", {"login": users["moderator"].email, "password": factories.PASSWORD}
    )
    assert "double-authentification" in response["Location"]
    right = {code(offset=offset) for offset in (-1, 0, 1)}
    wrong = (f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in right)
    for _attempt in range(100):
        response = client.post("/compte/double-authentification/verifier/", {"code": next(wrong)})
        assert response.status_code == 200  # the form again, with its error
        assert not signed_in(client)
    response = client.post("/compte/double-authentification/verifier/", {"code": code()})
    assert not signed_in(client)  # the limit holds even for the right code


def test_a_hundred_wrong_codes_on_the_reauthentication_form_open_nothing(client, users):
    client.force_login(users["moderator"], second_factor=False)
    statuses = [
        client.post(
            "/compte/double-authentification/confirmer-identite/", {"code": f"{attempt:06d}"}
        ).status_code
        for attempt in range(100)
    ]
    allowed = per_minute("reauthenticate")
    assert statuses == [200] * allowed + [429] * (100 - allowed)
    assert client.get("/admin/").status_code == 302


def test_unverified_accounts_are_not_signed_in_by_any_door(client, users):
    person = users["unverified"]
    for door, field in (("/compte/connexion/", "login"), ("/_util/login/", "username")):
        client.post(door, {field: person.email, "password": factories.PASSWORD})
        assert not signed_in(client), door
