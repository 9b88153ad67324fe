"""The bans screen of the moderation admin: every ban, those still running
first, filtered and paginated; lifting one asks for confirmation, goes through
services.moderation.lift_ban, is logged, and the person may take part again."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from participation import permissions
from participation.models import Ban, ConsultationPage
from participation.queries import moderation as queries
from participation.services import comments
from participation.services import moderation as services
from tests import factories

BANS = "/admin/moderation/bannissements/"


def ban(users, person, **kwargs):
    kwargs.setdefault("days", 7)
    return services.ban(moderator=users["moderator"], user=person, reason="Insultes", **kwargs)


# --- The service -------------------------------------------------------------------------


def test_a_lifted_person_comments_again_and_the_lift_is_logged(users, consultation):
    person = factories.UserFactory()
    banned = ban(users, person, permanent=True)
    assert permissions.reason(person, permissions.COMMENT, consultation)
    services.lift_ban(moderator=users["moderator"], ban=banned)
    banned.refresh_from_db()
    assert banned.lifted_at is not None and banned.lifted_by == users["moderator"]
    assert not Ban.objects.active().filter(user=person).exists()
    # The same object, asked again: nothing remembered from before the lift.
    # A new request: the consultation object remembers each person's answer meanwhile.
    consultation = ConsultationPage.objects.get(pk=consultation.pk)
    assert permissions.reason(person, permissions.COMMENT, consultation) is None
    comments.post_comment(author=person, consultation=consultation, body="Je reviens.")
    entry = ModelLogEntry.objects.for_instance(banned).get(action=services.LOG_LIFT_BAN)
    assert entry.user == users["moderator"] and entry.data["permanent"] is True


def test_a_ban_is_lifted_once_and_an_ended_one_not_at_all(users):
    person = factories.UserFactory()
    banned = ban(users, person)
    services.lift_ban(moderator=users["moderator"], ban=banned)
    with pytest.raises(ValidationError, match="déjà été levé"):
        services.lift_ban(moderator=users["administrator"], ban=banned)
    other = ban(users, factories.UserFactory(), days=1)
    later = time_machine.travel(timezone.now() + timedelta(days=2))
    with later, pytest.raises(ValidationError, match="déjà terminé"):
        services.lift_ban(moderator=users["moderator"], ban=other)
    assert Ban.objects.get(pk=other.pk).lifted_at is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("citizen", False),
        ("agent", False),
        ("communication", False),
        ("scoped", False),
        ("moderator", True),
        ("administrator", True),
    ],
)
def test_who_lifts_a_ban(users, scoped, role, allowed):
    person = users[role] if role != "scoped" else scoped
    banned = ban(users, factories.UserFactory())
    if allowed:
        services.lift_ban(moderator=person, ban=banned)
        assert Ban.objects.get(pk=banned.pk).lifted_at is not None
    else:
        with pytest.raises(PermissionDenied):
            services.lift_ban(moderator=person, ban=banned)
        assert Ban.objects.get(pk=banned.pk).lifted_at is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("citizen", False), ("agent", False), ("communication", False), ("moderator", True)],
)
def test_who_sees_the_bans(users, role, allowed):
    assert permissions.can(users[role], permissions.SEE_BANS, None) is allowed


# --- The screen -----------------------------------------------------------------------------


def test_the_list_shows_running_bans_first_with_names_never_e_mails(client, users):
    ended = ban(users, factories.UserFactory(display_name="Ancienne Bannie"))
    services.lift_ban(moderator=users["administrator"], ban=ended)
    running = ban(users, factories.UserFactory(display_name="Toujours Banni"), permanent=True)
    client.force_login(users["moderator"])
    html = client.get(BANS).content.decode()
    assert html.index("Toujours Banni") < html.index("Ancienne Bannie")
    assert "Définitif" in html and "Insultes" in html
    assert users["moderator"].display_name in html
    assert "Levé le" in html and f"par {users['administrator'].display_name}" in html
    assert running.user.email not in html and ended.user.email not in html
    assert reverse("moderation_lift_ban", args=[running.pk]) in html
    assert reverse("moderation_lift_ban", args=[ended.pk]) not in html

    active = client.get(BANS + "?etat=actifs").content.decode()
    assert "Toujours Banni" in active and "Ancienne Bannie" not in active
    finished = client.get(BANS + "?etat=termines").content.decode()
    assert "Ancienne Bannie" in finished and "Toujours Banni" not in finished
    person = client.get(f"{BANS}?auteur={ended.user_id}").content.decode()
    assert "Ancienne Bannie" in person and "Toujours Banni" not in person


def test_empty_states_are_in_french(client, users):
    client.force_login(users["moderator"])
    assert "Personne n’a été banni" in client.get(BANS).content.decode()
    assert "Aucun bannissement en cours." in client.get(BANS + "?etat=actifs").content.decode()


def test_the_list_is_paginated_with_a_constant_query_count(client, users):
    def count(query=""):
        client.get(BANS + query)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(BANS + query)
        return len(captured), response.content.decode()

    client.force_login(users["moderator"])
    for _n in range(2):
        ban(users, factories.UserFactory())
    small, _html = count()
    people = [factories.UserFactory(display_name=f"Personne {n:02}") for n in range(30)]
    bans = [ban(users, person) for person in people]
    for lifted in bans[:5]:
        services.lift_ban(moderator=users["moderator"], ban=lifted)
    large, html = count()
    assert large == small
    assert "apres=" in html and "Page suivante" in html
    page = queries.bans_page()
    assert [row.ended for row in page.rows].count(0) == queries.PAGE_SIZE
    second = queries.bans_page(cursor=page.next_cursor)
    seen = {row.pk for row in page.rows}
    assert not seen & {row.pk for row in second.rows}
    assert len(seen) + len(second.rows) == Ban.objects.count()
    assert [row.ended for row in second.rows] == sorted(row.ended for row in second.rows)


def test_lifting_asks_for_confirmation_then_the_person_comments_again(client, users, consultation):
    person = factories.UserFactory(display_name="Camille Dupont")
    banned = ban(users, person)
    client.force_login(users["moderator"])
    url = reverse("moderation_lift_ban", args=[banned.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Oui, lever le bannissement" in html and "Camille Dupont" in html
    assert Ban.objects.get(pk=banned.pk).lifted_at is None  # a GET changes nothing
    response = client.post(url, {"next": BANS}, follow=True)
    assert response.redirect_chain[-1][0] == BANS
    assert "Le bannissement de Camille Dupont est levé" in response.content.decode()
    assert Ban.objects.get(pk=banned.pk).lifted_by == users["moderator"]
    client.force_login(person)
    response = client.post(
        reverse("participation:comment_create", args=[consultation.pk]),
        {"body": "Merci de m’avoir réintégré."},
    )
    assert response.status_code == 302
    assert person.comments.filter(body="Merci de m’avoir réintégré.").exists()

    client.force_login(users["moderator"])
    again = client.post(url, follow=True).content.decode()
    assert "déjà été levé" in again


def test_a_scoped_moderator_sees_the_list_but_cannot_lift(client, users, scoped):
    banned = ban(users, factories.UserFactory(display_name="Banni Ailleurs"))
    client.force_login(scoped)
    html = client.get(BANS).content.decode()
    assert "Banni Ailleurs" in html
    assert reverse("moderation_lift_ban", args=[banned.pk]) not in html
    url = reverse("moderation_lift_ban", args=[banned.pk])
    response = client.post(url)
    assert response.status_code == 403
    assert "modérateurs et modératrices de toutes les consultations" in (response.content.decode())
    assert Ban.objects.get(pk=banned.pk).lifted_at is None


def test_the_queue_links_to_the_bans_and_to_a_banned_author(client, users, consultation):
    person = factories.UserFactory()
    comment = comments.post_comment(author=person, consultation=consultation, body="Avis")
    ban(users, person)
    client.force_login(users["moderator"])
    html = client.get("/admin/moderation/?file=tout").content.decode()
    assert f'href="{BANS}"' in html
    assert f"{BANS}?auteur={comment.author_id}" in html
