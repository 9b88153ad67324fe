"""Null and control characters, foreign Host headers: a French 400 or a silent clean-up,
never a server error (cms.middleware.ControlCharactersMiddleware). PostgreSQL refuses
a null character in text; these tests run on both databases."""

import pytest
from django.urls import reverse

from participation.models import Ban, ConsultationModeration, Feedback
from participation.services import comments as comment_services
from tests import factories

NUL_REFUSED = "L’adresse contient un caractère nul"


@pytest.fixture
def consultation(consultation_index):
    return factories.consultation(consultation_index, title="Plan vélo")


@pytest.mark.parametrize(
    "address",
    [
        "/recherche/?q=%00",
        "/recherche/?q=v%C3%A9lo%00",
        "/recherche/?%00=v",
        "/%00/",
        "/consultations/%00/",
        "/participation/commentaires/1/%00",
    ],
)
def test_a_null_character_in_the_address_gets_a_french_400(client, site_tree, address):
    response = client.get(address)
    assert response.status_code == 400
    assert NUL_REFUSED in response.content.decode()


def test_the_moderation_search_refuses_a_null_character(client, users, site_tree):
    client.force_login(users["moderator"])
    response = client.get(reverse("moderation_queue") + "?q=%00&file=tout")
    assert response.status_code == 400
    assert NUL_REFUSED in response.content.decode()


def test_other_control_characters_in_a_search_are_dropped(client, site_tree):
    response = client.get("/recherche/", {"q": "v\x01\x1fé\x0blo"})
    assert response.status_code == 200
    assert response.context["query"] == "vélo"


def test_a_forged_session_cookie_with_a_null_character_is_ignored(client, site_tree):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get("/")
    assert response.status_code == 200


def test_a_sign_in_from_a_browser_name_with_a_null_character_works(client, users, site_tree):
    from allauth.usersessions.models import UserSession

    from tests.factories import PASSWORD

    response = client.post(
        "/compte/connexion/",
        {"login": users["citizen"].email, "password": PASSWORD},
        HTTP_USER_AGENT="Navigateur\x00 étrange\x01",
    )
    assert response.status_code == 302
    assert UserSession.objects.get(user=users["citizen"]).user_agent == "Navigateur étrange"


# --- Forms: control characters removed, the rest of the text kept -------------------------


def test_a_moderator_note_with_a_null_character_is_saved_without_it(client, users, consultation):
    comment = comment_services.post_comment(
        author=users["citizen"], consultation=consultation, body="Texte"
    )
    client.force_login(users["moderator"])
    response = client.post(
        reverse("moderation_act", args=[comment.pk]),
        {"action": "hide", "reason": "abuse", "note": "Propos\x00 insultants\x07"},
    )
    assert response.status_code == 302
    decision = comment.decisions.get()
    assert decision.note == "Propos insultants"


def test_a_ban_reason_with_a_null_character_is_saved_without_it(client, users, consultation):
    person = factories.UserFactory()
    comment = comment_services.post_comment(author=person, consultation=consultation, body="Hé")
    client.force_login(users["moderator"])
    response = client.post(
        reverse("moderation_ban", args=[comment.pk]),
        {"reason": "Insultes\x00 répétées", "days": "7"},
    )
    assert response.status_code == 302
    assert Ban.objects.get().reason == "Insultes répétées"


def test_a_freeze_message_with_a_null_character_is_saved_without_it(client, users, consultation):
    client.force_login(users["moderator"])
    response = client.post(
        reverse("moderation_crisis", args=[consultation.pk]),
        {"switch": "freeze", "on": "1", "message": "Fil\x00 gelé\x1b ce soir."},
    )
    assert response.status_code == 302
    crisis = ConsultationModeration.objects.get(consultation=consultation)
    assert crisis.freeze_message == "Fil gelé ce soir."


def test_a_satisfaction_comment_with_a_null_character_is_saved_without_it(
    client, users, consultation
):
    citizen = users["citizen"]
    comment_services.post_comment(author=citizen, consultation=consultation, body="Un avis.")
    client.force_login(citizen)
    response = client.post(
        reverse("participation:feedback", args=[consultation.pk]),
        {"rating": "4", "comment": "Très\x00 utile\x08"},
    )
    assert response.status_code == 302
    assert Feedback.objects.get().comment == "Très utile"


def test_a_comment_with_a_null_character_is_published_without_it(client, users, consultation):
    client.force_login(users["citizen"])
    response = client.post(
        reverse("participation:comment_create", args=[consultation.pk]),
        {"body": "Plus de\x00 pistes\x0c cyclables"},
    )
    assert response.status_code == 302
    assert consultation.comments.get().body == "Plus de pistes cyclables"


def test_line_breaks_and_tabs_are_kept(client, users, consultation):
    client.force_login(users["citizen"])
    client.post(
        reverse("participation:comment_create", args=[consultation.pk]),
        {"body": "Ligne un\r\nLigne\tdeux"},
    )
    assert "Ligne un\nLigne\tdeux" in consultation.comments.get().body.replace("\r\n", "\n")


# --- A foreign Host header ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/recherche/?q=velo",
        "/admin/",
        "/health/",
        "/compte/connexion/",
        "/participation/flux/rss/",
        "/n-existe-pas/",
    ],
)
def test_a_foreign_host_gets_a_french_400_on_every_path(client, site_tree, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Cette demande n’a pas pu être comprise" in response.content.decode()
    assert response["Permissions-Policy"]


def test_a_foreign_host_on_a_form_post_gets_a_400(client, users, site_tree):
    client.force_login(users["citizen"])
    response = client.post("/i18n/setlang/", {"language": "en"}, HTTP_HOST="evil.example")
    assert response.status_code == 400
