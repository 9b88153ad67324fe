"""Official answers from the moderation queue: moderators answer in the name of
the institution on the consultations they moderate; the answer is an ordinary official
reply (badge, institution, live event), recorded in the answered comment's history."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from participation import events, permissions
from participation.models import Comment, State
from participation.services import comments
from participation.services import moderation as services
from tests import factories

QUEUE = "/admin/moderation/"


@pytest.fixture
def people(users, scoped):
    return {**users, "scoped moderator": scoped}


def post(author, consultation, body="Où passera la piste ?", **kwargs):
    return comments.post_comment(author=author, consultation=consultation, body=body, **kwargs)


def official_answers(comment):
    return Comment.objects.filter(parent=comment, is_official=True)


# --- Who may answer officially ----------------------------------------------------------

#   role, on a consultation they moderate (or any for unscoped roles), outside their scope
MATRIX = [
    ("anonymous", False, False),
    ("unverified", False, False),
    ("citizen", False, False),
    ("agent", True, True),
    ("communication", True, True),
    ("moderator", True, True),
    ("scoped moderator", True, False),
    ("administrator", True, True),
]


@pytest.mark.parametrize(("role", "inside", "outside"), MATRIX)
def test_official_answer_permission_matrix(people, consultation, other, role, inside, outside):
    person = people[role]
    for target, allowed in ((consultation, inside), (other, outside)):
        comment = post(people["citizen"], target)
        assert permissions.can(person, permissions.ANSWER_OFFICIALLY, comment) is allowed
        if not allowed:
            assert permissions.reason(person, permissions.ANSWER_OFFICIALLY, comment)


def test_the_reasons_people_read(people, consultation, other):
    comment = post(people["agent"], other)
    assert permissions.reason(people["citizen"], permissions.ANSWER_OFFICIALLY, comment) == (
        "Seuls les agents, l’équipe communication et l’équipe de modération répondent "
        "officiellement."
    )
    assert permissions.reason(
        people["scoped moderator"], permissions.ANSWER_OFFICIALLY, comment
    ) == ("Vous ne modérez pas cette consultation.")


# --- The service ---------------------------------------------------------------------------


def test_a_moderator_answers_officially_published_live_and_logged(
    users, consultation, monkeypatch, django_capture_on_commit_callbacks
):
    comment = post(users["citizen"], consultation)
    sent = []
    monkeypatch.setattr(events, "publish_all", lambda found: sent.extend(found))
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_officially(
            moderator=users["moderator"], comment=comment, body="  La piste longera le canal. "
        )
    answer.refresh_from_db()
    assert answer.is_official and answer.state == State.PUBLISHED
    assert answer.parent == comment and answer.body == "La piste longera le canal."
    assert Comment.objects.get(pk=comment.pk).has_official_answer
    assert Comment.objects.get(pk=comment.pk).replies_count == 1
    assert [(event.type, event.data["official"]) for event in sent] == [("comment.created", True)]
    entry = ModelLogEntry.objects.for_instance(comment).get(action=services.LOG_OFFICIAL_ANSWER)
    assert entry.user == users["moderator"] and entry.data == {"answer": answer.pk}


def test_a_double_click_gives_one_answer_and_one_log_entry(users, consultation):
    comment = post(users["citizen"], consultation)
    key = "7c2d0a1e-8f4b-4c55-9a0e-3b1f2d6c7e88"
    for _click in range(2):
        services.answer_officially(
            moderator=users["moderator"], comment=comment, body="Merci.", key=key
        )
    assert official_answers(comment).count() == 1
    assert (
        ModelLogEntry.objects.for_instance(comment)
        .filter(action=services.LOG_OFFICIAL_ANSWER)
        .count()
        == 1
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Écrivez votre commentaire avant de le publier."),
        ("   \n ", "Écrivez votre commentaire avant de le publier."),
        ("x" * 2001, "2001 caractères"),
    ],
)
def test_bad_text_is_refused_and_nothing_is_created(users, consultation, body, message):
    comment = post(users["citizen"], consultation)
    with pytest.raises(ValidationError) as refused:
        services.answer_officially(moderator=users["moderator"], comment=comment, body=body)
    assert message in " ".join(refused.value.messages)
    assert not official_answers(comment).exists()
    assert not ModelLogEntry.objects.filter(action=services.LOG_OFFICIAL_ANSWER).exists()


@pytest.mark.parametrize("state", [State.HIDDEN, State.DELETED, State.PENDING, State.REJECTED])
def test_a_comment_no_longer_published_cannot_be_answered(users, consultation, state):
    comment = post(users["citizen"], consultation)
    Comment.objects.filter(pk=comment.pk).update(state=state)
    comment.refresh_from_db()
    with pytest.raises(PermissionDenied, match="ne peut plus recevoir de réponses"):
        services.answer_officially(moderator=users["moderator"], comment=comment, body="Merci.")
    assert not official_answers(comment).exists()


def test_a_comment_hidden_meanwhile_is_refused_under_the_lock(users, consultation):
    comment = post(users["citizen"], consultation)
    Comment.objects.filter(pk=comment.pk).update(state=State.HIDDEN)  # another moderator
    with pytest.raises(PermissionDenied):
        services.answer_officially(moderator=users["moderator"], comment=comment, body="Merci.")
    assert not official_answers(comment).exists()


def test_comments_turned_off_refuse_the_answer(users, consultation_index):
    consultation = factories.consultation(consultation_index, title="Sans commentaires")
    comment = post(users["citizen"], consultation)
    consultation.comments_enabled = False
    consultation.save()
    comment.consultation = consultation
    with pytest.raises(PermissionDenied, match="désactivés"):
        services.answer_officially(moderator=users["moderator"], comment=comment, body="Merci.")


def test_the_institution_still_answers_a_closed_or_frozen_consultation(users, consultation):
    """As for agents: the outcome is often given after closing, and a freeze stops the
    public, not the institution."""
    comment = post(users["citizen"], consultation)
    services.set_crisis(
        moderator=users["moderator"], consultation=consultation, frozen=True, message="Pause."
    )
    now = timezone.now()
    consultation.opens_at, consultation.closes_at = now - timedelta(days=9), now - timedelta(1)
    consultation.save()
    comment = Comment.objects.select_related("consultation").get(pk=comment.pk)
    assert comment.consultation.status == "closed"
    services.answer_officially(moderator=users["moderator"], comment=comment, body="Bilan.")
    assert official_answers(comment).count() == 1


def test_a_citizen_and_a_scoped_moderator_outside_their_scope_are_refused(users, scoped, other):
    comment = post(users["citizen"], other)
    for person in (users["citizen"], scoped):
        with pytest.raises(PermissionDenied):
            services.answer_officially(moderator=person, comment=comment, body="Merci.")
    assert not official_answers(comment).exists()


# --- The admin ----------------------------------------------------------------------------


def test_answer_from_the_queue_appears_publicly_with_the_badge(client, users, consultation):
    comment = post(users["citizen"], consultation)
    client.force_login(users["moderator"])
    html = client.get(QUEUE + "?file=tout").content.decode()
    assert reverse("moderation_answer", args=[comment.pk]) in html
    assert "Réponse officielle au nom de" in html
    response = client.post(
        reverse("moderation_answer", args=[comment.pk]),
        {"body": "La piste longera le canal.", "next": QUEUE + "?file=tout"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == QUEUE + "?file=tout"
    assert "Réponse officielle publiée sous le commentaire." in response.content.decode()
    answer = official_answers(comment).get()
    assert answer.author == users["moderator"] and answer.is_published
    client.logout()
    public = client.get(f"{consultation.url}?commentaire={comment.pk}").content.decode()
    assert "La piste longera le canal." in public
    assert "Réponse officielle · " in public
    history = reverse("moderation_history", args=[comment.pk])
    client.force_login(users["moderator"])
    assert "Réponse officielle depuis la file de modération" in client.get(history).content.decode()


def test_a_refused_answer_comes_back_with_the_text_typed(client, users, consultation):
    comment = post(users["citizen"], consultation)
    client.force_login(users["moderator"])
    url = reverse("moderation_answer", args=[comment.pk])
    long_text = "Nous étudions votre proposition. " * 70
    response = client.post(url, {"body": long_text, "key": "k", "next": QUEUE})
    assert response.status_code == 400
    html = response.content.decode()
    assert "caractères" in html and "Nous étudions votre proposition." in html
    assert 'aria-invalid="true"' in html
    assert not official_answers(comment).exists()

    Comment.objects.filter(pk=comment.pk).update(state=State.HIDDEN)
    response = client.post(url, {"body": "Réponse tardive", "next": QUEUE})
    assert response.status_code == 403
    assert "Réponse tardive" in response.content.decode()
    assert "ne peut plus recevoir de réponses" in response.content.decode()
    assert not official_answers(comment).exists()


def test_the_answer_page_is_for_moderators_of_the_consultation(client, users, scoped, other):
    comment = post(users["citizen"], other)
    url = reverse("moderation_answer", args=[comment.pk])
    client.force_login(users["citizen"])
    assert client.post(url, {"body": "Officiel ?"}).status_code == 403  # not in the admin
    client.force_login(scoped)
    for response in (client.get(url), client.post(url, {"body": "Hors périmètre"})):
        # Wagtail sends refusals back to the admin's home, without the comment.
        assert response.status_code == 302 and response.url == "/admin/"
    assert not official_answers(comment).exists()


def test_queue_with_answer_forms_keeps_a_constant_query_count(client, users, consultation_index):
    small = factories.consultation(consultation_index, title="Petite")
    large = factories.consultation(consultation_index, title="Grande")
    authors = [factories.UserFactory() for _ in range(4)]

    def fill(consultation, size):
        Comment.objects.bulk_create(
            Comment(
                consultation=consultation,
                author=authors[n % len(authors)],
                body=f"Publié {n}",
                state=State.PUBLISHED,
            )
            for n in range(size)
        )

    def count():
        client.get(QUEUE + "?file=tout")
        with CaptureQueriesContext(connection) as queries:
            html = client.get(QUEUE + "?file=tout").content.decode()
        return len(queries), html.count('name="key"')

    client.force_login(users["moderator"])
    fill(small, 2)
    before, forms = count()
    assert forms == 2
    fill(large, 40)
    after, forms = count()
    assert forms == 25 and after == before
