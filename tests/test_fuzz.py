"""Every public form and query parameter, and the main admin screens, receive each
payload of tests/hostile.py, one field at a time (the others filled as a person
would): the answer may be a refusal, never a server error. Real views through Django's
test client; run on SQLite and on PostgreSQL (which refuses a null character in text).

A failure lists every (field, payload) that gave a 5xx, with the status.
"""

from dataclasses import dataclass, field
from urllib.parse import quote_from_bytes

import pytest
from django.core.cache import cache

from participation.services import comments as comment_services
from tests import factories
from tests.hostile import HOSTILE, SHARP


def encode(params: dict) -> str:
    """A query string or form body, bytes as they are: a lone surrogate becomes the
    invalid UTF-8 a script would send (Django's client would refuse to encode it)."""
    return "&".join(
        f"{quote_from_bytes(str(key).encode())}="
        f"{quote_from_bytes(str(value).encode('utf-8', 'surrogatepass'), safe='')}"
        for key, value in params.items()
    )


# Idempotency keys are UUIDs: a key that is not one is refused before the text is read.
KEY = "6f1c1f6e-3c1d-4a7e-9a55-0d6b3b1f0a0"


@dataclass
class Target:
    name: str
    who: str  # a key of the `users` fixture
    method: str
    url: str  # formatted with the world's ids
    fields: dict = field(default_factory=dict)  # what a person sends
    hostile: tuple = ()  # fields that get each payload in turn (default: all of `fields`)


PUBLIC = [
    Target("search", "anonymous", "GET", "/recherche/", {"q": "vélo", "page": "1"}),
    Target(
        "consultation list",
        "anonymous",
        "GET",
        "{index_url}",
        {"status": "open", "theme": "mobilite", "page": "1"},
    ),
    Target(
        "consultation thread",
        "anonymous",
        "GET",
        "{consultation_url}",
        {"tri": "recent", "apres": "1", "officielles": "1", "commentaire": "1"},
    ),
    Target("news list", "anonymous", "GET", "{news_url}", {"page": "2"}),
    Target(
        "replies",
        "anonymous",
        "GET",
        "/participation/commentaires/{comment}/reponses/",
        {"apres": "1"},
    ),
    Target(
        "live catch-up",
        "anonymous",
        "GET",
        "/participation/consultations/{consultation}/direct/",
        {"after": "0"},
    ),
    Target("terms", "anonymous", "GET", "/conditions-utilisation/", {"version": "1"}),
    Target("cookies page", "anonymous", "GET", "/cookies/", {"next": "/"}),
    Target("sign-in page", "anonymous", "GET", "/compte/connexion/", {"next": "/"}),
    Target(
        "cookie choice",
        "anonymous",
        "POST",
        "/cookies/",
        {"choice": "accept_all", "next": "/"},
    ),
    Target(
        "sign-in",
        "anonymous",
        "POST",
        "/compte/connexion/",
        {"login": "personne@exemple.test", "password": "un-mot-de-passe-solide-42"},
    ),
    Target(
        "sign-up",
        "anonymous",
        "POST",
        "/compte/inscription/",
        {
            "email": "nouvelle@exemple.test",
            "display_name": "Nouvelle",
            "password1": "un-mot-de-passe-solide-42",
            "password2": "un-mot-de-passe-solide-42",
            "age": "15_or_more",
            "accept_terms": "on",
        },
    ),
    Target(
        "password reset",
        "anonymous",
        "POST",
        "/compte/mot-de-passe/oubli/",
        {"email": "personne@exemple.test"},
    ),
    Target(
        "comment",
        "citizen",
        "POST",
        "/participation/consultations/{consultation}/commenter/",
        {"body": "Plus de pistes cyclables.", "position": "for", "key": KEY + "1"},
    ),
    Target(
        "reply",
        "citizen",
        "POST",
        "/participation/commentaires/{comment}/repondre/",
        {"body": "D’accord.", "key": KEY + "2"},
    ),
    Target(
        "edit",
        "citizen",
        "POST",
        "/participation/commentaires/{own_comment}/modifier/",
        {"body": "Texte revu."},
    ),
    Target(
        "report",
        "citizen",
        "POST",
        "/participation/commentaires/{comment}/signaler/",
        {"reason": "abuse", "details": "Insultant."},
    ),
    Target("support", "citizen", "POST", "/participation/commentaires/{comment}/soutenir/", {}),
    Target(
        "poll vote",
        "citizen",
        "POST",
        "/participation/sondages/{poll}/vote/",
        {"{q_single}": "{c_single}", "{q_multiple}": "{c_multiple}", "{q_text}": "Rien."},
    ),
    Target(
        "feedback",
        "citizen",
        "POST",
        "/participation/consultations/{consultation}/avis/",
        {"rating": "4", "comment": "Utile."},
    ),
    Target(
        "follow",
        "citizen",
        "POST",
        "/participation/consultations/{consultation}/suivre/",
        {"follow": "1"},
    ),
    Target(
        "appeal",
        "citizen",
        "POST",
        "/participation/moderation/mes-decisions/",
        {"decision": "{decision}", "text": "Je conteste."},
    ),
    Target(
        "terms acceptance",
        "citizen",
        "POST",
        "/conditions-utilisation/accepter/",
        {"accept": "on", "next": "/"},
    ),
    Target(
        "display name",
        "citizen",
        "POST",
        "/mes-donnees/",
        {"section": "display_name", "profile-display_name": "Camille"},
    ),
    Target(
        "notifications",
        "citizen",
        "POST",
        "/mes-donnees/",
        {"section": "notifications", "notifications-notifications": "on"},
    ),
    Target("language", "anonymous", "POST", "/i18n/setlang/", {"language": "en", "next": "/"}),
]

ADMIN = [
    Target(
        "moderation queue",
        "moderator",
        "GET",
        "/admin/moderation/",
        {
            "file": "tout",
            "etat": "published",
            "motif": "abuse",
            "auteur": "1",
            "depuis": "2026-01-01",
            "q": "vélo",
            "apres": "1",
            "consultation": "{consultation}",
        },
    ),
    Target(
        "moderation action",
        "moderator",
        "POST",
        "/admin/moderation/commentaires/{comment}/action/",
        {"action": "hide", "reason": "abuse", "note": "Propos insultants.", "next": "/admin/"},
    ),
    Target(
        "moderation selection",
        "moderator",
        "POST",
        "/admin/moderation/selection/",
        {"ids": "{comment}", "action": "hide", "reason": "abuse", "note": "Lot."},
    ),
    Target(
        "official answer",
        "moderator",
        "POST",
        "/admin/moderation/commentaires/{comment}/repondre/",
        {"body": "Réponse de la mairie.", "key": KEY + "3"},
    ),
    Target(
        "ban",
        "moderator",
        "POST",
        "/admin/moderation/commentaires/{comment}/bannir/",
        {"reason": "Insultes répétées", "days": "7", "hide_all": "1"},
    ),
    Target(
        "crisis freeze",
        "moderator",
        "POST",
        "/admin/moderation/crise/{consultation}/",
        {"switch": "freeze", "on": "1", "message": "Fil gelé."},
    ),
    Target(
        "crisis slow mode",
        "moderator",
        "POST",
        "/admin/moderation/crise/{consultation}/",
        {"switch": "slow_mode", "minutes": "5"},
    ),
    Target(
        "appeal decision",
        "administrator",
        "POST",
        "/admin/moderation/contestations/{appeal}/",
        {"decision": "grant", "answer": "Accordé."},
    ),
    Target(
        "bans list",
        "moderator",
        "GET",
        "/admin/moderation/bannissements/",
        {"q": "x", "etat": "actifs", "page": "1"},
    ),
    Target("alerts", "moderator", "GET", "/admin/moderation/alertes/", {"page": "1"}),
    Target(
        "dashboard",
        "communication",
        "GET",
        "/admin/participation/",
        {
            "consultation": "{consultation}",
            "start": "2026-01-01",
            "end": "2026-01-31",
            "granularity": "day",
        },
    ),
    Target(
        "export",
        "communication",
        "GET",
        "/admin/participation/{consultation}/export/answers.xlsx",
        {"start": "2026-01-01", "end": "2026-01-31"},
    ),
    Target(
        "objectives",
        "communication",
        "POST",
        "/admin/participation/{consultation}/objectifs/",
        {"participants": "500", "comments": "40", "answered_percent": "30", "satisfaction": "4"},
    ),
    Target(
        "results",
        "communication",
        "POST",
        "/admin/participation/{consultation}/resultats/",
        {"summary": "Ce qui a été dit.", "decisions": "Ce qui a été décidé."},
    ),
    Target(
        "calendar", "communication", "GET", "/admin/participation/calendrier/", {"mois": "2026-03"}
    ),
    Target("page search", "administrator", "GET", "/admin/pages/search/", {"q": "vélo", "p": "1"}),
    Target("users", "administrator", "GET", "/admin/users/", {"q": "camille", "p": "1"}),
]


@pytest.fixture
def world(users, site_tree):
    """A consultation with a comment, a reply, a poll, a moderation decision under
    appeal: every id the targets' addresses and fields need."""
    from participation.services import moderation as moderation_services

    consultation = factories.consultation(site_tree["index"], title="Plan vélo")
    citizen = users["citizen"]
    other = factories.UserFactory()
    comment = comment_services.post_comment(
        author=other, consultation=consultation, body="Un avis."
    )
    own = comment_services.post_comment(author=citizen, consultation=consultation, body="Le mien.")
    contested = comment_services.post_comment(
        author=citizen, consultation=consultation, body="Masqué."
    )
    moderation_services.hide(
        moderator=users["moderator"], comment=contested, reason="abuse", note="Note"
    )
    decision = contested.decisions.get()
    appealed = comment_services.post_comment(
        author=other, consultation=consultation, body="Contesté."
    )
    moderation_services.hide(
        moderator=users["moderator"], comment=appealed, reason="spam", note="Note"
    )
    appeal = moderation_services.contest(
        author=other, decision=appealed.decisions.get(), text="Je conteste."
    )
    poll = factories.poll(consultation)
    questions = {q.kind: q for q in poll.questions.all()}
    return {
        "index_url": site_tree["index"].url,
        "news_url": site_tree["news"].url,
        "consultation_url": consultation.url,
        "consultation": consultation.pk,
        "comment": comment.pk,
        "own_comment": own.pk,
        "decision": decision.pk,
        "appeal": appeal.pk,
        "poll": poll.pk,
        "q_single": f"q{questions['single'].pk}",
        "c_single": questions["single"].choices.first().pk,
        "q_multiple": f"q{questions['multiple'].pk}",
        "c_multiple": questions["multiple"].choices.first().pk,
        "q_text": f"q{questions['text'].pk}",
    }


def send(client, target: Target, data: dict, world: dict):
    url = target.url.format(**world)
    body = encode(data)
    if target.method == "GET":
        return client.get(f"{url}?{body}")
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def run(client, users, world, target: Target) -> list:
    client.raise_request_exception = False  # a 500 is counted, the next payload goes on
    if target.who != "anonymous":
        client.force_login(users[target.who])
    fields = {
        key.format(**world): str(value).format(**world) for key, value in target.fields.items()
    }
    names = list(target.hostile or fields)
    # Every payload in every field at once, then the sharpest payloads one field at a
    # time, the others valid (a refusal of the first field checked would hide what the
    # next one does): about 50 + 8 × fields requests per screen.
    attempts = [(dict.fromkeys(names, payload), "*", payload) for payload in HOSTILE]
    if len(names) > 1:
        attempts += [({name: payload}, name, payload) for name in names for payload in SHARP]
    failures = []
    for hostile, name, payload in attempts:
        cache.clear()  # rate limits would stop the payloads before the service
        response = send(client, target, {**fields, **hostile}, world)
        if response.status_code >= 500:
            failures.append((name, payload[:40], response.status_code))
    return failures


@pytest.mark.parametrize("target", PUBLIC, ids=[target.name for target in PUBLIC])
def test_public_forms_and_parameters_never_answer_5xx(client, users, world, target):
    assert run(client, users, world, target) == []


@pytest.mark.parametrize("target", ADMIN, ids=[target.name for target in ADMIN])
def test_admin_screens_never_answer_5xx(client, users, world, target):
    assert run(client, users, world, target) == []
