"""What people see of the participation pages and screens, server side: the freeze
message once, the thread's view named in the page title, the support button keeping its
identity (focus stays on it when it is replaced), and the team's screens with an h1 that
names the consultation, a calendar marking today, a focusable figures table."""

import re

import pytest
from django.utils import timezone

from participation.services import comments as comment_services
from participation.services import moderation as moderation_services

FRAGMENT = {"HTTP_X_TRIBUNE_FRAGMENT": "1"}


def title(html) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def h1(html) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", found).split())


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_a_frozen_consultation_says_so_once(client, users, consultation, who):
    moderation_services.set_crisis(
        moderator=users["moderator"],
        consultation=consultation,
        frozen=True,
        message="Débat suspendu le temps de vérifier des informations.",
    )
    if who != "anonymous":
        client.force_login(users[who])
    html = client.get(consultation.url).content.decode()
    assert html.count("Débat suspendu le temps de vérifier des informations.") == 1


def test_the_thread_view_is_named_in_the_page_title(client, users, consultation):
    for number in range(3):
        comment_services.post_comment(
            author=users["citizen"], consultation=consultation, body=f"Avis {number}"
        )
    assert title(client.get(consultation.url).content.decode()) == "Plan vélo — Tribune"
    sorted_html = client.get(consultation.url + "?tri=anciens&officielles=1").content.decode()
    assert title(sorted_html) == (
        "Plan vélo — commentaires triés par « Plus anciens », réponses officielles "
        "seulement — Tribune"
    )


def test_support_button_keeps_its_id_in_the_fragment(client, users, consultation):
    comment = comment_services.post_comment(
        author=users["citizen"], consultation=consultation, body="Un avis."
    )
    client.force_login(users["agent"])
    html = client.get(consultation.url).content.decode()
    assert f'id="support-button-{comment.pk}"' in html
    response = client.post(
        f"/participation/commentaires/{comment.pk}/soutenir/", {"supported": "1"}, **FRAGMENT
    )
    fragment = response.content.decode()
    assert f'id="support-button-{comment.pk}"' in fragment
    assert 'aria-pressed="true"' in fragment


def test_team_screens_have_an_h1_naming_the_consultation(client, users, consultation):
    client.force_login(users["communication"])
    results = client.get(f"/admin/participation/{consultation.pk}/resultats/").content.decode()
    assert h1(results) == "Résultats de la consultation Plan vélo"
    assert title(results).startswith("Résultats de la consultation — Plan vélo")
    objectives = client.get(f"/admin/participation/{consultation.pk}/objectifs/").content.decode()
    assert h1(objectives) == "Objectifs Plan vélo"
    dashboard = client.get(f"/admin/participation/?consultation={consultation.pk}")
    html = dashboard.content.decode()
    assert h1(html) == "Participation Plan vélo"
    assert re.search(r'class="tribune-table-wrap" tabindex="0" role="region" aria-label="', html)
    calendar = client.get("/admin/participation/calendrier/").content.decode()
    assert h1(calendar) == "Calendrier éditorial"
    today = timezone.localdate().isoformat()
    assert calendar.count('aria-current="date"') == 1
    assert re.search(rf'aria-current="date">\s*<time datetime="{today}">', calendar)
